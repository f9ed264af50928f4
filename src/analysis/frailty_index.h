// The electronic Frailty Index from the record (Clegg et al., Age and Ageing
// 2016): 36 deficits, each present when a code of its codelists was ever
// recorded on or before the date, or (polypharmacy) when enough distinct
// drugs were issued in the window before it; score = deficits / 36, and the
// category from the score bands. The definition is data:
// data/frailty/efi-deficits.csv and efi-categories.csv, the same files the
// synthetic ICS simulates from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/status.h"

namespace populus {
class Snapshot;
}

namespace populus::analysis {

struct EfiDefinition {
  std::vector<std::string> deficits;
  std::vector<std::vector<std::string>> codes;  // per deficit (none for polypharmacy)
  int polypharmacy = -1;                        // deficit index, or -1
  int polypharmacy_drugs = 5, polypharmacy_days = 365;
  std::vector<std::string> categories;  // fit, mild, moderate, severe
  std::vector<double> category_from;    // lowest score of each
  int Category(int deficits_present) const;
};

// Reads the definition and categories; codelist paths are relative to
// `codelist_root` (an LTC codelist contributes its diagnosis codes).
Status LoadEfiDefinition(const std::string& definition, const std::string& categories,
                         const std::string& codelist_root, EfiDefinition* out);

// Per patient: the number of deficits on the date, or -1 when not assessed
// (not in `population`, or younger than `from_age`).
std::vector<int8_t> EvaluateEfi(const Snapshot& snapshot, const EfiDefinition& efi,
                                const std::vector<uint8_t>& population, Date as_of, int from_age);

}  // namespace populus::analysis
