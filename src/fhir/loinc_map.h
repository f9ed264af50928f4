// The LOINC codes populus maps to SNOMED CT concepts as it loads FHIR
// Observations (data/fhir/loinc-to-snomed.csv): each row names a LOINC
// code, the unit it applies to ("*" for any), the SNOMED CT concept and unit
// it becomes, and the factor a value is multiplied by on the way.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace populus::fhir {

struct LoincMapping {
  std::string unit;  // the LOINC value's unit, "*" for any
  std::string snomed, snomed_unit;
  double factor = 1;
};

class LoincMap {
 public:
  // Reads the map; a row whose SNOMED CT code is not a concept id or whose
  // factor is not a positive number is an error naming its line.
  Status Read(const std::string& path);
  // The mappings of a LOINC code, in file order, or null.
  const std::vector<LoincMapping>* Find(const std::string& loinc_code) const;
  bool empty() const { return by_code_.empty(); }

 private:
  std::unordered_map<std::string, std::vector<LoincMapping>> by_code_;
};

}  // namespace populus::fhir
