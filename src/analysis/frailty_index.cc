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

Status LoadEfiDefinition(const std::string& definition, const std::string& categories,
                         const std::string& codelist_root, EfiDefinition* out) {
  *out = EfiDefinition();
  POPULUS_RETURN_IF_ERROR(rules::ReadEfiSpec(definition, categories, codelist_root, out));
  out->codes.resize(out->deficits.size());
  for (size_t d = 0; d < out->deficits.size(); ++d) {
    for (const rules::EfiCodelist& list : out->codelists[d]) {
      Codelist codes;
      POPULUS_RETURN_IF_ERROR(ReadCodelist(list.path, false, &codes));
      out->codes[d].insert(out->codes[d].end(), codes.diagnosis.begin(), codes.diagnosis.end());
    }
    if (static_cast<int>(d) != out->polypharmacy && out->codes[d].empty()) {
      return Status::Data(
          fmt::format("{} line {}: a coded deficit needs codes", definition, out->lines[d]));
    }
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
