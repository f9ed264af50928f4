// The FHIR identifier systems, code systems and extensions populus reads and
// writes. Ingest (fhir_ingest.h) and export (fhir_export.h) share these names,
// so a snapshot exported and read back comes through whole.
//
// NHS systems are those of the UK Core R4 profiles. Where neither FHIR nor
// UK Core has an element for something the snapshot holds (the registration
// period, LSOA, IMD decile, care home flag, appointment mode, the populus
// hospital setting and staff role), populus uses its own extension or code
// system under kPopulusBase. That base is under the reserved ".example" domain
// (RFC 2606), so it can never collide with anyone else's definitions; it is a
// name, not an address to fetch. docs/fhir.md lists every one.
#pragma once

#include <string_view>

namespace populus::fhir {

// Identifier systems.
inline constexpr std::string_view kNhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
inline constexpr std::string_view kOdsOrganisationSystem =
    "https://fhir.nhs.uk/Id/ods-organization-code";

// Code systems of clinical codes.
inline constexpr std::string_view kSnomedSystem = "http://snomed.info/sct";
inline constexpr std::string_view kDmdSystem = "https://dmd.nhs.uk";
inline constexpr std::string_view kLoincSystem = "http://loinc.org";

// HL7 terminology used on Encounter.
inline constexpr std::string_view kActCodeSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ActCode";  // Encounter.class: EMER, IMP, AMB, VR, HH
inline constexpr std::string_view kActPrioritySystem =
    "http://terminology.hl7.org/CodeSystem/v3-ActPriority";  // Encounter.priority: EM, EL, UR

// UK Core's ethnic category extension; populus writes a SNOMED CT coding in it.
inline constexpr std::string_view kEthnicCategoryExtension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory";

// populus's own definitions.
inline constexpr std::string_view kPopulusBase = "https://fhir.populus.example";
// Patient identifiers of a snapshot: the keyed pseudonym of the NHS number, or
// the source's own patient id when the load had no NHS numbers.
inline constexpr std::string_view kPseudonymSystem = "https://fhir.populus.example/Id/pseudonym";
inline constexpr std::string_view kLocalPatientIdSystem =
    "https://fhir.populus.example/Id/patient-id";
// Organization.type coding: the extract format's organisation types (ics,
// locality, pcn, practice, site, pharmacy).
inline constexpr std::string_view kOrganisationTypeSystem =
    "https://fhir.populus.example/CodeSystem/organisation-type";
// PractitionerRole.code coding: the extract format's staff roles (gp, nurse, ...).
inline constexpr std::string_view kStaffRoleSystem =
    "https://fhir.populus.example/CodeSystem/staff-role";
// Encounter.type coding on hospital encounters: ae, emergency-admission,
// elective-admission, outpatient.
inline constexpr std::string_view kHospitalSettingSystem =
    "https://fhir.populus.example/CodeSystem/hospital-setting";
// Patient extensions.
inline constexpr std::string_view kRegistrationPeriodExtension =
    "https://fhir.populus.example/StructureDefinition/registration-period";  // valuePeriod
inline constexpr std::string_view kLsoaExtension =
    "https://fhir.populus.example/StructureDefinition/lsoa";  // valueString, e.g. E01015432
inline constexpr std::string_view kImdDecileExtension =
    "https://fhir.populus.example/StructureDefinition/imd-decile";  // valueInteger 1-10
inline constexpr std::string_view kCareHomeExtension =
    "https://fhir.populus.example/StructureDefinition/care-home-resident";  // valueBoolean
// Appointment extension: how the appointment was delivered (valueCode: the
// extract format's modes face-to-face, telephone, video, online, home-visit).
inline constexpr std::string_view kAppointmentModeExtension =
    "https://fhir.populus.example/StructureDefinition/appointment-mode";

}  // namespace populus::fhir
