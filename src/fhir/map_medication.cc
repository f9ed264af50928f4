#include <cmath>

#include "fhir/fhir_source.h"

namespace populus::fhir {

void FhirSource::MapMedicationResource(element e) {
  // Kept only for its code, which a medicationReference resolves to.
  std::string code;
  double value = NAN;
  std::string unit;
  element concept_;
  const bool coded = json_.Obj(e, "code", &concept_) && Code(concept_, true, &code, &value, &unit);
  if (QuarantineWrongType(ExtractTable::kMedications)) return;
  if (coded) {
    AddKeys(&medication_keys_, e, static_cast<uint32_t>(medication_codes_.size()));
    medication_codes_.push_back(code);
    anchors_[current_.anchor].outcome = Outcome::kLoaded;
  } else {
    anchors_[current_.anchor].outcome = Outcome::kNotUsed;
  }
}

void FhirSource::MapMedication(element e) {
  const ExtractTable table = ExtractTable::kMedications;
  const bool request = current_.type == "MedicationRequest";
  if (request) {
    if (StatusIn(e, "status", {"entered-in-error", "cancelled", "draft"})) return Exclude();
    // An authorisation or proposal is not an issue.
    if (!StatusIn(e, "intent",
                  {"order", "original-order", "reflex-order", "filler-order", "instance-order"})) {
      return Exclude();
    }
  } else {
    if (StatusIn(e, "status", {"entered-in-error", "not-taken"})) return Exclude();
    // A statement based on a request of this load: the request is the record.
    array based_on;
    if (json_.Arr(e, "basedOn", &based_on)) {
      for (element ref : based_on) {
        if (request_keys_.Resolve(json_, ref) != kNone) return Exclude();
      }
    }
  }
  std::string patient, date;
  if (!Subject(e, "subject", table, &patient)) return;
  element period;
  const std::string_view period_start =
      json_.Obj(e, "effectivePeriod", &period) ? json_.Str(period, "start") : std::string_view{};
  if (request ? !RequiredDate(table, "authoredOn", {json_.Str(e, "authoredOn")}, &date)
              : !RequiredDate(
                    table, "effectiveDateTime",
                    {json_.Str(e, "effectiveDateTime"), period_start, json_.Str(e, "dateAsserted")},
                    &date)) {
    return;
  }
  std::string code, unit;
  double unused = NAN;
  element concept_, ref;
  if (json_.Obj(e, "medicationCodeableConcept", &concept_)) {
    if (!Code(concept_, true, &code, &unused, &unit)) {
      return Problem(table, "medicationCodeableConcept", Rule::kMissingElement,
                     "medicationCodeableConcept has no coding with a system and code");
    }
  } else if (json_.Obj(e, "medicationReference", &ref)) {
    const uint32_t m = medication_keys_.Resolve(json_, ref);
    if (m == kNone) {
      return Problem(table, "medicationReference", Rule::kDanglingReference,
                     fmt::format("medicationReference '{}' resolves to no Medication with a code",
                                 ReferenceText(json_, ref)));
    }
    code = medication_codes_[m];
  } else {
    return Problem(table, "medication", Rule::kMissingElement, "the resource names no medication");
  }
  std::string quantity;
  element dispense, q;
  double v;
  if (request && json_.Obj(e, "dispenseRequest", &dispense) &&
      json_.Obj(dispense, "quantity", &q) && json_.Number(q, "value", &v)) {
    quantity = fmt::format("{}", v);
  }
  if (QuarantineWrongType(table)) return;
  medications_->Add({patient, date, code, quantity}, Origin());
}

}  // namespace populus::fhir
