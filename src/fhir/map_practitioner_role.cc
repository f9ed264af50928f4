#include "common/vocabulary.h"
#include "fhir/fhir_source.h"
#include "fhir/fhir_systems.h"

namespace populus::fhir {

void FhirSource::MapRole(element e) {
  RoleAnchor role;
  element ref;
  if (json_.Obj(e, "organization", &ref)) role.organisation_ref = simdjson::to_string(ref);
  if (json_.Obj(e, "practitioner", &ref)) role.practitioner_ref = simdjson::to_string(ref);
  json_.ForEachCoding(e, "code", [&](element c) {
    uint8_t index;
    if (json_.Str(c, "system") == kStaffRoleSystem &&
        ParseStaffRole(json_.Str(c, "code"), &index)) {
      role.role = StaffRoles()[index];
    }
  });
  if (QuarantineWrongType(ExtractTable::kAppointments)) return;
  CurrentOutcome() = Outcome::kLoaded;
  AddKeys(&role_keys_, e, static_cast<uint32_t>(roles_.size()));
  roles_.push_back(std::move(role));
}

void FhirSource::IndexRolesByPractitioner() {
  // PractitionerRoles: by the Practitioner they describe, for references to it.
  for (uint32_t i = 0; i < roles_.size(); ++i) {
    element ref;
    if (roles_[i].practitioner_ref.empty() ||
        stored_parser_.parse(roles_[i].practitioner_ref).get(ref) != simdjson::SUCCESS) {
      continue;
    }
    const std::string_view text = json_.Str(ref, "reference");
    if (!text.empty()) role_by_practitioner_.emplace(std::string(text), i);
  }
}

uint32_t FhirSource::RoleOf(element reference) const {
  const uint32_t role = role_keys_.Resolve(json_, reference);
  if (role != kNone) return role;
  auto it = role_by_practitioner_.find(std::string(json_.Str(reference, "reference")));
  return it == role_by_practitioner_.end() ? kNone : it->second;
}

}  // namespace populus::fhir
