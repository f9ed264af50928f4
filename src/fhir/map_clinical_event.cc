#include <cmath>

#include "common/snomed_id.h"
#include "fhir/fhir_source.h"

namespace populus::fhir {

void FhirSource::MapEvent(element e) {
  const std::string_view t = current_.type;
  const ExtractTable table = ExtractTable::kEvents;
  if ((t == "Condition" || t == "AllergyIntolerance") &&
      StatusIn(e, "verificationStatus", {"entered-in-error", "refuted"})) {
    return Exclude();
  }
  if (t == "Observation" && StatusIn(e, "status", {"entered-in-error", "cancelled"})) {
    return Exclude();
  }
  if ((t == "Procedure" || t == "Immunization") &&
      StatusIn(e, "status", {"entered-in-error", "not-done"})) {
    return Exclude();
  }
  std::string patient, date;
  if (!Subject(e, t == "Immunization" || t == "AllergyIntolerance" ? "patient" : "subject", table,
               &patient)) {
    return;
  }
  element period;
  const std::string_view period_start = json_.Obj(e,
                                                  t == "Procedure"     ? "performedPeriod"
                                                  : t == "Observation" ? "effectivePeriod"
                                                                       : "onsetPeriod",
                                                  &period)
                                            ? json_.Str(period, "start")
                                            : std::string_view{};
  bool dated;
  if (t == "Condition") {
    dated = RequiredDate(
        table, "onsetDateTime",
        {json_.Str(e, "onsetDateTime"), period_start, json_.Str(e, "recordedDate")}, &date);
  } else if (t == "Observation") {
    dated = RequiredDate(table, "effectiveDateTime",
                         {json_.Str(e, "effectiveDateTime"), period_start,
                          json_.Str(e, "effectiveInstant"), json_.Str(e, "issued")},
                         &date);
  } else if (t == "Procedure") {
    dated = RequiredDate(table, "performedDateTime",
                         {json_.Str(e, "performedDateTime"), period_start}, &date);
  } else if (t == "Immunization") {
    dated = RequiredDate(table, "occurrenceDateTime",
                         {json_.Str(e, "occurrenceDateTime"), json_.Str(e, "recorded")}, &date);
  } else {  // AllergyIntolerance
    dated = RequiredDate(
        table, "onsetDateTime",
        {json_.Str(e, "onsetDateTime"), period_start, json_.Str(e, "recordedDate")}, &date);
  }
  if (!dated) return;
  const char* code_key = t == "Immunization" ? "vaccineCode" : "code";
  // One row per measured component; otherwise one for the resource.
  struct Row {
    std::string code, unit;
    double value = NAN;
  };
  std::vector<Row> rows;
  auto quantity = [this](element holder, double* value, std::string* unit) {
    element q;
    if (!json_.Obj(holder, "valueQuantity", &q) || !json_.Number(q, "value", value)) return false;
    const std::string_view ucum = json_.Str(q, "system") == "http://unitsofmeasure.org"
                                      ? json_.Str(q, "code")
                                      : std::string_view{};
    *unit = !ucum.empty() ? ucum : json_.Str(q, "unit");
    return true;
  };
  auto add = [&](element holder, element concept_) {
    Row row;
    quantity(holder, &row.value, &row.unit);
    element answer;
    std::string answer_code;
    double unused = NAN;
    std::string unused_unit;
    // A coded answer (a smoking status, say) that is itself a SNOMED CT finding is
    // what a GP record stores.
    if (std::isnan(row.value) && json_.Obj(holder, "valueCodeableConcept", &answer) &&
        Code(answer, false, &answer_code, &unused, &unused_unit) &&
        IsSnomedConceptId(answer_code)) {
      row.code = answer_code;
      rows.push_back(std::move(row));
      return true;
    }
    if (!Code(concept_, false, &row.code, &row.value, &row.unit)) return false;
    rows.push_back(std::move(row));
    return true;
  };
  array components;
  element concept_;
  if (!json_.Obj(e, code_key, &concept_)) {
    return Problem(table, code_key, Rule::kMissingElement,
                   fmt::format("the resource has no {}", code_key));
  }
  bool components_measured = false;
  if (t == "Observation" && json_.Arr(e, "component", &components)) {
    double v;
    for (element c : components) {
      element q, cc;
      if (json_.Obj(c, "valueQuantity", &q) && json_.Number(q, "value", &v) &&
          json_.Obj(c, "code", &cc)) {
        components_measured = true;
        if (!add(c, cc)) {
          return Problem(table, "component.code", Rule::kMissingElement,
                         "a component's code has no coding with a system and code");
        }
      }
    }
  }
  if (!components_measured && !add(e, concept_)) {
    return Problem(table, code_key, Rule::kMissingElement,
                   fmt::format("{} has no coding with a system and code", code_key));
  }
  if (QuarantineWrongType(table)) return;
  for (const Row& row : rows) {
    std::string value = std::isnan(row.value) ? "" : fmt::format("{}", row.value);
    events_->Add({patient, date, row.code, value, std::isnan(row.value) ? "" : row.unit}, Origin());
  }
}

}  // namespace populus::fhir
