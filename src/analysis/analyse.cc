#include "analysis/analyse.h"

#include <fmt/format.h>

#include <chrono>
#include <map>

#include "analysis/disclosure.h"
#include "analysis/frailty_index.h"
#include "analysis/registers.h"
#include "analysis/statistics.h"
#include "analysis/table.h"
#include "common/file_io.h"
#include "common/output_directory.h"
#include "common/vocabulary.h"
#include "store/snapshot.h"

namespace populus::analysis {
namespace {

constexpr const char* kLevels[] = {"practice", "pcn", "locality", "ics"};

// The organisations each patient's practice belongs to, level by level.
struct Hierarchy {
  std::vector<std::vector<uint32_t>> units;  // [level] organisation rows, in table order
  std::vector<std::vector<int>> unit_of;     // [level][organisation row] index in units, or -1
};

Hierarchy BuildHierarchy(const Snapshot& s) {
  const auto type = s.values<uint8_t>("organisations", "type");
  const auto parent = s.values<uint32_t>("organisations", "parent");
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
  return h;
}

std::string Shown(const ProtectedCell& c) { return c.shown() ? fmt::format("{}", c.value) : ""; }

}  // namespace

Status Analyse(const AnalyseOptions& options, AnalyseResult* result) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Snapshot> snapshot;
  POPULUS_RETURN_IF_ERROR(Snapshot::Open(options.data_dir, &snapshot));
  std::vector<RegisterRule> rules;
  POPULUS_RETURN_IF_ERROR(LoadRegisterRules(options.registers_path, options.codelist_root, &rules));
  EfiDefinition efi;
  POPULUS_RETURN_IF_ERROR(LoadEfiDefinition(options.efi_definition, options.efi_categories,
                                            options.codelist_root, &efi));
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
  POPULUS_RETURN_IF_ERROR(out.Begin(options.out_dir, options.overwrite));

  const RegisterResult r = EvaluateRegisters(*snapshot, rules, as_of);
  const std::vector<int8_t> deficits =
      EvaluateEfi(*snapshot, efi, r.in_population, as_of, options.efi_from_age);
  const Hierarchy h = BuildHierarchy(*snapshot);
  const auto practice = snapshot->values<uint32_t>("patients", "practice");
  const auto code = [&](uint32_t row) {
    return std::string(snapshot->column("organisations", "code").string(row));
  };
  const auto name = [&](uint32_t row) {
    return std::string(snapshot->column("organisations", "name").string(row));
  };
  // Counts by level and unit: population, per register, and by number of
  // long-term conditions (0, 1, 2, 3, 4+).
  struct Unit {
    int64_t population = 0;
    std::vector<int64_t> on;
    std::array<int64_t, 5> conditions{};
    std::vector<int64_t> frailty;  // assessed people by eFI category
  };
  std::vector<std::vector<Unit>> units(4);
  for (int l = 0; l < 4; ++l) {
    units[static_cast<size_t>(l)].resize(h.units[static_cast<size_t>(l)].size());
    for (auto& u : units[static_cast<size_t>(l)]) {
      u.on.assign(rules.size(), 0);
      u.frailty.assign(efi.categories.size(), 0);
    }
  }
  for (size_t p = 0; p < r.in_population.size(); ++p) {
    if (!r.in_population[p]) continue;
    ++result->population;
    const int n = r.conditions[p];
    result->one_or_more += n >= 1;
    result->two_or_more += n >= 2;
    result->three_or_more += n >= 3;
    const int category = deficits[p] >= 0 ? efi.Category(deficits[p]) : -1;
    result->efi_assessed += category >= 0;
    result->efi_frail += category >= 1;
    for (int l = 0; l < 4; ++l) {
      const int unit = h.unit_of[static_cast<size_t>(l)][practice[p]];
      if (unit < 0) continue;
      Unit& u = units[static_cast<size_t>(l)][static_cast<size_t>(unit)];
      ++u.population;
      ++u.conditions[static_cast<size_t>(std::min(n, 4))];
      if (category >= 0) ++u.frailty[static_cast<size_t>(category)];
      for (uint64_t bits = r.registers[p]; bits != 0; bits &= bits - 1) {
        ++u.on[static_cast<size_t>(std::countr_zero(bits))];
      }
    }
  }

  // registers.csv: each register at each level. Disclosure: the units of a
  // level as rows, [on the register, not on it] as columns, so a withheld
  // count cannot be recovered from the list size or the level's total.
  std::string registers =
      "level,organisation_code,organisation_name,register,register_name,patients,population,"
      "prevalence_per_100,lower95_0cl,upper95_0cl\n";
  for (int l = 0; l < 4; ++l) {
    const auto& level = units[static_cast<size_t>(l)];
    for (size_t k = 0; k < rules.size(); ++k) {
      std::vector<std::vector<int64_t>> table;
      for (const Unit& u : level) table.push_back({u.on[k], u.population - u.on[k]});
      const ProtectedTable t = ProtectTable(table);
      for (size_t i = 0; i < level.size(); ++i) {
        const Unit& u = level[i];
        const uint32_t org = h.units[static_cast<size_t>(l)][i];
        const bool shown = t.cells[i][0].shown() && t.row_totals[i].shown();
        const Estimate e = Proportion(static_cast<double>(u.on[k]),
                                      static_cast<double>(u.population), {0.95}, 100);
        registers +=
            CsvLine({kLevels[l], code(org), name(org), rules[k].code, rules[k].name,
                     Shown(t.cells[i][0]), Shown(t.row_totals[i]),
                     shown && u.population > 0 ? fmt::format("{:.3f}", e.value) : "",
                     shown && u.population > 0 ? fmt::format("{:.3f}", e.limits[0].lower) : "",
                     shown && u.population > 0 ? fmt::format("{:.3f}", e.limits[0].upper) : ""});
      }
    }
  }
  // multimorbidity.csv: people by number of long-term conditions.
  std::string multimorbidity =
      "level,organisation_code,organisation_name,population,ltc_0,ltc_1,ltc_2,ltc_3,ltc_4_plus,"
      "two_plus_per_100,three_plus_per_100\n";
  for (int l = 0; l < 4; ++l) {
    const auto& level = units[static_cast<size_t>(l)];
    std::vector<std::vector<int64_t>> table;
    for (const Unit& u : level) table.emplace_back(u.conditions.begin(), u.conditions.end());
    const ProtectedTable t = ProtectTable(table);
    for (size_t i = 0; i < level.size(); ++i) {
      const Unit& u = level[i];
      const uint32_t org = h.units[static_cast<size_t>(l)][i];
      const int64_t two = u.conditions[2] + u.conditions[3] + u.conditions[4];
      const int64_t three = u.conditions[3] + u.conditions[4];
      const bool shown = t.row_totals[i].shown() && u.population > 0;
      auto per100 = [&](int64_t n) {
        return shown && n > 7 ? fmt::format("{:.3f}", 100.0 * static_cast<double>(n) /
                                                          static_cast<double>(u.population))
                              : std::string();
      };
      multimorbidity +=
          CsvLine({kLevels[l], code(org), name(org), Shown(t.row_totals[i]), Shown(t.cells[i][0]),
                   Shown(t.cells[i][1]), Shown(t.cells[i][2]), Shown(t.cells[i][3]),
                   Shown(t.cells[i][4]), per100(two), per100(three)});
    }
  }
  // frailty.csv: people assessed by eFI category.
  std::string frailty = "level,organisation_code,organisation_name,assessed";
  for (const auto& c : efi.categories) frailty += "," + c;
  frailty += ",frail_per_100\n";
  for (int l = 0; l < 4; ++l) {
    const auto& level = units[static_cast<size_t>(l)];
    std::vector<std::vector<int64_t>> table;
    for (const Unit& u : level) table.push_back(u.frailty);
    const ProtectedTable t = ProtectTable(table);
    for (size_t i = 0; i < level.size(); ++i) {
      const Unit& u = level[i];
      const uint32_t org = h.units[static_cast<size_t>(l)][i];
      int64_t assessed = 0;
      for (int64_t v : u.frailty) assessed += v;
      const int64_t frail = assessed - u.frailty[0];
      std::vector<std::string> row = {kLevels[l], code(org), name(org), Shown(t.row_totals[i])};
      for (size_t c = 0; c < u.frailty.size(); ++c) row.push_back(Shown(t.cells[i][c]));
      row.push_back(t.row_totals[i].shown() && frail > 7
                        ? fmt::format("{:.3f}", 100.0 * static_cast<double>(frail) /
                                                    static_cast<double>(assessed))
                        : std::string());
      frailty.append(CsvLine(row));
    }
  }
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(out.staging() + "/frailty.csv", frailty));
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(out.staging() + "/registers.csv", registers));
  POPULUS_RETURN_IF_ERROR(
      WriteFileAtomically(out.staging() + "/multimorbidity.csv", multimorbidity));
  POPULUS_RETURN_IF_ERROR(out.Finish());
  result->as_of = as_of;
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace populus::analysis
