#include <cmath>

#include "common/snomed_id.h"
#include "fhir/fhir_dates.h"
#include "fhir/fhir_source.h"
#include "fhir/fhir_systems.h"

namespace populus::fhir {

bool FhirSource::Subject(element e, std::string_view key, ExtractTable table, std::string* patient,
                         uint32_t* anchor) {
  element ref;
  if (!json_.Obj(e, key, &ref)) {
    Problem(table, key, Rule::kMissingElement, fmt::format("the resource has no {}", key));
    return false;
  }
  const uint32_t p = patient_keys_.Resolve(json_, ref);
  if (p == kNone) {
    Problem(
        table, key, Rule::kDanglingReference,
        fmt::format("{} '{}' resolves to no Patient of this load", key, ReferenceText(json_, ref)));
    return false;
  }
  if (!patients_[p].usable) {
    Problem(table, key, Rule::kUnknownPatient,
            fmt::format("{} is a Patient that was itself quarantined", key));
    return false;
  }
  *patient = nhs_mode_ ? patients_[p].nhs_number : patients_[p].id;
  if (anchor != nullptr) *anchor = p;
  return true;
}

bool FhirSource::RequiredDate(ExtractTable table, std::string_view column,
                              std::initializer_list<std::string_view> texts, std::string* out) {
  for (std::string_view text : texts) {
    std::string_view day;
    switch (DatePart(text, &day)) {
      case DateText::kAbsent:
        continue;
      case DateText::kOk:
        *out = day;
        return true;
      case DateText::kPartial:
        Problem(table, column, Rule::kInvalidDate,
                fmt::format("{} '{}' is a partial date; populus needs the day", column, text));
        return false;
      case DateText::kMalformed:
        Problem(table, column, Rule::kInvalidDate,
                fmt::format("{} '{}' is not a valid date", column, text));
        return false;
    }
  }
  Problem(table, column, Rule::kMissingElement, fmt::format("the resource has no {}", column));
  return false;
}

bool FhirSource::PeriodInOrder(ExtractTable table, std::string_view start_name,
                               std::string_view end_name, std::string_view start,
                               std::string_view end) {
  std::string_view day;
  switch (DatePart(end, &day)) {
    case DateText::kAbsent:
    case DateText::kPartial:
      return true;
    case DateText::kMalformed:
      Problem(table, end_name, Rule::kInvalidDate,
              fmt::format("{} '{}' is not a valid date", end_name, end));
      return false;
    case DateText::kOk:
      break;
  }
  if (!EndsBeforeStart(start, end)) return true;
  Problem(table, end_name, Rule::kInvalidPeriod,
          fmt::format("{} '{}' is before {} '{}'", end_name, end, start_name, start));
  return false;
}

bool FhirSource::Code(element concept_, bool medication, std::string* code, double* value,
                      std::string* unit) {
  array codings;
  if (!json_.Arr(concept_, "coding", &codings)) return false;
  for (element c : codings) {
    const std::string_view system = json_.Str(c, "system");
    const std::string_view text = json_.Str(c, "code");
    if ((system == kSnomedSystem || (medication && system == kDmdSystem)) &&
        IsSnomedConceptId(text)) {
      *code = text;
      return true;
    }
  }
  if (!loinc_.empty()) {
    for (element c : codings) {
      if (json_.Str(c, "system") != kLoincSystem) continue;
      const std::vector<LoincMapping>* mappings = loinc_.Find(std::string(json_.Str(c, "code")));
      if (mappings == nullptr) continue;
      for (const LoincMapping& m : *mappings) {
        if (m.unit != "*" && m.unit != *unit) continue;
        *code = m.snomed;
        if (!std::isnan(*value)) {
          *value *= m.factor;
          *unit = m.snomed_unit;
        }
        ++loinc_mapped_;
        return true;
      }
    }
  }
  for (element c : codings) {
    const std::string_view system = json_.Str(c, "system");
    const std::string_view text = json_.Str(c, "code");
    if (system.empty() || text.empty()) continue;
    *code = fmt::format("{}|{}", system, text);
    ++codes_with_system_[std::string(system)];
    return true;
  }
  return false;
}

bool FhirSource::StatusIn(element e, std::string_view key,
                          std::initializer_list<std::string_view> values) {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  std::string_view status;
  if (v.is_string()) {
    status = json_.Str(e, key);
  } else if (v.is_object()) {  // a CodeableConcept (Condition, AllergyIntolerance)
    array codings;
    if (json_.Arr(v, "coding", &codings)) {
      for (element c : codings) {
        status = json_.Str(c, "code");
        break;
      }
    }
  } else {
    json_.WrongType(key, v, "a code or a CodeableConcept");
  }
  return std::find(values.begin(), values.end(), status) != values.end();
}

}  // namespace populus::fhir
