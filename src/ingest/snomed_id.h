// The shape of a SNOMED CT concept identifier (also used by dm+d).
//
// An SCTID is 6 to 18 digits with no leading zero. Its two digits before the
// last are the partition identifier; for a concept they are "00" (a core
// concept) or "10" (a concept in an extension namespace, such as the UK's). A
// description or relationship id in a code column is a data error.
#pragma once

#include <string_view>

namespace populus {

bool IsSnomedConceptId(std::string_view text);

}  // namespace populus
