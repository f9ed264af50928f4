// The resource types of FHIR R4 (4.0.1), to tell a resource populus does not
// use (a Claim, say: read and counted) from something that is not a FHIR R4
// resource at all (quarantined).
#pragma once

#include <string_view>

namespace populus::fhir {

bool IsR4ResourceType(std::string_view type);

}  // namespace populus::fhir
