#include "analysis/analyse.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "analysis/admission_risk.h"
#include "analysis/cohorts.h"
#include "analysis/criteria.h"
#include "analysis/disclosure.h"
#include "analysis/frailty_index.h"
#include "analysis/indicators.h"
#include "analysis/registers.h"
#include "analysis/report.h"
#include "analysis/statistics.h"
#include "analysis/table.h"
#include "common/file_io.h"
#include "common/output_directory.h"
#include "common/parallel.h"
#include "common/vocabulary.h"
#include "store/snapshot.h"

namespace populus::analysis {
namespace {

constexpr const char* kLevels[] = {"practice", "pcn", "locality", "ics"};

// The organisations each patient's practice belongs to, level by level.
struct Hierarchy {
  std::vector<std::vector<uint32_t>> units;  // [level] organisation rows, in table order
  std::vector<std::vector<int>> unit_of;     // [level][organisation row] index in units, or -1
  // [level][unit]: the nearest unit above it (a practice outside every PCN
  // belongs to its locality), whose counts add up its own and its siblings'.
  std::vector<std::vector<UnitRef>> parent;
};

Hierarchy BuildHierarchy(const Snapshot& s) {
  const auto type = s.organisations().type;
  const auto parent = s.organisations().parent;
  Hierarchy h;
  h.units.resize(4);
  h.unit_of.assign(4, std::vector<int>(type.size(), -1));
  const OrgType levels[] = {OrgType::kPractice, OrgType::kPcn, OrgType::kLocality, OrgType::kIcs};
  for (uint32_t o = 0; o < type.size(); ++o) {
    for (int l = 0; l < 4; ++l) {
      if (type[o] == static_cast<uint8_t>(levels[l])) {
        h.unit_of[static_cast<size_t>(l)][o] =
            static_cast<int>(h.units[static_cast<size_t>(l)].size());
        h.units[static_cast<size_t>(l)].push_back(o);
      }
    }
  }
  // Each practice's ancestors: walk up the parents.
  for (uint32_t o = 0; o < type.size(); ++o) {
    if (h.unit_of[0][o] < 0) continue;
    for (uint32_t up = parent[o]; up != kNoRow; up = parent[up]) {
      for (int l = 1; l < 4; ++l) {
        if (h.unit_of[static_cast<size_t>(l)][up] >= 0) {
          h.unit_of[static_cast<size_t>(l)][o] = h.unit_of[static_cast<size_t>(l)][up];
        }
      }
    }
  }
  // Each unit's parent: the first organisation up the chain that is a unit
  // (ingest accepts only parents of a higher rank, so it is of a higher level).
  h.parent.resize(4);
  for (size_t l = 0; l < 4; ++l) {
    for (uint32_t o : h.units[l]) {
      UnitRef ref;
      for (uint32_t up = parent[o]; up != kNoRow && ref.level < 0; up = parent[up]) {
        for (size_t m = l + 1; m < 4; ++m) {
          if (type[up] == static_cast<uint8_t>(levels[m])) {
            ref = {static_cast<int>(m), h.unit_of[m][up]};
          }
        }
      }
      h.parent[l].push_back(ref);
    }
  }
  return h;
}

// Counts by [level][unit][item].
using LevelCounts = std::vector<std::vector<std::vector<int64_t>>>;

// Protects one table at every level at once (disclosure.h), then audits it
// as it will be written: a table whose withheld counts could be worked out
// adds to `failures`, and nothing is published. `written[k]`: whether
// category k is a column of the file (empty: all are).
class LevelProtection {
 public:
  LevelProtection(const Hierarchy& h, const DisclosureRules& rules) : h_(h), rules_(rules) {}

  ProtectedHierarchy Protect(const std::string& what, const LevelCounts& counts,
                             const std::vector<bool>& written = {}) {
    HierarchicalCounts c;
    c.counts = counts;
    c.parent = h_.parent;
    return Protect(what, c, written);
  }
  ProtectedHierarchy Protect(const std::string& what, const HierarchicalCounts& counts,
                             const std::vector<bool>& written = {}) {
    ProtectedHierarchy p = ProtectHierarchy(counts, rules_);
    PublishedHierarchy view;
    view.table = &p;
    view.parent = &counts.parent;
    view.category_published = written;
    view.column_totals_published = false;  // never written (a lone ICS row shows them)
    const DisclosureAudit audit = AuditHierarchy(view, rules_);
    if (!audit.ok()) {
      failures_.push_back(
          !audit.consistent ? fmt::format("{} (the counts do not add up)", what)
          : audit.derivable > 0
              ? fmt::format("{} ({} withheld counts can be worked out)", what, audit.derivable)
              : fmt::format("{} (the solver could not bound {} withheld counts)", what,
                            audit.unsolved));
    }
    return p;
  }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  const Hierarchy& h_;
  const DisclosureRules& rules_;
  std::vector<std::string> failures_;
};

// A share per 100 with Wilson 95% limits, from the counts as published
// (rounded), so the share reveals no more than the counts do.
Estimate PublishedProportion(const ProtectedCell& x, const ProtectedCell& n) {
  return Proportion(static_cast<double>(x.value), static_cast<double>(n.value), {0.95}, 100);
}

// The organisations of each level, for the output's first three columns.
struct Organisations {
  const Snapshot& snapshot;
  const Hierarchy& h;
  std::vector<std::string> Lead(size_t level, size_t unit) const {
    const uint32_t org = h.units[level][unit];
    return {kLevels[level], std::string(snapshot.organisations().code[org]),
            std::string(snapshot.organisations().name[org])};
  }
};

// Items a person may or may not have (registers, worklists): for each item
// and unit, the people with it, the population and the share per 100 with
// Wilson 95% limits. Disclosure: one table per item, every level at once,
// [with, without] as categories and the population as the total, so a
// withheld count cannot be recovered from the population, the level's
// total or the units above and below.
std::string MembershipTable(const std::string& file, const std::string& what,
                            const std::vector<std::string>& codes,
                            const std::vector<std::string>& names, const LevelCounts& with,
                            const std::vector<std::vector<int64_t>>& population,
                            const Organisations& orgs, LevelProtection* protection) {
  std::string out = fmt::format(
      "level,organisation_code,organisation_name,{0},{0}_name,patients,population,"
      "per_100,lower95_0cl,upper95_0cl\n",
      what);
  std::vector<ProtectedHierarchy> tables;
  for (size_t k = 0; k < codes.size(); ++k) {
    std::vector<std::vector<std::vector<int64_t>>> counts(with.size());
    for (size_t l = 0; l < with.size(); ++l) {
      for (size_t u = 0; u < with[l].size(); ++u) {
        counts[l].push_back({with[l][u][k], population[l][u] - with[l][u][k]});
      }
    }
    tables.push_back(protection->Protect(file + " " + codes[k], counts, {true, false}));
  }
  for (size_t l = 0; l < with.size(); ++l) {
    for (size_t k = 0; k < codes.size(); ++k) {
      const ProtectedLevel& t = tables[k].levels[l];
      for (size_t u = 0; u < with[l].size(); ++u) {
        const bool shown = t.cells[u][0].shown() && t.row_totals[u].shown() && population[l][u] > 0;
        const Estimate e = PublishedProportion(t.cells[u][0], t.row_totals[u]);
        std::vector<std::string> row = orgs.Lead(l, u);
        row.insert(row.end(),
                   {codes[k], names[k], ShownCount(t.cells[u][0]), ShownCount(t.row_totals[u]),
                    shown ? FormatFixed(e.value) : "", shown ? FormatFixed(e.limits[0].lower) : "",
                    shown ? FormatFixed(e.limits[0].upper) : ""});
        out += CsvLine(row);
      }
    }
  }
  return out;
}

// A partition of the population (segments, tiers): for each unit and group,
// the people in it, the population and the share per 100 with Wilson 95%
// limits. Disclosure: every level at once, the groups as categories.
std::string PartitionTable(const std::string& file, const std::string& what,
                           const std::vector<std::string>& codes,
                           const std::vector<std::string>& names, const LevelCounts& counts,
                           const Organisations& orgs, LevelProtection* protection) {
  std::string out = fmt::format(
      "level,organisation_code,organisation_name,{0},{0}_name,patients,population,"
      "per_100,lower95_0cl,upper95_0cl\n",
      what);
  const ProtectedHierarchy p = protection->Protect(file, counts);
  for (size_t l = 0; l < counts.size(); ++l) {
    const ProtectedLevel& t = p.levels[l];
    for (size_t u = 0; u < counts[l].size(); ++u) {
      int64_t population = 0;
      for (int64_t v : counts[l][u]) population += v;
      for (size_t k = 0; k < codes.size(); ++k) {
        const bool shown = t.cells[u][k].shown() && t.row_totals[u].shown() && population > 0;
        const Estimate e = PublishedProportion(t.cells[u][k], t.row_totals[u]);
        std::vector<std::string> row = orgs.Lead(l, u);
        row.insert(row.end(),
                   {codes[k], names[k], ShownCount(t.cells[u][k]), ShownCount(t.row_totals[u]),
                    shown ? FormatFixed(e.value) : "", shown ? FormatFixed(e.limits[0].lower) : "",
                    shown ? FormatFixed(e.limits[0].upper) : ""});
        out += CsvLine(row);
      }
    }
  }
  return out;
}

LevelCounts EmptyCounts(const Hierarchy& h, size_t items) {
  LevelCounts c(4);
  for (size_t l = 0; l < 4; ++l) c[l].assign(h.units[l].size(), std::vector<int64_t>(items, 0));
  return c;
}

// The admission risk model: its coefficients, and how it did on the year it
// never saw (counts protected: the groups as rows, [admitted, not] as columns).
std::string RiskModelTable(const AdmissionRiskModel& m) {
  std::string out = "feature,coefficient,odds_ratio,training_mean\n";
  for (size_t i = 0; i < m.coefficients.size(); ++i) {
    out += CsvLine({m.features[i], FormatValue(m.coefficients[i]),
                    i == 0 ? "" : FormatValue(std::exp(m.coefficients[i])),
                    FormatValue(m.train_mean[i])});
  }
  return out;
}

std::string RiskEvaluationTable(const AdmissionRiskModel& m, const DisclosureRules& rules) {
  std::string out = "measure,value\n";
  auto add = [&](const char* k, const std::string& v) { out += CsvLine({k, v}); };
  add("fitted", m.fitted ? "true" : "false");
  add("not_fitted_reason", m.not_fitted_reason);
  add("training_anchor", FormatIsoDate(m.train_anchor));
  add("test_anchor", FormatIsoDate(m.test_anchor));
  add("outcome", "one or more emergency admissions in the 365 days after the anchor");
  if (!m.fitted) return out;
  add("training_people", std::to_string(RoundCount(m.train_people, rules.round_to)));
  add("training_admitted", std::to_string(RoundCount(m.train_admitted, rules.round_to)));
  add("test_people", std::to_string(RoundCount(m.test_people, rules.round_to)));
  add("test_admitted", std::to_string(RoundCount(m.test_admitted, rules.round_to)));
  add("iterations", std::to_string(m.iterations));
  add("converged", m.converged ? "true" : "false");
  add("auc", FormatFixed(m.auc, 4));
  add("brier", FormatFixed(m.brier, 5));
  return out;
}

std::string RiskCalibrationTable(const AdmissionRiskModel& m, const DisclosureRules& rules) {
  std::string out = "grouping,group,people,admitted,observed_per_100,mean_predicted_per_100\n";
  for (const auto* groups : {&m.deciles, &m.tiers}) {
    std::vector<std::vector<int64_t>> table;
    for (const RiskGroup& g : *groups) table.push_back({g.admitted, g.people - g.admitted});
    const ProtectedTable t = ProtectTable(table, rules);
    for (size_t i = 0; i < groups->size(); ++i) {
      const RiskGroup& g = (*groups)[i];
      const bool shown = t.cells[i][0].shown() && t.row_totals[i].shown() && g.people > 0;
      out += CsvLine({groups == &m.deciles ? "decile of predicted risk" : "risk tier", g.name,
                      ShownCount(t.row_totals[i]), ShownCount(t.cells[i][0]),
                      shown ? FormatFixed(100.0 * static_cast<double>(g.admitted) /
                                          static_cast<double>(g.people))
                            : "",
                      FormatFixed(100.0 * g.mean_predicted)});
    }
  }
  return out;
}

std::string ShownValueText(const ShownValue& v, const PatientState& s, const EfiDefinition& efi,
                           const CriteriaSet::Evaluator& e) {
  if (v.value_id >= 0) return FormatFixed(e.Value(v.value_id), 1);
  if (v.key == "age") return std::to_string(s.age);
  if (v.key == "sex") return std::string(Name(static_cast<Sex>(s.sex)));
  if (v.key == "ltc") return std::to_string(s.ltc);
  if (v.key == "cms") return FormatFixed(s.cms, 2);
  if (v.key == "efi")
    return s.efi_category >= 0 ? efi.categories[static_cast<size_t>(s.efi_category)] : "";
  if (v.key == "efi_deficits") return s.efi_deficits >= 0 ? std::to_string(s.efi_deficits) : "";
  if (v.key == "admission_risk_top_percent") return FormatFixed(s.admission_risk_top_percent, 2);
  // ClinRisk's terms: a displayed score carries their disclaimer.
  if (v.key == "qrisk3") {
    return std::isnan(s.qrisk3) ? std::string()
                                : FormatFixed(s.qrisk3, 1) +
                                      "% (QRISK3-2017, ClinRisk: check any implementation "
                                      "against qrisk.org before clinical use)";
  }
  return "";
}

// ---- The stages of one run ------------------------------------------------

// The rules of one run, read from the rule pack and checked before anything
// is read from the snapshot or written.
struct Rules {
  std::vector<RegisterRule> registers;
  EfiDefinition efi;
  int efi_from_age = 65;
  std::unique_ptr<CriteriaSet> criteria;
  WeightedScore cms;
  Segmentation segments, tiers;
  std::vector<Worklist> worklists;
  CardiovascularRisk qrisk3;
  std::vector<Indicator> indicators;
  std::unordered_map<std::string, int> ethnic_group_of_code;  // the census's five groups
  DisclosureRules disclosure;
};

Status LoadRules(const rules::RulePack& pack, Rules* out) {
  POPULUS_RETURN_IF_ERROR(LoadRegisterRules(pack.registers, pack.codelists, &out->registers));
  POPULUS_RETURN_IF_ERROR(
      LoadEfiDefinition(pack.efi.definition, pack.efi.categories, pack.codelists, &out->efi));
  out->efi_from_age = pack.efi.from_age;
  CriteriaContext context;
  context.codelist_root = pack.codelists;
  for (const RegisterRule& r : out->registers) context.registers.push_back(r.code);
  context.efi_categories = out->efi.categories;
  out->criteria = std::make_unique<CriteriaSet>(context);
  CriteriaSet* criteria = out->criteria.get();
  POPULUS_RETURN_IF_ERROR(LoadWeightedScore(pack.cambridge_score, criteria, &out->cms));
  POPULUS_RETURN_IF_ERROR(LoadSegmentation(pack.segments, criteria, &out->segments));
  POPULUS_RETURN_IF_ERROR(LoadSegmentation(pack.care_model_tiers, criteria, &out->tiers));
  POPULUS_RETURN_IF_ERROR(LoadWorklists(pack.worklists, criteria, &out->worklists));
  POPULUS_RETURN_IF_ERROR(out->qrisk3.Load(pack.qrisk3, pack.codelists, criteria));
  POPULUS_RETURN_IF_ERROR(LoadIndicators(pack.indicators, criteria, &out->indicators));
  POPULUS_RETURN_IF_ERROR(ReadWholeNumberMap(pack.qrisk3.ethnicity_codes, kCensusEthnicityColumns,
                                             "code", "group_6", 1, 5, &out->ethnic_group_of_code));
  out->disclosure = {pack.suppress_up_to, pack.round_to};
  return Status::Ok();
}

// The as-of date: `requested`, or the extract date; it must lie within the
// data (from the first event to the extract date).
Status ResolveAsOf(const Snapshot& snapshot, Date requested, Date* as_of) {
  Date extract = kNoDate;
  ParseIsoDate(snapshot.manifest().value("extract_date", std::string()), &extract);
  *as_of = requested == kNoDate ? extract : requested;
  Date earliest = kNoDate;
  const auto& ranges = snapshot.manifest()["date_ranges"];
  if (ranges.contains("events") && ranges["events"].is_object()) {
    ParseIsoDate(ranges["events"].value("min", std::string()), &earliest);
  }
  if (*as_of == kNoDate || (extract != kNoDate && *as_of > extract) ||
      (earliest != kNoDate && *as_of < earliest)) {
    return Status::Usage(
        fmt::format("--as-of {} is outside the data, which runs from {} to the extract date {}",
                    FormatIsoDate(*as_of), FormatIsoDate(earliest), FormatIsoDate(extract)));
  }
  return Status::Ok();
}

// Stage 1, the population: who is in it on the date, their registers and
// eFI deficits, and the emergency admission risk model fitted on the record.
struct Population {
  Date as_of = kNoDate;
  RegisterResult registers;
  std::vector<int8_t> deficits;  // -1: not assessed
  AdmissionRiskModel model;
  AdmissionRiskScores risk;
};

Status BuildPopulation(const Snapshot& snapshot, const Rules& rules, Date as_of, bool core_only,
                       Population* out) {
  out->as_of = as_of;
  out->registers = EvaluateRegisters(snapshot, rules.registers, as_of);
  out->deficits =
      EvaluateEfi(snapshot, rules.efi, out->registers.in_population, as_of, rules.efi_from_age);
  if (core_only) {
    out->model.not_fitted_reason = "--core-only";
    out->risk.top_percent.assign(snapshot.patients().rows, NAN);
    return Status::Ok();
  }
  return FitAdmissionRisk(snapshot, rules.registers, rules.efi, as_of, out->registers,
                          AdmissionRiskOptions(), &out->model, &out->risk);
}

// One patient's row of a practice's worklist file.
struct WorklistRow {
  uint32_t practice;
  size_t worklist;
  uint32_t patient;
  std::string line;
  bool operator<(const WorklistRow& o) const {
    return std::tie(practice, worklist, patient) < std::tie(o.practice, o.worklist, o.patient);
  }
};

// Stage 2, the per-person assessment: each person's Cambridge score,
// QRISK3 band, indicators, segment, tier and worklists (-1 or 0 for people
// outside the population, and for everyone under --core-only).
struct Assessment {
  std::vector<float> cms;
  std::vector<int8_t> segment, tier;
  std::vector<int8_t> qrisk3_band;   // under 10%, 10-20%, 20%+, not scored; -1: not eligible
  std::vector<uint64_t> worklists;   // bit w: on worklist w
  std::vector<uint64_t> indicators;  // bits 2k, 2k+1: in indicator k's denominator, numerator
  std::map<uint32_t, std::vector<WorklistRow>> worklist_rows;  // by practice row, in order
};

// Nobody assessed (--core-only).
Assessment NoAssessment(size_t patients) {
  Assessment a;
  a.cms.assign(patients, 0);
  a.segment.assign(patients, -1);
  a.tier.assign(patients, -1);
  a.qrisk3_band.assign(patients, -1);
  a.worklists.assign(patients, 0);
  a.indicators.assign(patients, 0);
  return a;
}

// On threads over contiguous ranges of patients; every result is by
// patient, so nothing depends on the threads.
Assessment AssessPeople(const Snapshot& snapshot, const Rules& rules, const Population& pop) {
  const RegisterResult& r = pop.registers;
  const size_t patients = r.in_population.size();
  Assessment a = NoAssessment(patients);
  const auto practice = snapshot.patients().practice;
  const size_t threads = WorkerThreads();
  std::vector<std::vector<WorklistRow>> rows_of_thread(threads);
  auto assess = [&](size_t thread) {
    CriteriaSet::Evaluator evaluator(*rules.criteria, snapshot, pop.as_of);
    const CardiovascularRisk::Reader qrisk3_reader(rules.qrisk3, snapshot, pop.as_of);
    std::string missing;
    const auto from = static_cast<uint32_t>(patients * thread / threads),
               to = static_cast<uint32_t>(patients * (thread + 1) / threads);
    for (uint32_t p = from; p < to; ++p) {
      if (!r.in_population[p]) continue;
      PatientState s = BasicPatientState(snapshot, r, pop.deficits, rules.efi, p, pop.as_of);
      s.admission_risk_top_percent = pop.risk.top_percent[p];
      evaluator.Load(p);
      s.cms = rules.cms.Score(evaluator, s);
      a.cms[p] = static_cast<float>(s.cms);
      double cvd = NAN;
      const auto outcome = qrisk3_reader.Score(p, s, evaluator, &cvd, &missing);
      if (outcome == CardiovascularRisk::Reader::Outcome::kScored) {
        s.qrisk3 = cvd;
        a.qrisk3_band[p] = cvd < 10 ? 0 : cvd < 20 ? 1 : 2;
      } else if (outcome == CardiovascularRisk::Reader::Outcome::kNotScored) {
        a.qrisk3_band[p] = 3;
      }
      for (size_t k = 0; k < rules.indicators.size(); ++k) {
        const Indicator& indicator = rules.indicators[k];
        if (indicator.denominator >= 0 && !evaluator.Matches(indicator.denominator, s)) continue;
        a.indicators[p] |= uint64_t{1} << (2 * k);
        if (evaluator.Matches(indicator.numerator, s)) a.indicators[p] |= uint64_t{2} << (2 * k);
      }
      a.segment[p] = static_cast<int8_t>(rules.segments.Assign(evaluator, s));
      a.tier[p] = static_cast<int8_t>(rules.tiers.Assign(evaluator, s));
      for (size_t w = 0; w < rules.worklists.size(); ++w) {
        const Worklist& list = rules.worklists[w];
        std::string reasons;
        for (size_t k = 0; k < list.criteria.size(); ++k) {
          if (evaluator.Matches(list.criteria[k], s)) {
            reasons += (reasons.empty() ? "" : "; ") + list.reasons[k];
          }
        }
        if (reasons.empty()) continue;
        a.worklists[p] |= uint64_t{1} << w;
        std::string values;
        for (const ShownValue& v : list.shown) {
          values += (values.empty() ? "" : "; ") + v.label + "=" +
                    ShownValueText(v, s, rules.efi, evaluator);
        }
        rows_of_thread[thread].push_back(
            {practice[p], w, p,
             CsvLine({std::string(snapshot.patients().pseudonym[p]), list.code, list.name, reasons,
                      std::to_string(s.age), std::string(Name(static_cast<Sex>(s.sex))), values})});
      }
    }
  };
  ForEachRange(threads, threads, [&](size_t t, size_t, size_t) { assess(t); });
  for (auto& rows : rows_of_thread) {
    for (auto& row : rows) a.worklist_rows[row.practice].push_back(std::move(row));
  }
  for (auto& [practice_row, rows] : a.worklist_rows) std::sort(rows.begin(), rows.end());
  return a;
}

// Stage 3, the tally by organisation level: every count, by [level][unit]
// (and item), in one pass in patient order.
struct Tally {
  Tally(const Hierarchy& h, const Rules& rules)
      : population(4),
        on_register(EmptyCounts(h, rules.registers.size())),
        conditions(EmptyCounts(h, 5)),
        frailty(EmptyCounts(h, rules.efi.categories.size())),
        in_segment(EmptyCounts(h, rules.segments.codes.size())),
        in_tier(EmptyCounts(h, rules.tiers.codes.size())),
        in_risk_tier(EmptyCounts(h, 4)),
        on_worklist(EmptyCounts(h, rules.worklists.size())),
        qrisk3_bands(EmptyCounts(h, 4)),
        pyramid(EmptyCounts(h, 38)),
        cms_sum(4),
        indicators(rules.indicators, UnitCounts(h)) {
    for (size_t l = 0; l < 4; ++l) {
      population[l].assign(h.units[l].size(), 0);
      cms_sum[l].assign(h.units[l].size(), 0);
    }
  }
  static std::vector<size_t> UnitCounts(const Hierarchy& h) {
    std::vector<size_t> n;
    for (const auto& units : h.units) n.push_back(units.size());
    return n;
  }

  std::vector<std::vector<int64_t>> population;
  LevelCounts on_register, conditions, frailty, in_segment, in_tier, in_risk_tier, on_worklist;
  LevelCounts qrisk3_bands;  // among the eligible: under 10%, 10-20%, 20%+, not scored
  LevelCounts pyramid;       // 19 age bands (0-4 ... 90+) by female, male
  std::vector<std::vector<double>> cms_sum;
  IndicatorTally indicators;
};

void TallyByLevel(const Snapshot& snapshot, const Hierarchy& h, const Rules& rules,
                  const Population& pop, const Assessment& a, Tally* t, AnalyseResult* result) {
  const RegisterResult& r = pop.registers;
  const auto practice = snapshot.patients().practice;
  const auto birth = snapshot.patients().date_of_birth;
  const auto sex = snapshot.patients().sex;
  const auto imd = snapshot.patients().imd_decile;
  const CodeColumn ethnicity = snapshot.patients().ethnicity;
  std::vector<int> ethnic_group(ethnicity.dictionary_size(), 0);
  for (uint32_t id = 0; id < ethnicity.dictionary_size(); ++id) {
    const auto it = rules.ethnic_group_of_code.find(std::string(ethnicity.dictionary_entry(id)));
    if (it != rules.ethnic_group_of_code.end()) ethnic_group[id] = it->second;
  }
  std::vector<int> unit_of(4);
  for (uint32_t p = 0; p < r.in_population.size(); ++p) {
    if (!r.in_population[p]) continue;
    ++result->population;
    const int age = AgeInYears(birth[p], pop.as_of);
    const int efi_category = pop.deficits[p] >= 0 ? rules.efi.Category(pop.deficits[p]) : -1;
    const int risk_tier =
        std::isnan(pop.risk.top_percent[p]) ? -1 : RiskTier(pop.risk.top_percent[p]);
    const int n = r.conditions[p];
    const int band = a.qrisk3_band[p];
    result->one_or_more += n >= 1;
    result->two_or_more += n >= 2;
    result->three_or_more += n >= 3;
    result->efi_assessed += efi_category >= 0;
    result->efi_frail += efi_category >= 1;
    result->qrisk3_eligible += band >= 0;
    result->qrisk3_scored += band >= 0 && band <= 2;
    result->qrisk3_10_plus += band == 1 || band == 2;
    result->worklist_rows += static_cast<uint64_t>(std::popcount(a.worklists[p]));
    PersonGroups groups;
    groups.age = age;
    groups.age_band_19 = AgeBand(age);
    groups.imd_quintile = imd[p] == kNoImdDecile ? 0 : (imd[p] + 1) / 2;
    groups.sex = sex[p] == static_cast<uint8_t>(Sex::kFemale) ? 0
                 : sex[p] == static_cast<uint8_t>(Sex::kMale) ? 1
                                                              : 2;
    groups.ethnic_group = ethnic_group[ethnicity.id(p)];
    for (size_t l = 0; l < 4; ++l) unit_of[l] = h.unit_of[l][practice[p]];
    for (size_t k = 0; k < rules.indicators.size(); ++k) {
      if (a.indicators[p] >> (2 * k) & 1) {
        t->indicators.Add(k, unit_of, groups, (a.indicators[p] >> (2 * k + 1) & 1) != 0);
      }
    }
    for (size_t l = 0; l < 4; ++l) {
      if (unit_of[l] < 0) continue;
      const auto u = static_cast<size_t>(unit_of[l]);
      ++t->population[l][u];
      if (groups.sex < 2) {
        ++t->pyramid[l][u][static_cast<size_t>(groups.age_band_19 * 2 + groups.sex)];
      }
      ++t->conditions[l][u][static_cast<size_t>(std::min(n, 4))];
      t->cms_sum[l][u] += a.cms[p];
      if (efi_category >= 0) ++t->frailty[l][u][static_cast<size_t>(efi_category)];
      for (uint64_t bits = r.registers[p]; bits != 0; bits &= bits - 1) {
        ++t->on_register[l][u][static_cast<size_t>(std::countr_zero(bits))];
      }
      if (a.segment[p] >= 0) ++t->in_segment[l][u][static_cast<size_t>(a.segment[p])];
      if (a.tier[p] >= 0) ++t->in_tier[l][u][static_cast<size_t>(a.tier[p])];
      if (risk_tier >= 0) ++t->in_risk_tier[l][u][static_cast<size_t>(risk_tier)];
      if (band >= 0) ++t->qrisk3_bands[l][u][static_cast<size_t>(band)];
      for (uint64_t bits = a.worklists[p]; bits != 0; bits &= bits - 1) {
        ++t->on_worklist[l][u][static_cast<size_t>(std::countr_zero(bits))];
      }
    }
  }
}

// Stage 4, the tables: one writer per table, every count protected.

// multimorbidity.csv: people by number of long-term conditions, and the
// mean Cambridge Multimorbidity Score (not under --core-only).
std::string MultimorbidityTable(const Tally& t, bool with_cms, const Organisations& orgs,
                                LevelProtection* protection) {
  std::string out =
      "level,organisation_code,organisation_name,population,ltc_0,ltc_1,ltc_2,ltc_3,ltc_4_plus,"
      "two_plus_per_100,three_plus_per_100,cms_mean\n";
  const ProtectedHierarchy p = protection->Protect("multimorbidity.csv", t.conditions);
  for (size_t l = 0; l < 4; ++l) {
    const ProtectedLevel& level = p.levels[l];
    for (size_t u = 0; u < t.conditions[l].size(); ++u) {
      const int64_t pop = t.population[l][u];
      const auto& c = level.cells[u];
      const ProtectedCell& total = level.row_totals[u];
      // Shares of the published counts, shown only when every count they
      // add up is.
      auto per100 = [&](size_t from) {
        int64_t k = 0;
        for (size_t i = from; i < 5; ++i) {
          if (!c[i].shown()) return std::string();
          k += c[i].value;
        }
        return total.shown() && total.value > 0
                   ? FormatFixed(100.0 * static_cast<double>(k) / static_cast<double>(total.value))
                   : std::string();
      };
      std::vector<std::string> row = orgs.Lead(l, u);
      row.push_back(ShownCount(total));
      for (size_t k = 0; k < 5; ++k) row.push_back(ShownCount(c[k]));
      row.push_back(per100(2));
      row.push_back(per100(3));
      row.push_back(total.shown() && pop > 0 && with_cms
                        ? FormatFixed(t.cms_sum[l][u] / static_cast<double>(pop))
                        : std::string());
      out += CsvLine(row);
    }
  }
  return out;
}

// frailty.csv: people assessed by eFI category; assessed_ages says whom the
// eFI was computed for (the rule pack's frailty.from_age).
std::string FrailtyTable(const Tally& t, const Rules& rules, const Organisations& orgs,
                         LevelProtection* protection) {
  const std::vector<std::string>& categories = rules.efi.categories;
  std::string out = "level,organisation_code,organisation_name,assessed_ages,assessed";
  for (const auto& c : categories) out += "," + c;
  out += ",frail_per_100\n";
  const ProtectedHierarchy p = protection->Protect("frailty.csv", t.frailty);
  for (size_t l = 0; l < 4; ++l) {
    const ProtectedLevel& level = p.levels[l];
    for (size_t u = 0; u < t.frailty[l].size(); ++u) {
      const ProtectedCell& total = level.row_totals[u];
      // The frail share of the published counts: every category above the
      // first must be shown.
      int64_t frail = 0;
      bool frail_shown = total.shown() && total.value > 0;
      for (size_t c = 1; c < categories.size(); ++c) {
        frail_shown = frail_shown && level.cells[u][c].shown();
        frail += level.cells[u][c].value;
      }
      std::vector<std::string> row = orgs.Lead(l, u);
      row.push_back(fmt::format("{}+", rules.efi_from_age));
      row.push_back(ShownCount(total));
      for (size_t c = 0; c < categories.size(); ++c) row.push_back(ShownCount(level.cells[u][c]));
      row.push_back(frail_shown ? FormatFixed(100.0 * static_cast<double>(frail) /
                                              static_cast<double>(total.value))
                                : std::string());
      out += CsvLine(row);
    }
  }
  return out;
}

// population.csv: people by age band and sex (female and male; people
// recorded otherwise are in the population total but not the pyramid).
std::string PopulationTable(const Tally& t, const Organisations& orgs,
                            LevelProtection* protection) {
  std::string out =
      "level,organisation_code,organisation_name,age_band,sex,patients,population_female_male\n";
  const ProtectedHierarchy p = protection->Protect("population.csv", t.pyramid);
  for (size_t l = 0; l < 4; ++l) {
    const ProtectedLevel& level = p.levels[l];
    for (size_t u = 0; u < t.pyramid[l].size(); ++u) {
      for (size_t c = 0; c < 38; ++c) {
        const size_t band = c / 2;
        std::vector<std::string> row = orgs.Lead(l, u);
        row.push_back(AgeBandName(static_cast<int>(band)));
        row.push_back(c % 2 == 0 ? "female" : "male");
        row.push_back(ShownCount(level.cells[u][c]));
        row.push_back(ShownCount(level.row_totals[u]));
        out += CsvLine(row);
      }
    }
  }
  return out;
}

// indicators.csv and inequalities.csv: each indicator's levels and
// inequality groups protected together (the groups of each dimension add
// up to the ICS row), or apart when they do not add up (someone counted in
// a group without an ICS).
std::pair<std::string, std::string> IndicatorTables(const Tally& t, const Rules& rules,
                                                    const Hierarchy& h, const Organisations& orgs,
                                                    LevelProtection* protection) {
  std::vector<ProtectedHierarchy> by_unit, by_group;
  for (size_t k = 0; k < rules.indicators.size(); ++k) {
    const std::string what = "indicators.csv and inequalities.csv " + rules.indicators[k].code;
    if (t.indicators.BreakdownsAddUp(k)) {
      by_unit.push_back(protection->Protect(what, t.indicators.DisclosureCounts(k, h.parent, true),
                                            {true, false}));
      by_group.push_back(by_unit.back());
    } else {
      by_unit.push_back(protection->Protect(what, t.indicators.DisclosureCounts(k, h.parent, false),
                                            {true, false}));
      HierarchicalCounts groups = t.indicators.DisclosureCounts(k, h.parent, true);
      groups.counts.clear();
      groups.parent.clear();
      by_group.push_back(protection->Protect(what, groups, {true, false}));
    }
  }
  return {t.indicators.IndicatorsCsv([&](size_t l, size_t u) { return orgs.Lead(l, u); }, by_unit),
          t.indicators.InequalitiesCsv(by_group)};
}

// Every table, named by file; an empty text is not written (the admission
// risk tables of a model that was not fitted). Tables that fail the
// disclosure audit are in `protection`'s failures.
std::vector<std::pair<std::string, std::string>> Tables(const Rules& rules, const Population& pop,
                                                        const Tally& t, const Hierarchy& h,
                                                        const Organisations& orgs, bool core_only,
                                                        LevelProtection* protection) {
  std::vector<std::string> register_codes, register_names;
  for (const RegisterRule& rule : rules.registers) {
    register_codes.push_back(rule.code);
    register_names.push_back(rule.name);
  }
  std::vector<std::pair<std::string, std::string>> tables = {
      {"population.csv", PopulationTable(t, orgs, protection)},
      {"registers.csv", MembershipTable("registers.csv", "register", register_codes, register_names,
                                        t.on_register, t.population, orgs, protection)},
      {"multimorbidity.csv", MultimorbidityTable(t, !core_only, orgs, protection)},
      {"frailty.csv", FrailtyTable(t, rules, orgs, protection)},
  };
  if (core_only) return tables;
  const AdmissionRiskModel& model = pop.model;
  const DisclosureRules& dc = rules.disclosure;
  const std::vector<std::string> risk_tier_codes(std::begin(kRiskTierNames),
                                                 std::end(kRiskTierNames));
  const std::vector<std::string> risk_tier_names = {"riskiest 0.5%", "0.5% to 5%", "5% to 20%",
                                                    "the rest"};
  std::vector<std::string> worklist_codes, worklist_names;
  for (const Worklist& w : rules.worklists) {
    worklist_codes.push_back(w.code);
    worklist_names.push_back(w.name);
  }
  auto [indicators, inequalities] = IndicatorTables(t, rules, h, orgs, protection);
  const std::pair<std::string, std::string> more[] = {
      {"segments.csv", PartitionTable("segments.csv", "segment", rules.segments.codes,
                                      rules.segments.names, t.in_segment, orgs, protection)},
      {"care_model_tiers.csv", PartitionTable("care_model_tiers.csv", "tier", rules.tiers.codes,
                                              rules.tiers.names, t.in_tier, orgs, protection)},
      {"admission_risk_tiers.csv",
       model.fitted ? PartitionTable("admission_risk_tiers.csv", "risk_tier", risk_tier_codes,
                                     risk_tier_names, t.in_risk_tier, orgs, protection)
                    : std::string()},
      {"admission_risk_model.csv", model.fitted ? RiskModelTable(model) : std::string()},
      {"admission_risk_evaluation.csv", RiskEvaluationTable(model, dc)},
      {"admission_risk_calibration.csv",
       model.fitted ? RiskCalibrationTable(model, dc) : std::string()},
      {"qrisk3.csv", PartitionTable("qrisk3.csv", "qrisk3_band",
                                    {"under_10", "10_to_20", "20_plus", "not_scored"},
                                    {"under 10%", "10% to under 20%", "20% and over",
                                     "eligible but not scored (an input missing or out of range)"},
                                    t.qrisk3_bands, orgs, protection)},
      {"indicators.csv", std::move(indicators)},
      {"inequalities.csv", std::move(inequalities)},
      {"worklist_counts.csv",
       MembershipTable("worklist_counts.csv", "worklist", worklist_codes, worklist_names,
                       t.on_worklist, t.population, orgs, protection)},
  };
  for (const auto& table : more) tables.push_back(table);
  return tables;
}

// A table as CSV and as JSON (the same rows, read back from the CSV).
Status WriteTable(const std::string& csv_path, const std::string& text) {
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(csv_path, text));
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(csv_path, &t));
  return WriteFileAtomically(csv_path.substr(0, csv_path.size() - 4) + ".json", TableJson(t));
}

// Worklists: one file per practice, for that practice's clinicians only.
Status WriteWorklists(const Snapshot& snapshot, const Assessment& a, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& [org, rows] : a.worklist_rows) {
    const std::string code(snapshot.organisations().code[org]);
    if (code.empty() ||
        code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789-_") != std::string::npos) {
      return Status::Data(fmt::format(
          "practice code '{}' cannot name a worklist file (letters, digits, - and _ only)", code));
    }
    std::string text = "pseudonym,worklist,worklist_name,reasons,age,sex,values\n";
    for (const auto& row : rows) text += row.line;
    POPULUS_RETURN_IF_ERROR(WriteTable(dir + "/" + code + ".csv", text));
  }
  return Status::Ok();
}

}  // namespace

PatientState BasicPatientState(const Snapshot& snapshot, const RegisterResult& registers,
                               const std::vector<int8_t>& deficits, const EfiDefinition& efi,
                               uint32_t p, Date as_of) {
  PatientState s;
  s.age = AgeInYears(snapshot.patients().date_of_birth[p], as_of);
  s.sex = snapshot.patients().sex[p];
  s.care_home = snapshot.patients().care_home[p] == 1;
  s.registers = registers.registers[p];
  s.ltc = registers.conditions[p];
  s.efi_deficits = deficits[p];
  s.efi_category = deficits[p] >= 0 ? efi.Category(deficits[p]) : -1;
  return s;
}

Status Analyse(const AnalyseOptions& options, AnalyseResult* result) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Snapshot> snapshot;
  POPULUS_RETURN_IF_ERROR(Snapshot::Open(options.data_dir, &snapshot));
  Rules rules;
  POPULUS_RETURN_IF_ERROR(LoadRules(options.rules, &rules));
  Date as_of = kNoDate;
  POPULUS_RETURN_IF_ERROR(ResolveAsOf(*snapshot, options.as_of, &as_of));
  OutputDirectory out;
  POPULUS_RETURN_IF_ERROR(out.Begin(options.out_dir, options.overwrite, "populus analyse"));

  Population pop;
  POPULUS_RETURN_IF_ERROR(BuildPopulation(*snapshot, rules, as_of, options.core_only, &pop));
  const Assessment assessment = options.core_only ? NoAssessment(pop.registers.in_population.size())
                                                  : AssessPeople(*snapshot, rules, pop);
  const Hierarchy h = BuildHierarchy(*snapshot);
  Tally tally(h, rules);
  TallyByLevel(*snapshot, h, rules, pop, assessment, &tally, result);

  const Organisations orgs{*snapshot, h};
  LevelProtection protection(h, rules.disclosure);
  const auto tables = Tables(rules, pop, tally, h, orgs, options.core_only, &protection);
  // A table that fails the audit is a fault in disclosure control: refuse
  // to publish anything.
  if (!protection.failures().empty()) {
    std::string which;
    for (const std::string& f : protection.failures()) which += (which.empty() ? "" : "; ") + f;
    return Status::Internal(
        "disclosure control did not protect every table, so nothing was written: " + which);
  }
  for (const auto& [file, text] : tables) {
    if (!text.empty()) POPULUS_RETURN_IF_ERROR(WriteTable(out.staging() + "/" + file, text));
  }
  if (!options.core_only) {
    POPULUS_RETURN_IF_ERROR(WriteWorklists(*snapshot, assessment, out.staging() + "/worklists"));
    ReportFacts facts;
    facts.as_of = FormatIsoDate(as_of);
    facts.snapshot = snapshot->version();
    facts.generated_by = "populus analyse";
    facts.suppress_up_to = rules.disclosure.suppress_up_to;
    facts.round_to = rules.disclosure.round_to;
    POPULUS_RETURN_IF_ERROR(WriteReport(out.staging(), facts));
  }
  POPULUS_RETURN_IF_ERROR(out.Finish());
  result->as_of = as_of;
  result->risk_model_fitted = pop.model.fitted;
  result->risk_model_not_fitted_reason = pop.model.not_fitted_reason;
  result->risk_auc = pop.model.auc;
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace populus::analysis
