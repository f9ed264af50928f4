#include "analysis/frailty_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <sstream>

#include "analysis/code_masks.h"
#include "analysis/codelist.h"
#include "analysis/table.h"
#include "common/file_io.h"
#include "common/parallel.h"
#include "store/snapshot.h"

namespace populus::analysis {

int EfiDefinition::Category(int deficits_present) const {
  const double score = static_cast<double>(deficits_present) / static_cast<double>(deficits.size());
  int category = 0;
  for (size_t i = 1; i < category_from.size(); ++i) {
    if (score >= category_from[i] - 1e-12) category = static_cast<int>(i);
  }
  return category;
}

Status LoadEfiDefinition(const std::string& definition, const std::string& categories,
                         const std::string& codelist_root, EfiDefinition* out) {
  *out = EfiDefinition();
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      definition,
      {{"deficit", "name", "rule", "conditions", "codelists", "min_drugs", "window_days"}}, &t));
  int deficit, rule, lists, drugs, days;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"deficit"}, &deficit));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"rule"}, &rule));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"codelists"}, &lists));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"min_drugs"}, &drugs));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"window_days"}, &days));
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& f = t.rows[r];
    auto fail = [&](const std::string& reason) {
      return Status::Data(fmt::format("{} line {}: {}", definition, t.lines[r], reason));
    };
    out->deficits.push_back(f[static_cast<size_t>(deficit)]);
    out->codes.emplace_back();
    const std::string& kind = f[static_cast<size_t>(rule)];
    if (kind == "polypharmacy") {
      double d = 0, w = 0;
      POPULUS_RETURN_IF_ERROR(t.Number(r, drugs, false, &d));
      POPULUS_RETURN_IF_ERROR(t.Number(r, days, false, &w));
      if (d < 2 || w < 1) return fail("polypharmacy needs min_drugs 2+ and window_days 1+");
      out->polypharmacy = static_cast<int>(r);
      out->polypharmacy_drugs = static_cast<int>(d);
      out->polypharmacy_days = static_cast<int>(w);
      continue;
    }
    if (kind != "coded") return fail(fmt::format("rule '{}' is not coded or polypharmacy", kind));
    std::istringstream names(f[static_cast<size_t>(lists)]);
    for (std::string list; names >> list;) {
      std::string path;
      if (const Status within = PathWithin(codelist_root, list, &path); !within.ok()) {
        return fail("codelist " + within.message());
      }
      if (!std::filesystem::is_regular_file(path)) {
        return fail(fmt::format("codelist '{}' is not a file", path));
      }
      Codelist codes;
      POPULUS_RETURN_IF_ERROR(ReadCodelist(path, false, &codes));
      out->codes.back().insert(out->codes.back().end(), codes.diagnosis.begin(),
                               codes.diagnosis.end());
    }
    if (out->codes.back().empty()) return fail("a coded deficit needs codes");
  }
  if (out->deficits.empty() || out->deficits.size() > 64) {
    return Status::Data(fmt::format("{}: between 1 and 64 deficits are needed", definition));
  }
  Table c;
  POPULUS_RETURN_IF_ERROR(ReadTable(categories, {{"category", "from_score"}}, &c));
  for (size_t r = 0; r < c.rows.size(); ++r) {
    double from = 0;
    POPULUS_RETURN_IF_ERROR(c.Number(r, 1, false, &from));
    out->categories.push_back(c.rows[r][0]);
    out->category_from.push_back(from);
  }
  if (out->categories.size() < 2 || out->category_from[0] != 0) {
    return Status::Data(fmt::format("{}: at least two categories, the first from 0", categories));
  }
  return Status::Ok();
}

std::vector<int8_t> EvaluateEfi(const Snapshot& snapshot, const EfiDefinition& efi,
                                const std::vector<uint8_t>& population, Date as_of, int from_age) {
  const auto birth = snapshot.patients().date_of_birth;
  std::vector<int8_t> out(birth.size(), -1);
  // Each code of the event dictionary: the deficits it records (bits).
  const CodeColumn codes = snapshot.events().code;
  std::vector<const std::vector<std::string>*> lists;
  for (const auto& deficit : efi.codes) lists.push_back(&deficit);
  const std::vector<uint64_t> deficits_of = CodelistMasks(codes, lists);
  const auto dates = snapshot.events().date;
  const auto issued = snapshot.medications().date;
  const CodeColumn products = snapshot.medications().dmd_code;
  ForEachRange(birth.size(), WorkerThreads(), [&](size_t, size_t from, size_t to) {
    std::vector<uint32_t> seen;
    for (auto p = static_cast<uint32_t>(from); p < to; ++p) {
      if (!population[p] || AgeInYears(birth[p], as_of) < from_age) continue;
      uint64_t present = 0;
      const auto [begin, end] = snapshot.events().range(p);
      for (uint64_t e = begin; e < end && dates[e] <= as_of; ++e)
        present |= deficits_of[codes.id(e)];
      if (efi.polypharmacy >= 0) {
        seen.clear();
        const auto [mb, me] = snapshot.medications().range(p);
        for (uint64_t m = mb; m < me && issued[m] <= as_of; ++m) {
          if (issued[m] > as_of - efi.polypharmacy_days) seen.push_back(products.id(m));
        }
        std::sort(seen.begin(), seen.end());
        const auto distinct = std::unique(seen.begin(), seen.end()) - seen.begin();
        if (distinct >= efi.polypharmacy_drugs) present |= uint64_t{1} << efi.polypharmacy;
      }
      out[p] = static_cast<int8_t>(std::popcount(present));
    }
  });
  return out;
}

}  // namespace populus::analysis
