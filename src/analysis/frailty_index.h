// The electronic Frailty Index from the record (Clegg et al., Age and Ageing
// 2016): 36 deficits, each present when a code of its codelists was ever
// recorded on or before the date, or (polypharmacy) when enough distinct
// drugs were issued in the window before it; score = deficits / 36, and the
// category from the score bands. The definition is data, named by the rule
// pack (data/frailty/efi-deficits.csv and efi-categories.csv) and read by
// rules/efi_definition.h, as the synthetic ICS reads it to simulate from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/status.h"
#include "rules/efi_definition.h"

namespace populus {
class Snapshot;
}

namespace populus::analysis {

// The rule pack's eFI (rules/efi_definition.h) with each coded deficit's
// codes read from its codelists (an LTC codelist contributes its diagnosis
// codes).
struct EfiDefinition : rules::EfiSpec {
  std::vector<std::vector<std::string>> codes;  // per deficit (none for polypharmacy)
};

// Reads the definition and categories; codelist paths are relative to
// `codelist_root`.
Status LoadEfiDefinition(const std::string& definition, const std::string& categories,
                         const std::string& codelist_root, EfiDefinition* out);

// Per patient: the number of deficits on the date, or -1 when not assessed
// (not in `population`, or younger than `from_age`).
std::vector<int8_t> EvaluateEfi(const Snapshot& snapshot, const EfiDefinition& efi,
                                const std::vector<uint8_t>& population, Date as_of, int from_age);

}  // namespace populus::analysis
