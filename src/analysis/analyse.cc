#include "analysis/analyse.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
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
          audit.consistent
              ? fmt::format("{} ({} withheld counts can be worked out)", what, audit.derivable)
              : fmt::format("{} (the counts do not add up)", what));
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
  std::vector<RegisterRule> rules;
  POPULUS_RETURN_IF_ERROR(LoadRegisterRules(options.registers_path, options.codelist_root, &rules));
  EfiDefinition efi;
  POPULUS_RETURN_IF_ERROR(LoadEfiDefinition(options.efi_definition, options.efi_categories,
                                            options.codelist_root, &efi));
  CriteriaContext context;
  context.codelist_root = options.codelist_root;
  for (const RegisterRule& r : rules) context.registers.push_back(r.code);
  context.efi_categories = efi.categories;
  CriteriaSet criteria(context);
  WeightedScore cms;
  POPULUS_RETURN_IF_ERROR(LoadWeightedScore(options.cambridge_score, &criteria, &cms));
  Segmentation segments, tiers;
  POPULUS_RETURN_IF_ERROR(LoadSegmentation(options.segments, &criteria, &segments));
  POPULUS_RETURN_IF_ERROR(LoadSegmentation(options.care_model_tiers, &criteria, &tiers));
  std::vector<Worklist> worklists;
  POPULUS_RETURN_IF_ERROR(LoadWorklists(options.worklists, &criteria, &worklists));
  CardiovascularRisk qrisk3;
  CardiovascularRiskFiles qrisk3_files = options.qrisk3;
  qrisk3_files.codelist_root = options.codelist_root;
  POPULUS_RETURN_IF_ERROR(qrisk3.Load(qrisk3_files, &criteria));
  std::vector<Indicator> indicators;
  POPULUS_RETURN_IF_ERROR(LoadIndicators(options.indicators, &criteria, &indicators));
  // Ethnic groups (the census's five, by code) for the inequality breakdowns.
  std::unordered_map<std::string, int> group_of_code;
  POPULUS_RETURN_IF_ERROR(ReadWholeNumberMap(options.qrisk3.ethnicity_codes,
                                             kCensusEthnicityColumns, "code", "group_6", 1, 5,
                                             &group_of_code));
  // The as-of date: given, or the extract date; it must lie within the data.
  Date extract = kNoDate;
  ParseIsoDate(snapshot->manifest().value("extract_date", std::string()), &extract);
  const Date as_of = options.as_of == kNoDate ? extract : options.as_of;
  Date earliest = kNoDate;
  const auto& ranges = snapshot->manifest()["date_ranges"];
  if (ranges.contains("events") && ranges["events"].is_object()) {
    ParseIsoDate(ranges["events"].value("min", std::string()), &earliest);
  }
  if (as_of == kNoDate || (extract != kNoDate && as_of > extract) ||
      (earliest != kNoDate && as_of < earliest)) {
    return Status::Usage(
        fmt::format("--as-of {} is outside the data, which runs from {} to the extract date {}",
                    FormatIsoDate(as_of), FormatIsoDate(earliest), FormatIsoDate(extract)));
  }
  OutputDirectory out;
  POPULUS_RETURN_IF_ERROR(out.Begin(options.out_dir, options.overwrite, "populus analyse"));

  const RegisterResult r = EvaluateRegisters(*snapshot, rules, as_of);
  const std::vector<int8_t> deficits =
      EvaluateEfi(*snapshot, efi, r.in_population, as_of, options.efi_from_age);
  AdmissionRiskModel model;
  AdmissionRiskScores risk;
  if (options.core_only) {
    model.not_fitted_reason = "--core-only";
    risk.top_percent.assign(snapshot->patients().rows, NAN);
  } else {
    POPULUS_RETURN_IF_ERROR(
        FitAdmissionRisk(*snapshot, rules, efi, as_of, r, AdmissionRiskOptions(), &model, &risk));
  }
  const Hierarchy h = BuildHierarchy(*snapshot);
  const Organisations orgs{*snapshot, h};
  const auto practice = snapshot->patients().practice;
  const auto birth = snapshot->patients().date_of_birth;
  const auto sex = snapshot->patients().sex;
  const auto imd = snapshot->patients().imd_decile;
  const CodeColumn ethnicity = snapshot->patients().ethnicity;
  std::vector<int> ethnic_group(ethnicity.dictionary_size(), 0);
  for (uint32_t id = 0; id < ethnicity.dictionary_size(); ++id) {
    const auto it = group_of_code.find(std::string(ethnicity.dictionary_entry(id)));
    if (it != group_of_code.end()) ethnic_group[id] = it->second;
  }
  std::vector<size_t> unit_counts;
  for (const auto& units : h.units) unit_counts.push_back(units.size());
  IndicatorTally tally(indicators, unit_counts);
  std::vector<int> unit_of(4);
  const auto pseudonym = [&](uint32_t p) { return std::string(snapshot->patients().pseudonym[p]); };

  // Counts by level and unit.
  std::vector<std::vector<int64_t>> population(4);
  for (size_t l = 0; l < 4; ++l) population[l].assign(h.units[l].size(), 0);
  LevelCounts on = EmptyCounts(h, rules.size()), conditions = EmptyCounts(h, 5),
              frailty = EmptyCounts(h, efi.categories.size()),
              in_segment = EmptyCounts(h, segments.codes.size()),
              in_tier = EmptyCounts(h, tiers.codes.size()), in_risk_tier = EmptyCounts(h, 4),
              on_worklist = EmptyCounts(h, worklists.size());
  std::vector<std::vector<double>> cms_sum(4);
  for (size_t l = 0; l < 4; ++l) cms_sum[l].assign(h.units[l].size(), 0);

  // QRISK3 among the eligible: under 10%, 10-20%, 20% and over, not scored.
  LevelCounts qrisk3_bands = EmptyCounts(h, 4);
  // The population pyramid: 19 age bands (0-4 ... 90+) by female, male.
  LevelCounts pyramid = EmptyCounts(h, 38);

  // Each patient, on threads over contiguous ranges: their score, segment,
  // tier, QRISK3 band, worklists and indicators. The counts are then made
  // in one pass in patient order, so they do not depend on the threads.
  const size_t patients = r.in_population.size();
  std::vector<float> cms_of(patients, 0);
  std::vector<int8_t> segment_of(patients, -1), tier_of(patients, -1), band_of(patients, -1);
  std::vector<uint64_t> lists_of(patients, 0), indicators_of(patients, 0);
  struct WorklistRow {
    uint32_t practice;
    size_t worklist;
    uint32_t patient;
    std::string line;
    bool operator<(const WorklistRow& o) const {
      return std::tie(practice, worklist, patient) < std::tie(o.practice, o.worklist, o.patient);
    }
  };
  const size_t threads = WorkerThreads();
  std::vector<std::vector<WorklistRow>> rows_of_thread(threads);
  auto assess = [&](size_t thread) {
    CriteriaSet::Evaluator evaluator(criteria, *snapshot, as_of);
    const CardiovascularRisk::Reader qrisk3_reader(qrisk3, *snapshot, as_of);
    std::string missing;
    const auto from = static_cast<uint32_t>(patients * thread / threads),
               to = static_cast<uint32_t>(patients * (thread + 1) / threads);
    for (uint32_t p = from; p < to; ++p) {
      if (!r.in_population[p]) continue;
      PatientState s = BasicPatientState(*snapshot, r, deficits, efi, p, as_of);
      s.admission_risk_top_percent = risk.top_percent[p];
      evaluator.Load(p);
      s.cms = cms.Score(evaluator, s);
      cms_of[p] = static_cast<float>(s.cms);
      double cvd = NAN;
      const auto outcome = qrisk3_reader.Score(p, s, evaluator, &cvd, &missing);
      if (outcome == CardiovascularRisk::Reader::Outcome::kScored) {
        s.qrisk3 = cvd;
        band_of[p] = cvd < 10 ? 0 : cvd < 20 ? 1 : 2;
      } else if (outcome == CardiovascularRisk::Reader::Outcome::kNotScored) {
        band_of[p] = 3;
      }
      for (size_t k = 0; k < indicators.size(); ++k) {
        if (indicators[k].denominator >= 0 && !evaluator.Matches(indicators[k].denominator, s)) {
          continue;
        }
        indicators_of[p] |= uint64_t{1} << (2 * k);
        if (evaluator.Matches(indicators[k].numerator, s)) {
          indicators_of[p] |= uint64_t{2} << (2 * k);
        }
      }
      segment_of[p] = static_cast<int8_t>(segments.Assign(evaluator, s));
      tier_of[p] = static_cast<int8_t>(tiers.Assign(evaluator, s));
      for (size_t w = 0; w < worklists.size(); ++w) {
        std::string reasons;
        for (size_t k = 0; k < worklists[w].criteria.size(); ++k) {
          if (evaluator.Matches(worklists[w].criteria[k], s)) {
            reasons += (reasons.empty() ? "" : "; ") + worklists[w].reasons[k];
          }
        }
        if (reasons.empty()) continue;
        lists_of[p] |= uint64_t{1} << w;
        std::string values;
        for (const ShownValue& v : worklists[w].shown) {
          values +=
              (values.empty() ? "" : "; ") + v.label + "=" + ShownValueText(v, s, efi, evaluator);
        }
        rows_of_thread[thread].push_back(
            {practice[p], w, p,
             CsvLine({pseudonym(p), worklists[w].code, worklists[w].name, reasons,
                      std::to_string(s.age), std::string(Name(static_cast<Sex>(s.sex))), values})});
      }
    }
  };
  if (!options.core_only) {
    ForEachRange(threads, threads, [&](size_t t, size_t, size_t) { assess(t); });
  }
  std::map<uint32_t, std::vector<WorklistRow>> rows_by_practice;
  for (auto& rows : rows_of_thread) {
    for (auto& row : rows) rows_by_practice[row.practice].push_back(std::move(row));
  }

  for (uint32_t p = 0; p < patients; ++p) {
    if (!r.in_population[p]) continue;
    ++result->population;
    const int age = AgeInYears(birth[p], as_of);
    const int efi_category = deficits[p] >= 0 ? efi.Category(deficits[p]) : -1;
    const int risk_tier = std::isnan(risk.top_percent[p]) ? -1 : RiskTier(risk.top_percent[p]);
    const int n = r.conditions[p];
    result->one_or_more += n >= 1;
    result->two_or_more += n >= 2;
    result->three_or_more += n >= 3;
    result->efi_assessed += efi_category >= 0;
    result->efi_frail += efi_category >= 1;
    result->qrisk3_eligible += band_of[p] >= 0;
    result->qrisk3_scored += band_of[p] >= 0 && band_of[p] <= 2;
    result->qrisk3_10_plus += band_of[p] == 1 || band_of[p] == 2;
    result->worklist_rows += static_cast<uint64_t>(std::popcount(lists_of[p]));
    PersonGroups groups;
    groups.age = age;
    groups.age_band_19 = std::min(age / 5, 18);
    groups.imd_quintile = imd[p] == kNoImdDecile ? 0 : (imd[p] + 1) / 2;
    groups.sex = sex[p] == static_cast<uint8_t>(Sex::kFemale) ? 0
                 : sex[p] == static_cast<uint8_t>(Sex::kMale) ? 1
                                                              : 2;
    groups.ethnic_group = ethnic_group[ethnicity.id(p)];
    for (size_t l = 0; l < 4; ++l) unit_of[l] = h.unit_of[l][practice[p]];
    for (size_t k = 0; k < indicators.size(); ++k) {
      if (indicators_of[p] >> (2 * k) & 1) {
        tally.Add(k, unit_of, groups, (indicators_of[p] >> (2 * k + 1) & 1) != 0);
      }
    }
    for (size_t l = 0; l < 4; ++l) {
      if (unit_of[l] < 0) continue;
      const auto u = static_cast<size_t>(unit_of[l]);
      ++population[l][u];
      if (groups.sex < 2) {
        ++pyramid[l][u][static_cast<size_t>(groups.age_band_19 * 2 + groups.sex)];
      }
      ++conditions[l][u][static_cast<size_t>(std::min(n, 4))];
      cms_sum[l][u] += cms_of[p];
      if (efi_category >= 0) ++frailty[l][u][static_cast<size_t>(efi_category)];
      for (uint64_t bits = r.registers[p]; bits != 0; bits &= bits - 1) {
        ++on[l][u][static_cast<size_t>(std::countr_zero(bits))];
      }
      if (segment_of[p] >= 0) ++in_segment[l][u][static_cast<size_t>(segment_of[p])];
      if (tier_of[p] >= 0) ++in_tier[l][u][static_cast<size_t>(tier_of[p])];
      if (risk_tier >= 0) ++in_risk_tier[l][u][static_cast<size_t>(risk_tier)];
      if (band_of[p] >= 0) ++qrisk3_bands[l][u][static_cast<size_t>(band_of[p])];
      for (uint64_t bits = lists_of[p]; bits != 0; bits &= bits - 1) {
        ++on_worklist[l][u][static_cast<size_t>(std::countr_zero(bits))];
      }
    }
  }

  std::vector<std::string> register_codes, register_names;
  for (const RegisterRule& rule : rules) {
    register_codes.push_back(rule.code);
    register_names.push_back(rule.name);
  }
  const DisclosureRules& dc = options.disclosure;
  LevelProtection protection(h, dc);
  const std::string registers = MembershipTable("registers.csv", "register", register_codes,
                                                register_names, on, population, orgs, &protection);
  // multimorbidity.csv: people by number of long-term conditions, and the
  // mean Cambridge Multimorbidity Score.
  std::string multimorbidity =
      "level,organisation_code,organisation_name,population,ltc_0,ltc_1,ltc_2,ltc_3,ltc_4_plus,"
      "two_plus_per_100,three_plus_per_100,cms_mean\n";
  const ProtectedHierarchy protected_conditions =
      protection.Protect("multimorbidity.csv", conditions);
  for (size_t l = 0; l < 4; ++l) {
    const ProtectedLevel& t = protected_conditions.levels[l];
    for (size_t u = 0; u < conditions[l].size(); ++u) {
      const int64_t pop = population[l][u];
      const auto& c = t.cells[u];
      // Shares of the published counts, shown only when every count they
      // add up is.
      auto per100 = [&](size_t from) {
        int64_t k = 0;
        for (size_t i = from; i < 5; ++i) {
          if (!c[i].shown()) return std::string();
          k += c[i].value;
        }
        const int64_t n = t.row_totals[u].value;
        return t.row_totals[u].shown() && n > 0
                   ? FormatFixed(100.0 * static_cast<double>(k) / static_cast<double>(n))
                   : std::string();
      };
      std::vector<std::string> row = orgs.Lead(l, u);
      row.push_back(ShownCount(t.row_totals[u]));
      for (size_t k = 0; k < 5; ++k) row.push_back(ShownCount(t.cells[u][k]));
      row.push_back(per100(2));
      row.push_back(per100(3));
      row.push_back(t.row_totals[u].shown() && pop > 0 && !options.core_only
                        ? FormatFixed(cms_sum[l][u] / static_cast<double>(pop))
                        : std::string());
      multimorbidity += CsvLine(row);
    }
  }
  // frailty.csv: people assessed by eFI category.
  // assessed_ages: whom the eFI was computed for (--efi-from-age).
  std::string frailty_csv = "level,organisation_code,organisation_name,assessed_ages,assessed";
  for (const auto& c : efi.categories) frailty_csv += "," + c;
  frailty_csv += ",frail_per_100\n";
  const ProtectedHierarchy protected_frailty = protection.Protect("frailty.csv", frailty);
  for (size_t l = 0; l < 4; ++l) {
    const ProtectedLevel& t = protected_frailty.levels[l];
    for (size_t u = 0; u < frailty[l].size(); ++u) {
      // The frail share of the published counts: every category above the
      // first must be shown.
      int64_t frail = 0;
      bool frail_shown = t.row_totals[u].shown() && t.row_totals[u].value > 0;
      for (size_t c = 1; c < efi.categories.size(); ++c) {
        frail_shown = frail_shown && t.cells[u][c].shown();
        frail += t.cells[u][c].value;
      }
      std::vector<std::string> row = orgs.Lead(l, u);
      row.push_back(fmt::format("{}+", options.efi_from_age));
      row.push_back(ShownCount(t.row_totals[u]));
      for (size_t c = 0; c < efi.categories.size(); ++c) row.push_back(ShownCount(t.cells[u][c]));
      row.push_back(frail_shown ? FormatFixed(100.0 * static_cast<double>(frail) /
                                              static_cast<double>(t.row_totals[u].value))
                                : std::string());
      frailty_csv += CsvLine(row);
    }
  }
  std::vector<std::string> tier_codes(std::begin(kRiskTierNames), std::end(kRiskTierNames));
  const std::vector<std::string> tier_names = {"riskiest 0.5%", "0.5% to 5%", "5% to 20%",
                                               "the rest"};
  std::vector<std::string> worklist_codes, worklist_names;
  for (const Worklist& w : worklists) {
    worklist_codes.push_back(w.code);
    worklist_names.push_back(w.name);
  }
  // population.csv: people by age band and sex (female and male; people
  // recorded otherwise are in the population total but not the pyramid).
  std::string population_csv =
      "level,organisation_code,organisation_name,age_band,sex,patients,population_female_male\n";
  const ProtectedHierarchy protected_pyramid = protection.Protect("population.csv", pyramid);
  for (size_t l = 0; l < 4; ++l) {
    const ProtectedLevel& t = protected_pyramid.levels[l];
    for (size_t u = 0; u < pyramid[l].size(); ++u) {
      for (size_t c = 0; c < 38; ++c) {
        const size_t band = c / 2;
        std::vector<std::string> row = orgs.Lead(l, u);
        row.push_back(band == 18 ? "90+" : fmt::format("{}-{}", band * 5, band * 5 + 4));
        row.push_back(c % 2 == 0 ? "female" : "male");
        row.push_back(ShownCount(t.cells[u][c]));
        row.push_back(ShownCount(t.row_totals[u]));
        population_csv += CsvLine(row);
      }
    }
  }
  // indicators.csv and inequalities.csv: each indicator's levels and
  // inequality groups protected together (the groups of each dimension add
  // up to the ICS row), or apart when they do not add up (someone counted
  // in a group without an ICS).
  std::vector<ProtectedHierarchy> by_unit, by_group;
  for (size_t k = 0; k < indicators.size(); ++k) {
    const std::string what = "indicators.csv and inequalities.csv " + indicators[k].code;
    if (tally.BreakdownsAddUp(k)) {
      by_unit.push_back(
          protection.Protect(what, tally.DisclosureCounts(k, h.parent, true), {true, false}));
      by_group.push_back(by_unit.back());
    } else {
      by_unit.push_back(
          protection.Protect(what, tally.DisclosureCounts(k, h.parent, false), {true, false}));
      HierarchicalCounts groups = tally.DisclosureCounts(k, h.parent, true);
      groups.counts.clear();
      groups.parent.clear();
      by_group.push_back(protection.Protect(what, groups, {true, false}));
    }
  }
  const std::pair<const char*, std::string> tables[] = {
      {"population.csv", population_csv},
      {"registers.csv", registers},
      {"multimorbidity.csv", multimorbidity},
      {"frailty.csv", frailty_csv},
      {"segments.csv", PartitionTable("segments.csv", "segment", segments.codes, segments.names,
                                      in_segment, orgs, &protection)},
      {"care_model_tiers.csv", PartitionTable("care_model_tiers.csv", "tier", tiers.codes,
                                              tiers.names, in_tier, orgs, &protection)},
      {"admission_risk_tiers.csv",
       model.fitted ? PartitionTable("admission_risk_tiers.csv", "risk_tier", tier_codes,
                                     tier_names, in_risk_tier, orgs, &protection)
                    : std::string()},
      {"admission_risk_model.csv", model.fitted ? RiskModelTable(model) : std::string()},
      {"admission_risk_evaluation.csv", RiskEvaluationTable(model, dc)},
      {"admission_risk_calibration.csv",
       model.fitted ? RiskCalibrationTable(model, dc) : std::string()},
      {"qrisk3.csv", PartitionTable("qrisk3.csv", "qrisk3_band",
                                    {"under_10", "10_to_20", "20_plus", "not_scored"},
                                    {"under 10%", "10% to under 20%", "20% and over",
                                     "eligible but not scored (an input missing or out of range)"},
                                    qrisk3_bands, orgs, &protection)},
      {"indicators.csv",
       tally.IndicatorsCsv([&](size_t l, size_t u) { return orgs.Lead(l, u); }, by_unit)},
      {"inequalities.csv", tally.InequalitiesCsv(by_group)},
      {"worklist_counts.csv",
       MembershipTable("worklist_counts.csv", "worklist", worklist_codes, worklist_names,
                       on_worklist, population, orgs, &protection)},
  };
  // A table that fails the audit is a fault in disclosure control: refuse
  // to publish anything.
  if (!protection.failures().empty()) {
    std::string which;
    for (const std::string& f : protection.failures()) which += (which.empty() ? "" : "; ") + f;
    return Status::Internal(
        "disclosure control did not protect every table, so nothing was "
        "written: " +
        which);
  }
  // Each table as CSV and as JSON (the same rows, read back from the CSV).
  auto write_table = [&](const std::string& csv_path, const std::string& text) -> Status {
    POPULUS_RETURN_IF_ERROR(WriteFileAtomically(csv_path, text));
    Table t;
    POPULUS_RETURN_IF_ERROR(ReadTable(csv_path, &t));
    return WriteFileAtomically(csv_path.substr(0, csv_path.size() - 4) + ".json", TableJson(t));
  };
  for (const auto& [file, text] : tables) {
    const std::string name = file;
    const bool core = name == "population.csv" || name == "registers.csv" ||
                      name == "multimorbidity.csv" || name == "frailty.csv";
    if (text.empty() || (options.core_only && !core)) continue;
    POPULUS_RETURN_IF_ERROR(write_table(out.staging() + "/" + file, text));
  }
  // Worklists: one file per practice, for that practice's clinicians only.
  if (!options.core_only) std::filesystem::create_directories(out.staging() + "/worklists");
  for (auto& [org, rows] : rows_by_practice) {
    const std::string code(snapshot->organisations().code[org]);
    if (code.empty() ||
        code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789-_") != std::string::npos) {
      return Status::Data(fmt::format(
          "practice code '{}' cannot name a worklist file (letters, digits, - and _ only)", code));
    }
    std::sort(rows.begin(), rows.end());
    std::string text = "pseudonym,worklist,worklist_name,reasons,age,sex,values\n";
    for (const auto& row : rows) text += row.line;
    POPULUS_RETURN_IF_ERROR(write_table(out.staging() + "/worklists/" + code + ".csv", text));
  }
  ReportFacts facts;
  facts.as_of = FormatIsoDate(as_of);
  facts.snapshot = snapshot->version();
  facts.generated_by = "populus analyse";
  facts.suppress_up_to = dc.suppress_up_to;
  facts.round_to = dc.round_to;
  if (!options.core_only) POPULUS_RETURN_IF_ERROR(WriteReport(out.staging(), facts));
  POPULUS_RETURN_IF_ERROR(out.Finish());
  result->as_of = as_of;
  result->risk_model_fitted = model.fitted;
  result->risk_model_not_fitted_reason = model.not_fitted_reason;
  result->risk_auc = model.auc;
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace populus::analysis
