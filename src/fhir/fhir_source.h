// The FHIR extract source: reading a FHIR input, mapping each resource to
// rows of the extract tables, and handing them to the loader. Internal to
// fhir/; fhir_ingest.h is the public interface.
//
// FhirSource is one class whose parts live in one file each:
//   fhir_ingest.cc            the three reads of the input, the load report,
//                             the tables handed to the loader
//   duplicate_resources.cc    a second resource with a key already seen
//   mapping_rules.cc          what every mapper shares: the subject, the
//                             date, a period's order, a code, a status
//   map_organization.cc       Organization (and the organisations CSV)
//   map_patient.cc            Patient
//   map_practitioner_role.cc  PractitionerRole (and Practitioner)
//   map_medication.cc         Medication, MedicationRequest, MedicationStatement
//   map_clinical_event.cc     Condition, Observation, Procedure, Immunization,
//                             AllergyIntolerance
//   map_encounter.cc          Encounter
//   map_appointment.cc        Appointment
// and reference_keys.h resolves the references between them.
//
// Anchors (Organization, Patient, PractitionerRole, Practitioner,
// Medication: what others refer to, and few) are read first and kept; their
// own references (partOf, generalPractitioner) are resolved once all are
// read. Every other resource is mapped as it is read, its rows spilled to a
// StagedTable.
#pragma once

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fhir/duplicate_keys.h"
#include "fhir/element_reader.h"
#include "fhir/fhir_ingest.h"
#include "fhir/loinc_map.h"
#include "fhir/reference_keys.h"
#include "fhir/resource_reader.h"
#include "fhir/staged_table.h"
#include "ingest/extract_source.h"
#include "ingest/source_problems.h"

namespace populus::fhir {

inline constexpr uint32_t kNone = kNoResource;
inline constexpr uint64_t kNoSeq = UINT64_MAX;

// What a resource came to, for the load report.
enum class Outcome : uint8_t { kPending, kLoaded, kQuarantined, kExcluded, kNotUsed };

// An anchor resource or a row of the organisations CSV: few enough to keep each.
struct AnchorEntry {
  uint32_t type;  // index into the source's type names
  uint32_t file;  // index into the source's file names
  uint64_t line;  // NDJSON line, or Bundle entry index
  Outcome outcome = Outcome::kPending;
  uint64_t text_hash = 0;  // XXH3-64 of its JSON text: an identical repeat is not a conflict
};

// The parts of an anchor resource kept while mapping.
struct OrganisationAnchor {
  uint32_t resource = kNone;  // kNone: a row of the organisations CSV
  std::string id;
  std::string code, name, type, parent_ref, postcode;
  std::string ods_code;  // from an ODS identifier, for hospital provider codes
  // Part of the ICS hierarchy: a row of the organisations CSV, or a type populus knows.
  bool populus_type() const { return resource == kNone || !type.empty(); }
};

struct RoleAnchor {
  std::string organisation_ref, practitioner_ref;  // as JSON
  std::string role = "other";
};

struct PatientAnchor {
  uint32_t resource;
  std::string nhs_number;  // as given; held in memory only while loading
  std::string id;
  std::string practice_ref;   // generalPractitioner as JSON, resolved once all are read
  std::string practice_code;  // resolved
  // The patients row, but for the identifier (slot 0, chosen once every patient
  // is read) and the practice code.
  std::vector<std::string> fields;
  bool usable = false;  // has an identifier for this load's mode
};

// The resource types read on the first pass, before any other.
bool IsAnchorType(std::string_view type);

// The extract table a resource of `type` is meant for, so that a problem
// with it counts where the loader's policy puts it: a Patient's or an
// Organization's rejects the load unless --lenient; the rest count against
// --max-errors.
ExtractTable TableOf(std::string_view type);

// Resources of each type by what they came to, for the load report.
struct TypeTally {
  uint64_t read = 0, loaded = 0, quarantined = 0, excluded = 0, not_used = 0;
  uint64_t& Of(Outcome o);
};

// The anchors' keys (Type/id and fullUrl) with the anchor that had each
// first. Each key's text is copied once into blocks that never move, so the
// map holds views and a key costs no allocation of its own.
class SeenKeys {
 public:
  // The anchor that first had the key "`type`/`id`", or kNone (and `anchor`
  // is recorded as having it). An empty type keeps fullUrls apart.
  uint32_t FirstOrAdd(std::string_view type, std::string_view id, uint32_t anchor);
  // The anchor that has the key, or kNone; records nothing.
  uint32_t Find(std::string_view type, std::string_view id) const;

 private:
  static constexpr size_t kBlock = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0, used_ = 0;
  std::unordered_map<std::string_view, uint32_t> first_;
  mutable std::string key_;  // Find()'s key, kept to reuse its memory
};

class FhirSource final : public ExtractSource, public StagedRowOwner {
 public:
  explicit FhirSource(const FhirIngestOptions& options) : options_(options) {}

  // ExtractSource
  Status Prepare() override;
  Status PatientsByNhsNumber(bool* nhs_numbers) override {
    *nhs_numbers = nhs_mode_;
    return Status::Ok();
  }
  Status Open(const ExtractTableSpec& spec, std::unique_ptr<TableRecords>* records) override;
  std::string TableLabel(const ExtractTableSpec& spec) const override {
    return fmt::format("{} (FHIR)", spec.snapshot);
  }
  Status ForEachProblem(const std::function<Status(const SourceProblem&)>& fn) override;
  std::string path() const override {
    return std::filesystem::absolute(options_.input).lexically_normal().string();
  }
  std::string format() const override { return "fhir-r4"; }
  void Describe(IngestResult* result) const override;
  bool CodesMayNameTheirSystem() const override { return true; }

  // StagedRowOwner
  std::string_view file_name(uint32_t file) const override { return files_[file]; }
  bool IsDuplicate(uint64_t seq) const override;
  void AnchorRowLoaded(uint64_t anchor, bool loaded) override;
  void ClinicalResourceLoaded(uint64_t seq, uint32_t type, bool loaded) override;

 private:
  using element = simdjson::dom::element;
  using array = simdjson::dom::array;

  struct Current {            // the resource being mapped
    uint32_t anchor = kNone;  // its index in anchors_, if an anchor
    uint64_t seq = 0;         // a clinical resource's sequence number
    uint32_t type_index = 0, file = 0;
    uint64_t line = 0;
    Outcome outcome = Outcome::kPending;  // a clinical resource's
    std::string_view type, id, full_url;
  };

  // ---- fhir_ingest.cc: the reads and the accounting
  uint32_t FileIndex(std::string_view name);
  uint32_t TypeIndex(std::string_view name);
  // The three reads of the input (Prepare): anchors; the keys of resources
  // others refer to, only when something does; everything else.
  void OnAnchor(const Resource& r);
  void OnReferencedKeys(const Resource& r);
  void OnClinical(const Resource& r);
  void OnReaderProblem(const Location& where, const ReadProblem& problem);
  // Settles the clinical resource just mapped: its outcome (unless the
  // loader is to decide it from its rows) and its keys, for duplicates.
  void EndClinical(uint64_t rows_before, bool keys);
  // The references among the anchors, once all are read.
  void ResolveAnchors();
  std::array<StagedTable*, 6> StagedTables() const {
    return {organisations_table_.get(), patients_table_.get(), events_.get(),
            medications_.get(),         activity_.get(),       appointments_.get()};
  }
  // Rows of the clinical tables mapped so far.
  uint64_t ClinicalRows() const {
    return events_->rows() + medications_->rows() + activity_->rows() + appointments_->rows();
  }
  // Starts mapping a resource: what is known of it so far.
  void Begin(const Current& current);
  void BeginAnchor(uint32_t anchor, std::string_view type, std::string_view id);
  // The outcome of the resource being mapped.
  Outcome& CurrentOutcome() {
    return current_.anchor != kNone ? anchors_[current_.anchor].outcome : current_.outcome;
  }
  RowOrigin Origin() const;
  std::string Where(uint32_t file, uint64_t line) const {
    return fmt::format("{} {} {}", files_[file],
                       files_[file].ends_with(".ndjson") ? "line" : "entry", line);
  }
  // Quarantines the current resource: a problem naming it and where it was read.
  void Problem(ExtractTable table, std::string_view column, Rule rule, std::string reason);
  void Exclude() { CurrentOutcome() = Outcome::kExcluded; }
  // True, with the resource quarantined, when an element it was read by had
  // the wrong JSON type.
  bool QuarantineWrongType(ExtractTable table);

  // ---- duplicate_resources.cc
  // True, with the resource quarantined, when an anchor's Type/id or fullUrl
  // is a second one of the load, or a clinical resource's fullUrl is an anchor's.
  bool Duplicate();
  // True (and the repeat set aside as not used) when the current anchor is
  // the same text as the one `first` that had its key, and not a Patient.
  bool IdenticalRepeat(uint32_t first);
  // Quarantines every clinical resource that repeats an earlier one's key,
  // in place of whatever else was said of it.
  Status QuarantineDuplicates();

  // ---- mapping_rules.cc
  // Records the keys a reference to the current resource may use.
  void AddKeys(ReferenceKeys* keys, element e, uint32_t value) {
    keys->Add(json_, e, current_.id, current_.full_url, value);
  }
  // Resolves a reference kept as JSON text; *text (if given) is the
  // reference as a message may show it.
  uint32_t ResolveStored(const ReferenceKeys& keys, const std::string& json, std::string* text) {
    return keys.ResolveText(&stored_parser_, json_, json, text);
  }
  // The patient key text of a reference, or false with a problem quarantined.
  bool Subject(element e, std::string_view key, ExtractTable table, std::string* patient,
               uint32_t* anchor = nullptr);
  // The first of `texts` that is present, as a day; false with a problem
  // quarantined when none is, or the first present is not a full date.
  bool RequiredDate(ExtractTable table, std::string_view column,
                    std::initializer_list<std::string_view> texts, std::string* out);
  // False, with the resource quarantined, when `end` is not a date or is
  // before `start`; the names are the elements' ("period.end"). A partial
  // end is let be: it cannot be compared.
  bool PeriodInOrder(ExtractTable table, std::string_view start_name, std::string_view end_name,
                     std::string_view start, std::string_view end);
  // The code of a CodeableConcept: SNOMED CT (or dm+d) id, a mapped LOINC,
  // or the first coding as system|code. *value and *unit are converted when a
  // LOINC mapping applies.
  bool Code(element concept_, bool medication, std::string* code, double* value, std::string* unit);
  // True when a status element (a code, or a CodeableConcept's first
  // coding) is one of `values`.
  bool StatusIn(element e, std::string_view key, std::initializer_list<std::string_view> values);

  // ---- one mapper per resource type
  void MapOrganisation(element e);
  Status ReadOrganisationsCsv();
  void ResolveOrganisations();
  void MapPatient(element e);
  void ResolvePatients();
  void MapRole(element e);
  void IndexRolesByPractitioner();
  // The PractitionerRole a participant's reference names, directly or
  // through its Practitioner, or kNone.
  uint32_t RoleOf(element reference) const;
  void MapMedicationResource(element e);
  void MapMedication(element e);  // MedicationRequest, MedicationStatement
  void MapEvent(element e);       // Condition, Observation, Procedure, ...
  void MapEncounter(element e);
  void MapAppointment(element e);

  const FhirIngestOptions& options_;
  ElementReader json_;
  LoincMap loinc_;
  std::vector<std::string> files_;
  std::unordered_map<std::string, uint32_t> file_index_;
  std::vector<std::string> type_names_;
  std::unordered_map<std::string, uint32_t> type_index_;
  std::vector<AnchorEntry> anchors_;
  std::vector<TypeTally> tallies_;  // clinical resources, by type index
  // Each with the clinical resource's seq, or kNoSeq: a duplicate's other
  // problems are set aside once duplicates are known.
  SourceProblemLog problems_;
  SourceProblemLog duplicate_problems_;  // written once all are read
  Current current_{};
  SeenKeys seen_;  // anchors' keys
  std::unique_ptr<DuplicateKeys> clinical_keys_;
  std::vector<uint64_t> duplicate_seqs_;     // sorted
  std::vector<uint64_t> settled_with_rows_;  // sorted: quarantined while mapped, rows kept
  uint64_t next_seq_ = 0;
  simdjson::dom::parser stored_parser_;  // for ResolveStored, so the reader's document stays valid

  // Anchors and their reference keys.
  std::vector<OrganisationAnchor> organisations_;
  ReferenceKeys organisation_keys_{"Organization"};
  std::vector<RoleAnchor> roles_;
  ReferenceKeys role_keys_{"PractitionerRole"};
  std::unordered_map<std::string, uint32_t> role_by_practitioner_;
  std::vector<PatientAnchor> patients_;
  ReferenceKeys patient_keys_{"Patient"};
  ReferenceKeys appointment_keys_{"Appointment"}, request_keys_{"MedicationRequest"},
      medication_keys_{"Medication"};
  bool appointment_keys_needed_ = false, request_keys_needed_ = false;
  std::vector<std::string> medication_codes_;  // Medication resources' codes

  std::unique_ptr<StagedTable> organisations_table_, patients_table_, events_, medications_,
      activity_, appointments_;
  bool nhs_mode_ = false;
  uint64_t bytes_ = 0;
  uint64_t registration_from_birth_ = 0, ethnicity_not_snomed_ = 0, mode_assumed_ = 0;
  uint64_t loinc_mapped_ = 0;
  std::map<std::string, uint64_t> codes_with_system_;
};

}  // namespace populus::fhir
