// The rules for one field of an extract row, as pure functions: testable
// without files, and the same for the CSV and FHIR loads.
#pragma once

#include <cstdint>
#include <string_view>

namespace populus::field_rules {

// A value (observation, quantity) kept as float32: a finite decimal, a
// leading '+' allowed, within float range.
bool ParseNumber(std::string_view text, float* out);
// A whole number of digits only, from `min` to `max`.
bool ParseWhole(std::string_view text, int64_t min, int64_t max, int64_t* out);
// A local patient identifier: 1 to 128 letters, digits and -_.:
bool IsPatientId(std::string_view s);
// A UK postcode: an outward code A9, A99, AA9, AA99, A9A or AA9A, one space,
// and an inward code 9AA.
bool IsPostcode(std::string_view s);
// An English or Welsh LSOA code: E01 or W01 and six digits.
bool IsLsoa(std::string_view s);

}  // namespace populus::field_rules
