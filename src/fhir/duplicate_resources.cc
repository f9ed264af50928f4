#include <algorithm>

#include "common/nhs_number.h"
#include "fhir/fhir_source.h"

namespace populus::fhir {
namespace {

std::string SecondIdReason(std::string_view type, std::string_view id, const std::string& first) {
  return fmt::format("a second {} with id '{}'; the first is at {}", type, id, first);
}
std::string SecondFullUrlReason(std::string_view full_url, const std::string& first) {
  return fmt::format("a second entry with fullUrl '{}'; the first is at {}", full_url, first);
}

}  // namespace

bool FhirSource::Duplicate() {
  auto where = [&](uint32_t first) { return Where(anchors_[first].file, anchors_[first].line); };
  const ExtractTable table = TableOf(current_.type);
  if (current_.anchor == kNone) {
    // A clinical resource's keys are compared with one another once all are
    // read (QuarantineDuplicates); here only with the anchors' fullUrls.
    if (current_.full_url.empty()) return false;
    const uint32_t first = seen_.Find({}, current_.full_url);
    if (first == kNone) return false;
    Problem(table, "fullUrl", Rule::kDuplicateResource,
            SecondFullUrlReason(current_.full_url, where(first)));
    return true;
  }
  if (!current_.id.empty()) {
    if (const uint32_t first = seen_.FirstOrAdd(current_.type, current_.id, current_.anchor);
        first != kNone) {
      if (IdenticalRepeat(first)) return true;
      Problem(table, "id", Rule::kDuplicateResource,
              SecondIdReason(current_.type, current_.id, where(first)));
      return true;
    }
  }
  if (!current_.full_url.empty()) {
    if (const uint32_t first = seen_.FirstOrAdd({}, current_.full_url, current_.anchor);
        first != kNone) {
      if (IdenticalRepeat(first)) return true;
      Problem(table, "fullUrl", Rule::kDuplicateResource,
              SecondFullUrlReason(current_.full_url, where(first)));
      return true;
    }
  }
  return false;
}

bool FhirSource::IdenticalRepeat(uint32_t first) {
  AnchorEntry& repeat = anchors_[current_.anchor];
  const AnchorEntry& original = anchors_[first];
  // Per-patient Bundles often each carry the practice's Organization (and
  // its Practitioner, role and Medications) again, word for word. A Patient
  // given twice is still refused: two registrations are never merged.
  if (current_.type == "Patient" || repeat.type != original.type ||
      repeat.text_hash != original.text_hash) {
    return false;
  }
  repeat.outcome = Outcome::kNotUsed;
  // References in the repeat's Bundle may use its own fullUrl: it resolves
  // to what the first one's id does.
  if (current_.full_url.empty() || current_.id.empty()) return true;
  seen_.FirstOrAdd({}, current_.full_url, first);
  ReferenceKeys* keys = current_.type == "Organization"       ? &organisation_keys_
                        : current_.type == "PractitionerRole" ? &role_keys_
                        : current_.type == "Medication"       ? &medication_keys_
                                                              : nullptr;
  if (keys == nullptr) return true;
  keys->AddFullUrlOf(current_.id, current_.full_url);
  return true;
}

Status FhirSource::ForEachProblem(const std::function<Status(const SourceProblem&)>& fn) {
  // What else was said of a duplicate gives way to its being one.
  POPULUS_RETURN_IF_ERROR(problems_.ForEach([&](const SourceProblem& p, uint64_t seq) {
    return seq != kNoSeq && IsDuplicate(seq) ? Status::Ok() : fn(p);
  }));
  return duplicate_problems_.ForEach([&](const SourceProblem& p, uint64_t) { return fn(p); });
}

Status FhirSource::QuarantineDuplicates() {
  std::vector<DuplicateResource> duplicates;
  POPULUS_RETURN_IF_ERROR(clinical_keys_->Finish(&duplicates));
  clinical_keys_.reset();
  for (const DuplicateResource& d : duplicates) duplicate_seqs_.push_back(d.seq);  // in seq order
  for (const DuplicateResource& d : duplicates) {
    TypeTally& tally = tallies_[d.type];
    if (d.note != 0) --tally.Of(static_cast<Outcome>(d.note - 1));
    ++tally.quarantined;
    const std::string& type = type_names_[d.type];
    const bool by_id = d.kind == KeyKind::kTypeAndId;
    const std::string record = by_id ? fmt::format("{}/{}", type, d.text) : type;
    const std::string first = Where(d.first_file, d.first_line);
    const std::string reason = fmt::format(
        "{}: {}", record,
        by_id ? SecondIdReason(type, d.text, first) : SecondFullUrlReason(d.text, first));
    duplicate_problems_.Add({TableOf(type), files_[d.file], d.line, by_id ? "id" : "fullUrl",
                             Rule::kDuplicateResource, reason, MaskNhsNumberRuns(record)},
                            d.seq);
  }
  return Status::Ok();
}

}  // namespace populus::fhir
