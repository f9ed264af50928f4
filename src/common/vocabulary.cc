#include "common/vocabulary.h"

#include <array>
#include <utility>

namespace populus {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

template <typename E, size_t N>
bool Lookup(std::string_view text, const std::array<std::pair<std::string_view, E>, N>& table,
            E* out) {
  for (const auto& [name, value] : table) {
    if (EqualsIgnoreCase(text, name)) {
      *out = value;
      return true;
    }
  }
  return false;
}

template <typename E, size_t N>
std::string_view NameOf(E v, const std::array<std::pair<std::string_view, E>, N>& table) {
  for (const auto& [name, value] : table) {
    if (value == v) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<std::string_view, OrgType>, 6> kOrgTypes{{
    {"site", OrgType::kSite},
    {"practice", OrgType::kPractice},
    {"pcn", OrgType::kPcn},
    {"locality", OrgType::kLocality},
    {"ics", OrgType::kIcs},
    {"pharmacy", OrgType::kPharmacy},
}};
// The first spelling of each value is its name.
constexpr std::array<std::pair<std::string_view, Sex>, 8> kSexes{{
    {"male", Sex::kMale},
    {"female", Sex::kFemale},
    {"indeterminate", Sex::kIndeterminate},
    {"unknown", Sex::kUnknown},
    {"M", Sex::kMale},
    {"F", Sex::kFemale},
    {"I", Sex::kIndeterminate},
    {"U", Sex::kUnknown},
}};
constexpr std::array<std::pair<std::string_view, AppointmentMode>, 5> kModes{{
    {"face-to-face", AppointmentMode::kFaceToFace},
    {"telephone", AppointmentMode::kTelephone},
    {"video", AppointmentMode::kVideo},
    {"online", AppointmentMode::kOnline},
    {"home-visit", AppointmentMode::kHomeVisit},
}};
constexpr std::array<std::pair<std::string_view, AppointmentStatus>, 4> kStatuses{{
    {"attended", AppointmentStatus::kAttended},
    {"did-not-attend", AppointmentStatus::kDidNotAttend},
    {"cancelled", AppointmentStatus::kCancelled},
    {"booked", AppointmentStatus::kBooked},
}};
constexpr std::array<std::pair<std::string_view, HospitalSetting>, 4> kSettings{{
    {"ae", HospitalSetting::kAe},
    {"emergency-admission", HospitalSetting::kEmergencyAdmission},
    {"elective-admission", HospitalSetting::kElectiveAdmission},
    {"outpatient", HospitalSetting::kOutpatient},
}};
constexpr std::array<std::string_view, 14> kStaffRoles{
    "gp",
    "nurse",
    "advanced-nurse-practitioner",
    "healthcare-assistant",
    "clinical-pharmacist",
    "physician-associate",
    "first-contact-physiotherapist",
    "paramedic",
    "social-prescribing-link-worker",
    "care-coordinator",
    "health-and-wellbeing-coach",
    "mental-health-practitioner",
    "dietitian",
    "other",
};

}  // namespace

std::string_view Name(OrgType v) { return NameOf(v, kOrgTypes); }
std::string_view Name(Sex v) { return NameOf(v, kSexes); }
std::string_view Name(AppointmentMode v) { return NameOf(v, kModes); }
std::string_view Name(AppointmentStatus v) { return NameOf(v, kStatuses); }
std::string_view Name(HospitalSetting v) { return NameOf(v, kSettings); }

bool Parse(std::string_view text, OrgType* out) { return Lookup(text, kOrgTypes, out); }
bool Parse(std::string_view text, Sex* out) { return Lookup(text, kSexes, out); }
bool Parse(std::string_view text, AppointmentMode* out) { return Lookup(text, kModes, out); }
bool Parse(std::string_view text, AppointmentStatus* out) { return Lookup(text, kStatuses, out); }
bool Parse(std::string_view text, HospitalSetting* out) { return Lookup(text, kSettings, out); }

constexpr std::array<std::pair<std::string_view, Sex>, 4> kFhirGenders{{
    {"male", Sex::kMale},
    {"female", Sex::kFemale},
    {"other", Sex::kIndeterminate},
    {"unknown", Sex::kUnknown},
}};

std::string_view FhirGender(Sex v) {
  for (const auto& [code, sex] : kFhirGenders) {
    if (sex == v) return code;
  }
  return "unknown";
}

bool ParseFhirGender(std::string_view code, Sex* out) {
  for (const auto& [name, sex] : kFhirGenders) {
    if (name == code) {
      *out = sex;
      return true;
    }
  }
  return false;
}

std::string_view AcceptedFhirGenders() { return "male, female, other, unknown"; }

std::string AgeBandName(int band) {
  if (band >= kAgeBands - 1) return std::to_string((kAgeBands - 1) * 5) + "+";
  return std::to_string(band * 5) + "-" + std::to_string(band * 5 + 4);
}

std::span<const std::string_view> StaffRoles() { return kStaffRoles; }

bool ParseStaffRole(std::string_view text, uint8_t* index) {
  for (size_t i = 0; i < kStaffRoles.size(); ++i) {
    if (EqualsIgnoreCase(text, kStaffRoles[i])) {
      *index = static_cast<uint8_t>(i);
      return true;
    }
  }
  return false;
}

std::string_view AcceptedOrgTypes() { return "ics, locality, pcn, practice, site, pharmacy"; }

int OrgRank(OrgType type) {
  switch (type) {
    case OrgType::kSite:
    case OrgType::kPharmacy:
      return 0;
    case OrgType::kPractice:
      return 1;
    case OrgType::kPcn:
      return 2;
    case OrgType::kLocality:
      return 3;
    case OrgType::kIcs:
      return 4;
  }
  return 0;
}
std::string_view AcceptedSexes() { return "M, F, I, U (or male, female, indeterminate, unknown)"; }
std::string_view AcceptedModes() { return "face-to-face, telephone, video, online, home-visit"; }
std::string_view AcceptedStatuses() { return "attended, did-not-attend, cancelled, booked"; }
std::string_view AcceptedSettings() {
  return "ae, emergency-admission, elective-admission, outpatient";
}
std::string_view AcceptedStaffRoles() {
  return "gp, nurse, advanced-nurse-practitioner, healthcare-assistant, clinical-pharmacist, "
         "physician-associate, first-contact-physiotherapist, paramedic, "
         "social-prescribing-link-worker, care-coordinator, health-and-wellbeing-coach, "
         "mental-health-practitioner, dietitian, other";
}

}  // namespace populus
