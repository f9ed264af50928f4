// The controlled vocabularies of the extract format and the snapshot.
//
// Each enumeration is stored in the snapshot as its one-byte value; Name()
// gives the extract-format spelling and Parse() accepts it (case-insensitive,
// with the listed alternatives). The lists are the format's contract:
// docs/extract-format.md documents them and must change with them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace populus {

// Organisation types. A parent must rank above its child (OrgRank): premises
// (sites, community pharmacies) < practice < PCN < locality < ICS.
enum class OrgType : uint8_t {
  kSite = 0,
  kPractice = 1,
  kPcn = 2,
  kLocality = 3,
  kIcs = 4,
  kPharmacy = 5
};
int OrgRank(OrgType type);
// Sex as recorded: unknown, male (M), female (F), indeterminate (I).
enum class Sex : uint8_t { kUnknown = 0, kMale = 1, kFemale = 2, kIndeterminate = 9 };
enum class AppointmentMode : uint8_t {
  kFaceToFace = 1,
  kTelephone = 2,
  kVideo = 3,
  kOnline = 4,
  kHomeVisit = 5
};
// kBooked: not yet happened, or its outcome not yet recorded.
enum class AppointmentStatus : uint8_t {
  kAttended = 1,
  kDidNotAttend = 2,
  kCancelled = 3,
  kBooked = 4
};
enum class HospitalSetting : uint8_t {
  kAe = 1,
  kEmergencyAdmission = 2,
  kElectiveAdmission = 3,
  kOutpatient = 4
};

std::string_view Name(OrgType v);
std::string_view Name(Sex v);
std::string_view Name(AppointmentMode v);
std::string_view Name(AppointmentStatus v);
std::string_view Name(HospitalSetting v);

bool Parse(std::string_view text, OrgType* out);
bool Parse(std::string_view text, Sex* out);  // M, F, I, U or male, female, indeterminate, unknown
bool Parse(std::string_view text, AppointmentMode* out);
bool Parse(std::string_view text, AppointmentStatus* out);
bool Parse(std::string_view text, HospitalSetting* out);

// FHIR R4 AdministrativeGender codes (male, female, other, unknown; exact,
// as FHIR's codes are case-sensitive) and populus's sex: the one table FHIR
// ingest and export both use.
std::string_view FhirGender(Sex v);
bool ParseFhirGender(std::string_view code, Sex* out);
std::string_view AcceptedFhirGenders();

// The 19 five-year age bands of the European Standard Population 2013 (0-4,
// 5-9, ..., 85-89, 90+): the bands of the population pyramid, the simulation's
// rates and age standardisation.
inline constexpr int kAgeBands = 19;
inline int AgeBand(int age) { return age >= 90 ? kAgeBands - 1 : (age < 0 ? 0 : age / 5); }
// "0-4", ..., "85-89", "90+".
std::string AgeBandName(int band);

// Staff roles of the general practice workforce, as appointments record them;
// stored as the index into this list.
std::span<const std::string_view> StaffRoles();
bool ParseStaffRole(std::string_view text, uint8_t* index);

// The spellings accepted for an enumeration, comma-separated, for error messages.
std::string_view AcceptedOrgTypes();
std::string_view AcceptedSexes();
std::string_view AcceptedModes();
std::string_view AcceptedStatuses();
std::string_view AcceptedSettings();
std::string_view AcceptedStaffRoles();

}  // namespace populus
