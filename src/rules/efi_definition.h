// The electronic Frailty Index as a rule pack defines it (Clegg et al., Age
// and Ageing 2016): its deficits (data/frailty/efi-deficits.csv) and the
// score bands of its categories (efi-categories.csv). Read and checked here
// once for both users: the analysis reads each coded deficit's codes from
// the record (analysis/frailty_index.h), the synthetic ICS maps each deficit
// to the conditions it simulates (synth/conditions.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"

namespace populus::rules {

inline constexpr size_t kMaxEfiDeficits = 64;

// A codelist a coded deficit counts: as named in the definition (under the
// codelist folder) and where that is.
struct EfiCodelist {
  std::string name, path;
};

struct EfiSpec {
  std::string definition_path, categories_path, codelist_root;
  // Per deficit, in definition order.
  std::vector<std::string> deficits;  // ids
  std::vector<std::string> names;
  std::vector<int> lines;                            // in the definition file
  std::vector<std::vector<std::string>> conditions;  // simulated conditions counted towards it
  std::vector<std::vector<EfiCodelist>> codelists;
  int polypharmacy = -1;                                // its deficit index, or -1
  int polypharmacy_drugs = 5, polypharmacy_days = 365;  // distinct drugs within the days
  std::vector<std::string> categories;                  // fit, mild, moderate, severe
  std::vector<double> category_from;                    // lowest score of each, rising from 0

  // The category index of a count of deficits present (score = count / deficits).
  int Category(int deficits_present) const;
};

// Reads and checks both files: 1 to 64 deficits with unique ids; each
// `coded` (with codelists, each a file under `codelist_root` and in no other
// deficit) or the one `polypharmacy` (whole numbers min_drugs 2-100,
// window_days 1-3650); at least two categories, named, from 0 and rising
// within 0 to 1. Errors name the file and line.
Status ReadEfiSpec(const std::string& definition, const std::string& categories,
                   const std::string& codelist_root, EfiSpec* out);

}  // namespace populus::rules
