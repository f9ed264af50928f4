#include "fhir/fhir_dates.h"
#include "fhir/fhir_source.h"
#include "fhir/fhir_systems.h"

namespace populus::fhir {

void FhirSource::MapAppointment(element e) {
  const ExtractTable table = ExtractTable::kAppointments;
  const std::string_view status = json_.Str(e, "status");
  if (status == "entered-in-error") return Exclude();
  std::string patient, practice, role = "other";
  array participants;
  if (json_.Arr(e, "participant", &participants)) {
    for (element p : participants) {
      element actor;
      if (!json_.Obj(p, "actor", &actor)) continue;
      const std::string_view ref = json_.Str(actor, "reference");
      const std::string_view type = json_.Str(actor, "type");
      if (type == "Patient" || ref.starts_with("Patient") ||
          patient_keys_.Resolve(json_, actor) != kNone) {
        uint32_t anchor;
        if (!Subject(p, "actor", table, &patient, &anchor)) return;
        if (practice.empty()) practice = patients_[anchor].practice_code;
        continue;
      }
      const uint32_t r = RoleOf(actor);
      if (r == kNone) continue;
      role = roles_[r].role;
      const uint32_t o = ResolveStored(organisation_keys_, roles_[r].organisation_ref, nullptr);
      if (o != kNone && organisations_[o].type == "practice") practice = organisations_[o].code;
    }
  }
  if (practice.empty()) {
    return Problem(table, "participant", Rule::kMissingElement,
                   "the Appointment names neither a patient nor a PractitionerRole of a practice");
  }
  std::string date, booked;
  if (!RequiredDate(table, "start", {json_.Str(e, "start")}, &date)) return;
  if (!PeriodInOrder(table, "start", "end", json_.Str(e, "start"), json_.Str(e, "end"))) return;
  const std::string_view created = json_.Str(e, "created");
  std::string_view day;
  if (!created.empty() && DatePart(created, &day) == DateText::kOk) booked = day;
  std::string mode;
  array extensions;
  if (json_.Arr(e, "extension", &extensions)) {
    for (element x : extensions) {
      if (json_.Str(x, "url") == kAppointmentModeExtension) mode = json_.Str(x, "valueCode");
    }
  }
  if (mode.empty()) {
    mode = "face-to-face";
    ++mode_assumed_;
  }
  const char* mapped_status = status == "fulfilled"   ? "attended"
                              : status == "noshow"    ? "did-not-attend"
                              : status == "cancelled" ? "cancelled"
                                                      : "booked";
  std::string duration;
  int64_t minutes;
  if (json_.Integer(e, "minutesDuration", &minutes)) {
    duration = std::to_string(minutes);
  } else if (minutes = MinutesBetween(json_.Str(e, "start"), json_.Str(e, "end")); minutes >= 0) {
    duration = std::to_string(minutes);
  }
  if (QuarantineWrongType(table)) return;
  appointments_->Add({practice, patient, date, booked, role, mode, mapped_status, duration},
                     Origin());
}

}  // namespace populus::fhir
