// The one number parser of populus: numbers in the files it reads (extracts,
// rule files, reference tables, configurations) and on its command line.
//
// The whole text must be the number: an optional '-', digits, an optional
// decimal point and exponent ("140", "-2.5", "1e-3"). No spaces, no
// hexadecimal, no "inf" or "nan", and the value must be finite, so a number
// that does not read is always an error, never a silent zero.
#pragma once

#include <cstdint>
#include <string_view>

namespace populus {

enum class LeadingPlus { kRefused, kAllowed };

// A finite decimal number; `plus` allows a leading '+' (extract values,
// which some clinical systems write so).
bool ParseDecimal(std::string_view text, double* out, LeadingPlus plus = LeadingPlus::kRefused);

// A whole number of decimal digits only (no sign, no spaces), at most `max`.
bool ParseWholeNumber(std::string_view text, uint64_t max, uint64_t* out);

}  // namespace populus
