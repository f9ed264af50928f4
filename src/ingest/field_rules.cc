#include "ingest/field_rules.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/number.h"

namespace populus::field_rules {

// Values are kept as float32 (about seven significant digits, ample for
// clinical measurements); a number beyond float range is not a valid value.
bool ParseNumber(std::string_view text, float* out) {
  double value = 0;
  if (!ParseDecimal(text, &value, LeadingPlus::kAllowed) ||
      std::fabs(value) > std::numeric_limits<float>::max()) {
    return false;
  }
  *out = static_cast<float>(value);
  return true;
}

bool ParseWhole(std::string_view text, int64_t min, int64_t max, int64_t* out) {
  uint64_t v = 0;
  if (!ParseWholeNumber(text, static_cast<uint64_t>(max), &v) || static_cast<int64_t>(v) < min) {
    return false;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

bool IsPatientId(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// UK postcode shape: an outward code of the form A9, A99, AA9, AA99, A9A or
// AA9A, one space, and an inward code 9AA.
bool IsPostcode(std::string_view s) {
  const size_t space = s.find(' ');
  if (space == std::string_view::npos || space < 2 || space > 4 || s.size() != space + 4) {
    return false;
  }
  std::string shape;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= 'A' && c <= 'Z') {
      shape.push_back('A');
    } else if (c >= '0' && c <= '9') {
      shape.push_back('9');
    } else if (i == space) {
      shape.push_back(' ');
    } else {
      return false;
    }
  }
  for (const char* outward : {"A9", "A99", "AA9", "AA99", "A9A", "AA9A"}) {
    if (shape == std::string(outward) + " 9AA") return true;
  }
  return false;
}

// English or Welsh LSOA code: E01 or W01 and six digits.
bool IsLsoa(std::string_view s) {
  if (s.size() != 9 || (s[0] != 'E' && s[0] != 'W') || s[1] != '0' || s[2] != '1') return false;
  for (size_t i = 3; i < 9; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace populus::field_rules
