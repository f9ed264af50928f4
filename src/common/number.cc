#include "common/number.h"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>

namespace populus {

bool ParseDecimal(std::string_view text, double* out, LeadingPlus plus) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = first + text.size();
  if (*first == '+') {
    if (plus == LeadingPlus::kRefused) return false;
    ++first;
    if (first == last || *first == '-' || *first == '+') return false;
  }
  double value = 0;
  const auto [ptr, ec] = fast_float::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || !std::isfinite(value)) return false;
  *out = value;
  return true;
}

bool ParseWholeNumber(std::string_view text, uint64_t max, uint64_t* out) {
  // from_chars reads an unsigned number as digits only: no sign, space or
  // prefix; anything after the digits is caught by the end check.
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value > max) return false;
  *out = value;
  return true;
}

}  // namespace populus
