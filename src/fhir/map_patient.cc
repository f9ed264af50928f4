#include "common/snomed_id.h"
#include "common/vocabulary.h"
#include "fhir/fhir_dates.h"
#include "fhir/fhir_source.h"
#include "fhir/fhir_systems.h"

namespace populus::fhir {

void FhirSource::MapPatient(element e) {
  PatientAnchor p;
  p.resource = current_.anchor;
  array identifiers;
  if (json_.Arr(e, "identifier", &identifiers)) {
    for (element id : identifiers) {
      if (json_.Str(id, "system") == kNhsNumberSystem)
        p.nhs_number = IdentifierValue(kNhsNumberSystem, json_.Str(id, "value"));
    }
  }
  p.id = current_.id;
  if (p.id.empty() && current_.full_url.starts_with("urn:uuid:")) {
    p.id = current_.full_url.substr(9);
  }
  // The patient row, but for its identifier (chosen once every patient is
  // read) and its practice (resolved once every organisation is read).
  std::vector<std::string> fields(patients_table_->width());
  enum {
    kIdentifier,
    kBirth,
    kSex,
    kPractice,
    kFrom,
    kTo,
    kDeath,
    kLsoa,
    kImd,
    kEthnicity,
    kCareHome
  };
  std::string_view day;
  const std::string_view birth = json_.Str(e, "birthDate");
  switch (DatePart(birth, &day)) {
    case DateText::kOk:
      fields[kBirth] = day;
      break;
    case DateText::kAbsent:
      return Problem(ExtractTable::kPatients, "birthDate", Rule::kMissingElement,
                     "the Patient has no birthDate");
    case DateText::kPartial:
      return Problem(ExtractTable::kPatients, "birthDate", Rule::kInvalidDate,
                     fmt::format("birthDate '{}' is a partial date; populus needs the day", birth));
    case DateText::kMalformed:
      return Problem(ExtractTable::kPatients, "birthDate", Rule::kInvalidDate,
                     fmt::format("birthDate '{}' is not a valid date", birth));
  }
  const std::string_view gender = json_.Str(e, "gender");
  Sex sex = Sex::kUnknown;
  if (!gender.empty() && !ParseFhirGender(gender, &sex)) {
    return Problem(ExtractTable::kPatients, "gender", Rule::kInvalidValue,
                   fmt::format("gender '{}' is not an administrative gender of FHIR ({})", gender,
                               AcceptedFhirGenders()));
  }
  fields[kSex] = Name(sex);
  std::string_view death_text = json_.Str(e, "deceasedDateTime");
  if (!death_text.empty()) {
    if (DatePart(death_text, &day) != DateText::kOk) {
      return Problem(ExtractTable::kPatients, "deceasedDateTime", Rule::kInvalidDate,
                     fmt::format("deceasedDateTime '{}' is not a full date", death_text));
    }
    fields[kDeath] = day;
  } else {
    bool deceased = false;
    if (json_.Boolean(e, "deceasedBoolean", &deceased) && deceased) {
      return Problem(ExtractTable::kPatients, "deceasedBoolean", Rule::kMissingElement,
                     "the Patient is deceased but has no deceasedDateTime; populus needs the date");
    }
  }
  // Registration: populus's extension, else the PDS convention of a period on
  // the generalPractitioner's identifier, else from birth (counted).
  std::string_view from, to;
  array extensions;
  if (json_.Arr(e, "extension", &extensions)) {
    for (element x : extensions) {
      const std::string_view url = json_.Str(x, "url");
      element value;
      if (url == kRegistrationPeriodExtension && json_.Obj(x, "valuePeriod", &value)) {
        from = json_.Str(value, "start");
        to = json_.Str(value, "end");
      } else if (url == kLsoaExtension) {
        fields[kLsoa] = json_.Str(x, "valueString");
      } else if (url == kImdDecileExtension) {
        int64_t imd;
        if (json_.Integer(x, "valueInteger", &imd)) {
          fields[kImd] = std::to_string(imd);
        }
      } else if (url == kCareHomeExtension) {
        bool care_home;
        if (json_.Boolean(x, "valueBoolean", &care_home)) {
          fields[kCareHome] = care_home ? "1" : "0";
        }
      } else if (url == kEthnicCategoryExtension && json_.Obj(x, "valueCodeableConcept", &value)) {
        array codings;
        if (json_.Arr(value, "coding", &codings)) {
          for (element c : codings) {
            if (json_.Str(c, "system") == kSnomedSystem &&
                IsSnomedConceptId(json_.Str(c, "code"))) {
              fields[kEthnicity] = json_.Str(c, "code");
            }
          }
        }
        if (fields[kEthnicity].empty()) ++ethnicity_not_snomed_;
      }
    }
  }
  element gp;
  if (json_.First(e, "generalPractitioner", &gp)) {
    p.practice_ref = simdjson::to_string(gp);
    element id, period;
    if (from.empty() && json_.Obj(gp, "identifier", &id) && json_.Obj(id, "period", &period)) {
      from = json_.Str(period, "start");
      to = json_.Str(period, "end");
    }
  }
  if (!from.empty()) {
    if (DatePart(from, &day) != DateText::kOk) {
      return Problem(ExtractTable::kPatients, "registration", Rule::kInvalidDate,
                     fmt::format("the registration start '{}' is not a full date", from));
    }
    fields[kFrom] = day;
    if (!to.empty()) {
      if (DatePart(to, &day) != DateText::kOk) {
        return Problem(ExtractTable::kPatients, "registration", Rule::kInvalidDate,
                       fmt::format("the registration end '{}' is not a full date", to));
      }
      fields[kTo] = day;
    }
  } else {
    fields[kFrom] = fields[kBirth];
    ++registration_from_birth_;
  }
  if (QuarantineWrongType(ExtractTable::kPatients)) return;
  p.fields = std::move(fields);
  AddKeys(&patient_keys_, e, static_cast<uint32_t>(patients_.size()));
  patients_.push_back(std::move(p));
}

void FhirSource::ResolvePatients() {
  // Patients: NHS numbers if any patient has one, else the resource ids.
  for (const auto& p : patients_) nhs_mode_ = nhs_mode_ || !p.nhs_number.empty();
  patients_table_->SetColumnName(0, nhs_mode_ ? "nhs_number" : "patient_id");
  for (uint32_t i = 0; i < patients_.size(); ++i) {
    PatientAnchor& p = patients_[i];
    BeginAnchor(p.resource, "Patient", p.id);
    const std::string key = nhs_mode_ ? p.nhs_number : p.id;
    if (key.empty()) {
      Problem(ExtractTable::kPatients, "identifier", Rule::kMissingValue,
              nhs_mode_ ? "the Patient has no NHS number identifier (" +
                              std::string(kNhsNumberSystem) + ") while others in this load do"
                        : "the Patient has no id");
      continue;
    }
    std::string practice;
    if (p.practice_ref.empty()) {
      if (options_.default_practice.empty()) {
        Problem(ExtractTable::kPatients, "generalPractitioner", Rule::kMissingElement,
                "the Patient names no generalPractitioner; give --default-practice CODE to "
                "register such patients at a practice");
        continue;
      }
      practice = options_.default_practice;
    } else {
      std::string text;
      uint32_t o = ResolveStored(organisation_keys_, p.practice_ref, &text);
      if (o == kNone) {
        const uint32_t role = ResolveStored(role_keys_, p.practice_ref, nullptr);
        if (role != kNone) {
          o = ResolveStored(organisation_keys_, roles_[role].organisation_ref, nullptr);
        }
      }
      if (o == kNone) {
        Problem(
            ExtractTable::kPatients, "generalPractitioner", Rule::kDanglingReference,
            fmt::format("generalPractitioner '{}' resolves to no Organization of this load", text));
        continue;
      }
      practice = organisations_[o].code;
    }
    if (QuarantineWrongType(ExtractTable::kPatients)) continue;  // in generalPractitioner
    p.practice_code = practice;
    p.usable = true;
    p.fields[0] = key;
    p.fields[3] = practice;  // practice_code, after identifier, birth and sex
    patients_table_->Add(p.fields, Origin());
    std::vector<std::string>().swap(p.fields);
  }
}

}  // namespace populus::fhir
