#include "common/civil_date.h"
#include "common/vocabulary.h"
#include "fhir/fhir_dates.h"
#include "fhir/fhir_source.h"
#include "fhir/fhir_systems.h"

namespace populus::fhir {

void FhirSource::MapEncounter(element e) {
  if (StatusIn(e, "status", {"entered-in-error"})) return Exclude();
  // An encounter of an Appointment in this load: the appointment is the record.
  array appointments;
  if (json_.Arr(e, "appointment", &appointments)) {
    for (element ref : appointments) {
      if (appointment_keys_.Resolve(json_, ref) != kNone) return Exclude();
    }
  }
  std::string patient, date;
  uint32_t anchor;
  if (!Subject(e, "subject", ExtractTable::kHospitalActivity, &patient, &anchor)) return;
  element period;
  const bool has_period = json_.Obj(e, "period", &period);
  const std::string_view start = has_period ? json_.Str(period, "start") : "";
  const std::string_view end = has_period ? json_.Str(period, "end") : "";
  if (!RequiredDate(ExtractTable::kHospitalActivity, "period.start", {start}, &date)) return;
  if (!PeriodInOrder(ExtractTable::kHospitalActivity, "period.start", "period.end", start, end))
    return;
  // The setting: populus's own coding, else the class and priority.
  std::string setting;
  json_.ForEachCoding(e, "type", [&](element c) {
    HospitalSetting parsed;
    if (json_.Str(c, "system") == kHospitalSettingSystem && Parse(json_.Str(c, "code"), &parsed)) {
      setting = Name(parsed);
    }
  });
  element klass;
  const std::string_view class_code = json_.Obj(e, "class", &klass) ? json_.Str(klass, "code") : "";
  // The provider: an Organization of the load, or an ODS code on the reference.
  std::string provider;
  bool provider_is_practice = false;
  element ref;
  if (json_.Obj(e, "serviceProvider", &ref)) {
    const uint32_t o = organisation_keys_.Resolve(json_, ref);
    if (o != kNone) {
      provider = organisations_[o].ods_code;
      provider_is_practice = organisations_[o].type == "practice" ||
                             organisations_[o].type == "site" || organisations_[o].type == "pcn";
      if (provider_is_practice) provider = organisations_[o].code;
    } else {
      element id;
      if (json_.Obj(ref, "identifier", &id) && json_.Str(id, "system") == kOdsOrganisationSystem) {
        provider = json_.Str(id, "value");
      }
    }
  }
  if (setting.empty()) {
    if (class_code == "EMER") {
      setting = "ae";
    } else if (class_code == "IMP" || class_code == "ACUTE" || class_code == "NONAC" ||
               class_code == "SS") {
      element priority;
      array codings;
      std::string_view p;
      if (json_.Obj(e, "priority", &priority) && json_.Arr(priority, "coding", &codings)) {
        for (element c : codings) p = json_.Str(c, "code");
      }
      setting = p == "EM" || p == "UR" || p == "S" || p == "A" ? "emergency-admission"
                                                               : "elective-admission";
    } else if (!provider.empty() && !provider_is_practice) {
      setting = "outpatient";
    }
  }
  if (!setting.empty()) {
    if (StatusIn(e, "status", {"cancelled", "planned"})) return Exclude();
    std::string stay;
    std::string_view end_day;
    if ((setting == "emergency-admission" || setting == "elective-admission") &&
        DatePart(end, &end_day) == DateText::kOk) {
      Date a, b;
      ParseIsoDate(date, &a);
      ParseIsoDate(end_day, &b);
      if (b >= a) stay = std::to_string(b - a);
    }
    if (QuarantineWrongType(ExtractTable::kHospitalActivity)) return;
    activity_->Add({patient, date, setting, provider, stay}, Origin());
    return;
  }
  // A consultation in general practice: an appointment at the provider
  // practice, else the patient's own.
  std::string practice = provider_is_practice ? provider : patients_[anchor].practice_code;
  std::string role = "other";
  array participants;
  if (json_.Arr(e, "participant", &participants)) {
    for (element p : participants) {
      element individual;
      if (!json_.Obj(p, "individual", &individual)) continue;
      if (const uint32_t r = RoleOf(individual); r != kNone) {
        role = roles_[r].role;
        break;
      }
    }
  }
  const std::string_view status = json_.Str(e, "status");
  const char* mapped_status = status == "finished"    ? "attended"
                              : status == "cancelled" ? "cancelled"
                                                      : "booked";
  const char* mode = class_code == "VR"   ? "telephone"
                     : class_code == "HH" ? "home-visit"
                                          : "face-to-face";
  const int64_t minutes = MinutesBetween(start, end);
  if (QuarantineWrongType(ExtractTable::kAppointments)) return;
  appointments_->Add({practice, patient, date, "", role, mode, mapped_status,
                      minutes >= 0 ? std::to_string(minutes) : ""},
                     Origin());
}

}  // namespace populus::fhir
