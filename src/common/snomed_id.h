// The shape of a SNOMED CT concept identifier (also used by dm+d).
//
// An SCTID is 6 to 18 digits with no leading zero, ending in a Verhoeff check
// digit. Its two digits before the last are the partition identifier; for a
// concept they are "00" (a core concept) or "10" (a concept in an extension
// namespace, such as the UK's). A description or relationship id, or a
// mistyped code, in a code column is a data error.
#pragma once

#include <string_view>

namespace populus {

bool IsSnomedConceptId(std::string_view text);

// True if the digits end in a valid Verhoeff check digit.
bool HasValidVerhoeffCheckDigit(std::string_view digits);

}  // namespace populus
