#include "fhir/fhir_ingest.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>

#include "common/nhs_number.h"
#include "common/spill_file.h"
#include "fhir/fhir_source.h"
#include "fhir/resource_types.h"

namespace populus::fhir {
namespace {

// Memory for the resource keys held before they spill (duplicate_keys.h).
constexpr size_t kDuplicateKeyBudget = size_t{256} << 20;

}  // namespace

bool IsAnchorType(std::string_view type) {
  return type == "Organization" || type == "Patient" || type == "PractitionerRole" ||
         type == "Practitioner" || type == "Medication";
}

ExtractTable TableOf(std::string_view type) {
  if (type == "Patient") return ExtractTable::kPatients;
  if (type == "Organization") return ExtractTable::kOrganisations;
  if (type == "MedicationRequest" || type == "MedicationStatement" || type == "Medication") {
    return ExtractTable::kMedications;
  }
  if (type == "Appointment" || type == "PractitionerRole" || type == "Practitioner") {
    return ExtractTable::kAppointments;
  }
  if (type == "Encounter") return ExtractTable::kHospitalActivity;
  return ExtractTable::kEvents;
}

uint32_t SeenKeys::FirstOrAdd(std::string_view type, std::string_view id, uint32_t anchor) {
  const size_t size = type.size() + 1 + id.size();
  if (blocks_.empty() || used_ + size > block_size_) {
    block_size_ = std::max<size_t>(kBlock, size);
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    used_ = 0;
  }
  char* at = blocks_.back().get() + used_;
  std::copy(type.begin(), type.end(), at);
  at[type.size()] = '/';
  std::copy(id.begin(), id.end(), at + type.size() + 1);
  auto [it, added] = first_.emplace(std::string_view(at, size), anchor);
  if (!added) return it->second;
  used_ += size;
  return kNone;
}

uint32_t SeenKeys::Find(std::string_view type, std::string_view id) const {
  key_.assign(type).append("/").append(id);
  auto it = first_.find(std::string_view(key_));
  return it == first_.end() ? kNone : it->second;
}

uint64_t& TypeTally::Of(Outcome o) {
  switch (o) {
    case Outcome::kLoaded:
      return loaded;
    case Outcome::kQuarantined:
      return quarantined;
    case Outcome::kExcluded:
      return excluded;
    case Outcome::kPending:  // mapped to no row: nothing of it was stored
    case Outcome::kNotUsed:
      break;
  }
  return not_used;
}

// ---- Preparing: read, map anchors, map the rest --------------------------------

Status FhirSource::Prepare() {
  if (!std::filesystem::exists(options_.input)) {
    return Status::Usage(fmt::format("'{}' does not exist", options_.input));
  }
  if (!options_.loinc_map.empty()) POPULUS_RETURN_IF_ERROR(loinc_.Read(options_.loinc_map));
  auto columns = [](ExtractTable t) {
    std::vector<std::string> out;
    for (const auto& c : SpecFor(t).columns) out.emplace_back(c.name);
    return out;
  };
  // The mapped rows wait for the loader in unnamed files on the disk the
  // snapshot goes to.
  const std::string spill_dir = SpillFolderFor(options_.ingest.data_dir);
  organisations_table_ = std::make_unique<StagedTable>(this, columns(ExtractTable::kOrganisations));
  std::vector<std::string> patient_columns = columns(ExtractTable::kPatients);
  patient_columns.erase(patient_columns.begin());  // nhs_number or patient_id: chosen later
  patients_table_ = std::make_unique<StagedTable>(this, patient_columns);
  events_ = std::make_unique<StagedTable>(this, columns(ExtractTable::kEvents));
  medications_ = std::make_unique<StagedTable>(this, columns(ExtractTable::kMedications));
  activity_ = std::make_unique<StagedTable>(this, columns(ExtractTable::kHospitalActivity));
  appointments_ = std::make_unique<StagedTable>(this, columns(ExtractTable::kAppointments));
  for (StagedTable* t : StagedTables()) {
    POPULUS_RETURN_IF_ERROR(t->Create(spill_dir));
  }
  clinical_keys_ = std::make_unique<DuplicateKeys>(spill_dir, kDuplicateKeyBudget);
  POPULUS_RETURN_IF_ERROR(problems_.Create(spill_dir));
  POPULUS_RETURN_IF_ERROR(duplicate_problems_.Create(spill_dir));
  if (!options_.organisations_csv.empty()) POPULUS_RETURN_IF_ERROR(ReadOrganisationsCsv());

  // First read: the anchors, which every other resource may refer to; the
  // rest is passed over unparsed where its text says its type. Whether any
  // Encounter names an Appointment, or any MedicationStatement a request, is
  // noted from the text (a false alarm costs only a read of their keys).
  ReadSummary anchors;
  const SkipFn anchors_only = [this](std::string_view type, std::string_view text) {
    if (IsAnchorType(type)) return false;
    if (type == "Encounter" && !appointment_keys_needed_ &&
        text.find("\"appointment\"") != std::string_view::npos) {
      appointment_keys_needed_ = true;
    }
    if (type == "MedicationStatement" && !request_keys_needed_ &&
        text.find("\"basedOn\"") != std::string_view::npos) {
      request_keys_needed_ = true;
    }
    return true;
  };
  // A broken resource is reported on the read that wants its type.
  POPULUS_RETURN_IF_ERROR(ReadResources(
      options_.input, [this](const Resource& r) { OnAnchor(r); },
      [this](const Location& where, const ReadProblem& p) {
        if (IsAnchorType(p.named_type)) OnReaderProblem(where, p);
      },
      &anchors, anchors_only));
  // An input with nothing to load is refused, so that an empty snapshot is
  // never published over the last one.
  if (anchors.files == 0) {
    return Status::Usage(fmt::format(
        "'{}' holds no FHIR input: no .ndjson or .json file; nothing was loaded", options_.input));
  }
  if (anchors.resources + anchors.skipped == 0) {
    return Status::Data(fmt::format(
        "'{}': no FHIR resource could be read from its {} file(s){}; nothing was loaded",
        options_.input, anchors.files,
        !problems_.first()
            ? std::string()
            : fmt::format(" ({} could not be read, the first at {}: {})", anchors.problems,
                          Where(FileIndex(problems_.first()->file), problems_.first()->line),
                          problems_.first()->reason)));
  }
  if (auto it = anchors.by_type.find("Patient"); it == anchors.by_type.end() || it->second == 0) {
    return Status::Data(fmt::format(
        "'{}' holds no Patient resource that could be read, so there is nothing to load; the "
        "published snapshot is left as it was",
        options_.input));
  }
  ResolveAnchors();

  // Second read, only when something refers to an Appointment or a
  // MedicationRequest: their keys.
  if (appointment_keys_needed_ || request_keys_needed_) {
    ReadSummary keys;
    POPULUS_RETURN_IF_ERROR(ReadResources(
        options_.input, [this](const Resource& r) { OnReferencedKeys(r); },
        [](const Location&, const ReadProblem&) {}, &keys,
        [this](std::string_view type, std::string_view) {
          return !(appointment_keys_needed_ && type == "Appointment") &&
                 !(request_keys_needed_ && type == "MedicationRequest");
        }));
  }

  // Third read: every other resource, mapped as it is read.
  ReadSummary rest;
  POPULUS_RETURN_IF_ERROR(ReadResources(
      options_.input, [this](const Resource& r) { OnClinical(r); },
      [this](const Location& where, const ReadProblem& p) {
        if (!IsAnchorType(p.named_type)) OnReaderProblem(where, p);
      },
      &rest, [](std::string_view type, std::string_view) { return IsAnchorType(type); }));
  bytes_ = rest.bytes;
  POPULUS_RETURN_IF_ERROR(QuarantineDuplicates());
  POPULUS_RETURN_IF_ERROR(problems_.FinishWriting());
  POPULUS_RETURN_IF_ERROR(duplicate_problems_.FinishWriting());
  for (StagedTable* t : StagedTables()) {
    POPULUS_RETURN_IF_ERROR(t->FinishWriting());
  }
  return Status::Ok();
}

uint32_t FhirSource::FileIndex(std::string_view name) {
  auto [it, added] = file_index_.emplace(std::string(name), static_cast<uint32_t>(files_.size()));
  if (added) files_.emplace_back(name);
  return it->second;
}

uint32_t FhirSource::TypeIndex(std::string_view name) {
  auto [it, added] =
      type_index_.emplace(std::string(name), static_cast<uint32_t>(type_names_.size()));
  if (added) {
    type_names_.emplace_back(name);
    tallies_.emplace_back();
  }
  return it->second;
}

void FhirSource::OnReaderProblem(const Location& where, const ReadProblem& problem) {
  // The table is the one of the type the text (or an NDJSON file's name)
  // names: a broken Patient or Organization rejects the load unless
  // --lenient, as a bad patients.csv or organisations.csv row does; anything
  // else counts against --max-errors.
  const ExtractTable table = TableOf(problem.named_type);
  // The quarantine names the file and line or entry; the reason says the rest.
  std::string reason = problem.reason;
  if (!problem.named_type.empty()) {
    reason +=
        fmt::format("; counted as a {} (named by its text or its file's name)", problem.named_type);
  }
  problems_.Add(
      {table, where.file, where.entry >= 0 ? static_cast<uint64_t>(where.entry) : where.line, "",
       problem.kind == ReadProblem::Kind::kBundleTypeNotRead ? Rule::kUnreadBundleType
                                                             : Rule::kMalformedResource,
       std::move(reason), ""},
      kNoSeq);
}

void FhirSource::Problem(ExtractTable table, std::string_view column, Rule rule,
                         std::string reason) {
  // An element of the wrong JSON type reads as absent, so it may be why the
  // resource failed: say so rather than "no birthDate".
  if (json_.wrong_type() && rule != Rule::kInvalidJsonType) {
    column = json_.wrong_type_key();
    rule = Rule::kInvalidJsonType;
    reason = json_.wrong_type_reason();
  }
  CurrentOutcome() = Outcome::kQuarantined;
  // The quarantine names the file and line or entry; the reason names the resource.
  std::string record = fmt::format("{}/{}", current_.type, current_.id);
  problems_.Add({table, files_[current_.file], current_.line, std::string(column), rule,
                 fmt::format("{}: {}", record, reason), MaskNhsNumberRuns(record)},
                current_.anchor == kNone ? current_.seq : kNoSeq);
}

// ---- What the loader made of the staged rows ----------------------------------

bool FhirSource::IsDuplicate(uint64_t seq) const {
  return std::binary_search(duplicate_seqs_.begin(), duplicate_seqs_.end(), seq);
}

void FhirSource::AnchorRowLoaded(uint64_t anchor, bool loaded) {
  auto& o = anchors_[anchor].outcome;
  if (!loaded) {
    o = Outcome::kQuarantined;
  } else if (o == Outcome::kPending) {
    o = Outcome::kLoaded;
  }
}

void FhirSource::ClinicalResourceLoaded(uint64_t seq, uint32_t type, bool loaded) {
  // Unless its outcome was settled while it was mapped.
  if (std::binary_search(settled_with_rows_.begin(), settled_with_rows_.end(), seq)) return;
  ++tallies_[type].Of(loaded ? Outcome::kLoaded : Outcome::kQuarantined);
}

// ---- The resource being mapped ------------------------------------------------

void FhirSource::Begin(const Current& current) {
  current_ = current;
  json_.Reset();
}

RowOrigin FhirSource::Origin() const {
  RowOrigin o;
  o.anchor = current_.anchor != kNone ? 1 : 0;
  o.id = current_.anchor != kNone ? current_.anchor : current_.seq;
  o.file = current_.file;
  o.line = current_.line;
  o.type = current_.type_index;
  return o;
}

bool FhirSource::QuarantineWrongType(ExtractTable table) {
  if (!json_.wrong_type()) return false;
  Problem(table, json_.wrong_type_key(), Rule::kInvalidJsonType, json_.wrong_type_reason());
  return true;
}

void FhirSource::BeginAnchor(uint32_t anchor, std::string_view type, std::string_view id) {
  Current c;
  c.anchor = anchor;
  c.type_index = anchors_[anchor].type;
  c.file = anchors_[anchor].file;
  c.line = anchors_[anchor].line;
  c.type = type;
  c.id = id;
  Begin(c);
}

void FhirSource::OnAnchor(const Resource& r) {
  const element e = r.element;  // parsed by the reader
  if (!IsAnchorType(r.type)) {
    // Read only because its text did not say its type plainly: the third read maps it.
    element unused;
    if (r.type == "Encounter" && e["appointment"].get(unused) == simdjson::SUCCESS) {
      appointment_keys_needed_ = true;
    }
    if (r.type == "MedicationStatement" && e["basedOn"].get(unused) == simdjson::SUCCESS) {
      request_keys_needed_ = true;
    }
    return;
  }
  const uint32_t index = static_cast<uint32_t>(anchors_.size());
  anchors_.push_back({TypeIndex(r.type), FileIndex(r.where->file),
                      r.where->entry >= 0 ? static_cast<uint64_t>(r.where->entry) : r.where->line,
                      Outcome::kPending, XXH3_64bits(r.json.data(), r.json.size())});
  BeginAnchor(index, r.type, {});
  current_.full_url = r.full_url;
  current_.id = json_.Str(e, "id");
  if (Duplicate()) return;
  const std::string_view t = r.type;
  if (t == "Organization") return MapOrganisation(e);
  if (t == "Patient") return MapPatient(e);
  if (t == "PractitionerRole") return MapRole(e);
  if (t == "Practitioner") {
    // Read only so that references to it resolve through its PractitionerRole.
    anchors_[index].outcome = Outcome::kLoaded;
    return;
  }
  MapMedicationResource(e);
}

void FhirSource::OnReferencedKeys(const Resource& r) {
  const bool appointment = appointment_keys_needed_ && r.type == "Appointment";
  const bool request = request_keys_needed_ && r.type == "MedicationRequest";
  if (!appointment && !request) return;
  Current c;
  c.type = r.type;
  c.full_url = r.full_url;
  Begin(c);
  current_.id = json_.Str(r.element, "id");
  AddKeys(appointment ? &appointment_keys_ : &request_keys_, r.element, 0);
}

void FhirSource::OnClinical(const Resource& r) {
  if (IsAnchorType(r.type)) return;  // read only because its text did not say its type plainly
  const element e = r.element;
  Current c;
  c.seq = next_seq_++;
  c.type_index = TypeIndex(r.type);
  c.file = FileIndex(r.where->file);
  c.line = r.where->entry >= 0 ? static_cast<uint64_t>(r.where->entry) : r.where->line;
  c.type = r.type;
  c.full_url = r.full_url;
  Begin(c);
  current_.id = json_.Str(e, "id");
  ++tallies_[c.type_index].read;
  const uint64_t rows_before = ClinicalRows();
  if (!IsR4ResourceType(r.type)) {
    // In a file named for a type (Patient.000.ndjson), it counts as one.
    Problem(TableOf(r.where->entry < 0 ? ResourceTypeOfFileName(r.where->file) : ""),
            "resourceType", Rule::kUnknownResourceType,
            fmt::format("'{}' is not a FHIR R4 resource type", r.type));
    return EndClinical(rows_before, false);
  }
  const std::string_view t = r.type;
  static const std::array<std::string_view, 9> kMapped = {
      "Condition",         "Observation",         "Procedure", "Immunization", "AllergyIntolerance",
      "MedicationRequest", "MedicationStatement", "Encounter", "Appointment"};
  if (std::find(kMapped.begin(), kMapped.end(), t) == kMapped.end()) {
    current_.outcome = Outcome::kNotUsed;
    return EndClinical(rows_before, false);
  }
  if (!Duplicate()) {
    if (t == "MedicationRequest" || t == "MedicationStatement") {
      MapMedication(e);
    } else if (t == "Encounter") {
      MapEncounter(e);
    } else if (t == "Appointment") {
      MapAppointment(e);
    } else {
      MapEvent(e);
    }
  }
  EndClinical(rows_before, true);
}

void FhirSource::EndClinical(uint64_t rows_before, bool keys) {
  const bool rows = ClinicalRows() > rows_before;
  const Outcome o = current_.outcome;
  uint8_t note = 0;  // 0: the loader decides; else 1 + the outcome counted now
  if (!rows || o != Outcome::kPending) {
    ++tallies_[current_.type_index].Of(o);
    note = static_cast<uint8_t>(1 + static_cast<uint8_t>(o));
    if (rows) settled_with_rows_.push_back(current_.seq);
  }
  if (!keys) return;
  if (!current_.id.empty()) {
    clinical_keys_->Add(KeyKind::kTypeAndId, current_.type, current_.id, current_.seq,
                        current_.file, current_.line, current_.type_index, note);
  }
  if (!current_.full_url.empty()) {
    clinical_keys_->Add(KeyKind::kFullUrl, current_.type, current_.full_url, current_.seq,
                        current_.file, current_.line, current_.type_index, note);
  }
}

void FhirSource::ResolveAnchors() {
  ResolveOrganisations();
  IndexRolesByPractitioner();
  ResolvePatients();
}

Status FhirSource::Open(const ExtractTableSpec& spec, std::unique_ptr<TableRecords>* records) {
  std::unique_ptr<StagedTable>* table = nullptr;
  switch (spec.table) {
    case ExtractTable::kOrganisations:
      table = &organisations_table_;
      break;
    case ExtractTable::kPatients:
      table = &patients_table_;
      break;
    case ExtractTable::kEvents:
      table = &events_;
      break;
    case ExtractTable::kMedications:
      table = &medications_;
      break;
    case ExtractTable::kAppointments:
      table = &appointments_;
      break;
    case ExtractTable::kHospitalActivity:
      table = &activity_;
      break;
  }
  records->reset();
  if (*table == nullptr || (*table)->rows() == 0) return Status::Ok();
  *records = std::move(*table);
  return Status::Ok();
}

void FhirSource::Describe(IngestResult* result) const {
  nlohmann::json by_type = nlohmann::json::object();
  std::vector<TypeTally> tallies = tallies_;
  for (const AnchorEntry& a : anchors_) {
    ++tallies[a.type].read;
    ++tallies[a.type].Of(a.outcome);
  }
  for (uint32_t t = 0; t < type_names_.size(); ++t) {
    by_type[type_names_[t]] = {{"read", tallies[t].read},
                               {"loaded", tallies[t].loaded},
                               {"quarantined", tallies[t].quarantined},
                               {"excluded", tallies[t].excluded},
                               {"not_used", tallies[t].not_used}};
  }
  result->source_summary = {{"format", "fhir-r4"},
                            {"resources", by_type},
                            {"codes_kept_with_system", codes_with_system_},
                            {"loinc_mapped_to_snomed", loinc_mapped_}};
  result->bytes_read = bytes_;
  if (registration_from_birth_ > 0) {
    result->warnings.push_back(fmt::format(
        "{} patient(s) carry no registration period; they are taken as registered at their "
        "practice from birth",
        registration_from_birth_));
  }
  if (ethnicity_not_snomed_ > 0) {
    result->warnings.push_back(fmt::format(
        "{} patient(s) have an ethnic category without a SNOMED CT coding; it is not stored",
        ethnicity_not_snomed_));
  }
  if (mode_assumed_ > 0) {
    result->warnings.push_back(fmt::format(
        "{} appointment(s) do not say how they were delivered; they are recorded as face-to-face",
        mode_assumed_));
  }
}

Status IngestFhir(const FhirIngestOptions& options, IngestResult* result) {
  FhirSource source(options);
  return IngestFrom(source, options.ingest, result);
}

}  // namespace populus::fhir
