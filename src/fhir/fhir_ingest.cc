#include "fhir/fhir_ingest.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/civil_date.h"
#include "common/nhs_number.h"
#include "common/snomed_id.h"
#include "common/spill_file.h"
#include "common/vocabulary.h"
#include "extract/csv_reader.h"
#include "extract/data_table.h"
#include "extract/extract_schema.h"
#include "fhir/duplicate_keys.h"
#include "fhir/fhir_systems.h"
#include "fhir/resource_reader.h"
#include "fhir/resource_types.h"
#include "ingest/extract_source.h"
#include "ingest/quarantine.h"

namespace populus::fhir {
namespace {
namespace fs = std::filesystem;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr char kFieldSeparator = '\x1f';  // staged fields never hold control characters
constexpr uint32_t kNone = UINT32_MAX;
constexpr uint64_t kNoSeq = UINT64_MAX;

// ---- Dates and times --------------------------------------------------------

// FHIR date or dateTime: the calendar date as written ("2019-03-04",
// "2019-03-04T10:00:00+01:00"). A partial date (year or month only) has no day
// populus could store.
enum class DateText { kAbsent, kOk, kPartial, kMalformed };

DateText DatePart(std::string_view text, std::string_view* out) {
  if (text.empty()) return DateText::kAbsent;
  if (text.size() == 4 || text.size() == 7) return DateText::kPartial;
  if (text.size() < 10 || (text.size() > 10 && text[10] != 'T')) return DateText::kMalformed;
  *out = text.substr(0, 10);
  Date d;
  return ParseIsoDate(*out, &d) == DateParse::kOk ? DateText::kOk : DateText::kMalformed;
}

// A dateTime with a time ("2024-02-01T09:00:00+01:00") as seconds since the
// epoch in UTC, its offset applied (none, as if Z); false when it has no time.
bool UtcSeconds(std::string_view t, int64_t* out) {
  std::string_view day;
  if (DatePart(t, &day) != DateText::kOk || t.size() < 16 || t[13] != ':') return false;
  auto two = [&](size_t at, int* v) {
    if (at + 2 > t.size() || t[at] < '0' || t[at] > '9' || t[at + 1] < '0' || t[at + 1] > '9') {
      return false;
    }
    *v = (t[at] - '0') * 10 + (t[at + 1] - '0');
    return true;
  };
  int hh, mm, ss = 0;
  if (!two(11, &hh) || !two(14, &mm)) return false;
  if (t.size() > 16 && t[16] == ':') two(17, &ss);
  Date d;
  ParseIsoDate(day, &d);
  int64_t seconds = (static_cast<int64_t>(d) * 1440 + hh * 60 + mm) * 60 + ss;
  const size_t zone = t.find_first_of("Z+-", 16);
  int oh, om;
  if (zone != std::string_view::npos && t[zone] != 'Z' && two(zone + 1, &oh) &&
      two(zone + 4, &om)) {
    const int64_t offset = (oh * 60 + om) * 60;
    seconds += t[zone] == '+' ? -offset : offset;
  }
  *out = seconds;
  return true;
}

// Minutes between two dateTimes with times, or -1.
int64_t MinutesBetween(std::string_view start, std::string_view end) {
  int64_t a, b;
  if (!UtcSeconds(start, &a) || !UtcSeconds(end, &b) || b < a) return -1;
  return (b - a) / 60;
}

// True when a period's end (a full date or dateTime) is before its start: by
// the instant when both have times, else by the date.
bool EndsBeforeStart(std::string_view start, std::string_view end) {
  int64_t a, b;
  if (UtcSeconds(start, &a) && UtcSeconds(end, &b)) return b < a;
  std::string_view start_day, end_day;
  if (DatePart(start, &start_day) != DateText::kOk || DatePart(end, &end_day) != DateText::kOk) {
    return false;
  }
  return end_day < start_day;  // ISO dates order as text
}

std::string Trimmed(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

// The extract table a resource of `type` is meant for, so that a problem
// with it counts where the loader's policy puts it: a Patient's or an
// Organization's rejects the load unless --lenient; the rest count against
// --max-errors.
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

const char* JsonTypeName(simdjson::dom::element_type type) {
  switch (type) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return "a number";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
  }
  return "another JSON type";
}

// Keys seen so far (Type/id, fullUrl) with the resource that had each first,
// to find duplicates. Each key's text is copied once into blocks that never
// move, so the map holds views and a key costs no allocation of its own.
// Why a resource is a duplicate-resource: its key, and where the first one
// with that key is.
std::string SecondIdReason(std::string_view type, std::string_view id, const std::string& first) {
  return fmt::format("a second {} with id '{}'; the first is at {}", type, id, first);
}
std::string SecondFullUrlReason(std::string_view full_url, const std::string& first) {
  return fmt::format("a second entry with fullUrl '{}'; the first is at {}", full_url, first);
}

class SeenKeys {
 public:
  // The resource that first had the key "`type`/`id`", or kNone (and
  // `resource` is recorded as having it). An empty type keeps fullUrls apart.
  uint32_t FirstOrAdd(std::string_view type, std::string_view id, uint32_t resource) {
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
    auto [it, added] = first_.emplace(std::string_view(at, size), resource);
    if (!added) return it->second;
    used_ += size;
    return kNone;
  }
  // The resource that has the key, or kNone; records nothing.
  uint32_t Find(std::string_view type, std::string_view id) const {
    key_.assign(type).append("/").append(id);
    auto it = first_.find(std::string_view(key_));
    return it == first_.end() ? kNone : it->second;
  }

 private:
  static constexpr size_t kBlock = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0, used_ = 0;
  std::unordered_map<std::string_view, uint32_t> first_;
  mutable std::string key_;  // Find()'s key, kept to reuse its memory
};

// ---- LOINC to SNOMED CT ------------------------------------------------------

struct LoincMapping {
  std::string unit;  // "*" for any
  std::string snomed, snomed_unit;
  double factor = 1;
};

Status ReadLoincMap(const std::string& path,
                    std::unordered_map<std::string, std::vector<LoincMapping>>* out) {
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(path,
                                    {{"loinc_code", "loinc_term", "loinc_unit", "snomed_code",
                                      "snomed_term", "snomed_unit", "factor"}},
                                    &t));
  const auto column = [&t](const char* name) { return static_cast<size_t>(t.Column({name})); };
  const size_t loinc = column("loinc_code"), unit = column("loinc_unit"),
               snomed = column("snomed_code"), snomed_unit = column("snomed_unit");
  const int factor = t.Column({"factor"});
  for (size_t r = 0; r < t.rows.size(); ++r) {
    LoincMapping m;
    m.unit = t.rows[r][unit];
    m.snomed = t.rows[r][snomed];
    m.snomed_unit = t.rows[r][snomed_unit];
    if (!IsSnomedConceptId(m.snomed)) {
      return Status::Data(fmt::format("{} line {}: snomed_code '{}' is not a SNOMED CT concept id",
                                      path, t.lines[r], m.snomed));
    }
    POPULUS_RETURN_IF_ERROR(t.Number(r, factor, false, &m.factor));
    if (!(m.factor > 0)) {
      return Status::Data(fmt::format("{} line {}: factor '{}' is not a positive number", path,
                                      t.lines[r], t.rows[r][static_cast<size_t>(factor)]));
    }
    (*out)[t.rows[r][loinc]].push_back(std::move(m));
  }
  return Status::Ok();
}

// ---- Staged tables -----------------------------------------------------------

// What a resource came to, for the load report.
enum class Outcome : uint8_t { kPending, kLoaded, kQuarantined, kExcluded, kNotUsed };

// An anchor resource (Organization, Patient, PractitionerRole, Practitioner,
// Medication) or a row of the organisations CSV: few enough to keep each.
struct AnchorEntry {
  uint32_t type;  // index into the source's type names
  uint32_t file;  // index into the source's file names
  uint64_t line;  // NDJSON line, or Bundle entry index
  Outcome outcome = Outcome::kPending;
  uint64_t text_hash = 0;  // XXH3-64 of its JSON text: an identical repeat is not a conflict
};

// Where a staged row came from: an anchor (by its index), or a clinical
// resource (by its sequence number in the read; such resources are too many
// to keep an entry for each).
struct RowOrigin {
  uint64_t id = 0;
  uint64_t line = 0;
  uint32_t file = 0;
  uint32_t type = 0;
  uint32_t anchor = 0;  // 1 for an anchor
  uint32_t text_size = 0;
};

class FhirSource;

// One table's rows as the mapping wrote them: each row's origin and its text
// fields joined by a separator, spilled to an unnamed temporary file, so a
// table of any size costs a buffer of memory. Read back once, in order, by
// the loader.
class StagedTable final : public TableRecords {
 public:
  StagedTable(FhirSource* source, std::vector<std::string> columns)
      : source_(source), columns_(std::move(columns)) {}

  Status Create(const std::string& spill_dir) { return spill_.Create(spill_dir); }
  size_t width() const { return columns_.size(); }
  uint64_t rows() const { return rows_; }
  void SetColumnName(size_t i, std::string name) { columns_[i] = std::move(name); }
  // Fields are text from the source; a control character in one (which
  // valid FHIR can only carry escaped) becomes a space, so it cannot split a field.
  void Add(const std::vector<std::string>& fields, RowOrigin origin) {
    text_.clear();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) text_.push_back(kFieldSeparator);
      for (char ch : fields[i]) text_.push_back(static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch);
    }
    origin.text_size = static_cast<uint32_t>(text_.size());
    spill_.Append(&origin, sizeof origin);
    spill_.Append(text_);
    ++rows_;
  }
  // Ends the writing; a spill error (a full disk) stops the load.
  Status FinishWriting() { return spill_.FinishWriting(); }

  bool Next(CsvRecord* record) override;
  Status status() const override { return spill_.status(); }
  std::string_view file() const override { return file_; }
  uint64_t size() const override { return rows(); }
  uint64_t consumed() const override { return next_; }
  uint64_t bytes_read() const override { return 0; }  // the input's bytes are counted once
  void Outcome(bool loaded) override;

 private:
  // Reports what the loader made of the resource whose rows were just read.
  void EndResource();

  FhirSource* source_;
  std::vector<std::string> columns_;
  SpillFile spill_;
  std::string text_;  // a row being written, or the row last read
  uint64_t rows_ = 0, next_ = 0;
  bool header_given_ = false;
  std::string_view file_;
  RowOrigin current_{};
  bool in_resource_ = false, all_loaded_ = true;
};

// The parts of an anchor resource (one others refer to) kept while mapping.
struct OrganisationAnchor {
  uint32_t resource = kNone;  // kNone: a row of the organisations CSV
  std::string id;
  std::string code, name, type, parent_ref, postcode;
  std::string ods_code;  // from an ODS identifier, for hospital provider codes
  // Part of the ICS hierarchy: a row of the organisations CSV, or a type populus knows.
  bool populus_type() const { return resource == kNone || !type.empty(); }
};

struct RoleAnchor {
  std::string organisation_ref, practitioner_ref;
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

// The resource types read on the first pass, before any other: those that
// other resources refer to and that are few (one per patient at most).
bool IsAnchorType(std::string_view type) {
  return type == "Organization" || type == "Patient" || type == "PractitionerRole" ||
         type == "Practitioner" || type == "Medication";
}

// Resources of each type by what they came to, for the load report.
struct TypeTally {
  uint64_t read = 0, loaded = 0, quarantined = 0, excluded = 0, not_used = 0;
  uint64_t& Of(Outcome o) {
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
};

// Memory for the resource keys held before they spill (duplicate_keys.h).
constexpr size_t kDuplicateKeyBudget = size_t{256} << 20;

class FhirSource final : public ExtractSource {
 public:
  explicit FhirSource(const FhirIngestOptions& options) : options_(options) {}

  Status Prepare() override;
  Status PatientsByNhsNumber(bool* nhs_numbers) override {
    *nhs_numbers = nhs_mode_;
    return Status::Ok();
  }
  Status Open(const ExtractTableSpec& spec, std::unique_ptr<TableRecords>* records) override;
  std::string TableLabel(const ExtractTableSpec& spec) const override {
    return fmt::format("{} (FHIR)", spec.snapshot);
  }
  const std::vector<SourceProblem>& problems() const override { return problems_; }
  std::string path() const override {
    return fs::absolute(options_.input).lexically_normal().string();
  }
  std::string format() const override { return "fhir-r4"; }
  void Describe(IngestResult* result) const override;
  bool CodesMayNameTheirSystem() const override { return true; }

  std::string_view file_name(uint32_t file) const { return files_[file]; }
  void SetAnchorOutcome(uint64_t anchor, bool loaded) {
    auto& o = anchors_[anchor].outcome;
    if (!loaded) {
      o = Outcome::kQuarantined;
    } else if (o == Outcome::kPending) {
      o = Outcome::kLoaded;
    }
  }
  // True when clinical resource `seq` repeats an earlier one's key: its rows
  // are not handed over.
  bool IsDuplicate(uint64_t seq) const {
    return std::binary_search(duplicate_seqs_.begin(), duplicate_seqs_.end(), seq);
  }
  // What the loader made of clinical resource `seq`, unless its outcome was
  // settled while it was mapped.
  void LoaderOutcome(uint64_t seq, uint32_t type, bool loaded) {
    if (std::binary_search(settled_with_rows_.begin(), settled_with_rows_.end(), seq)) return;
    ++tallies_[type].Of(loaded ? Outcome::kLoaded : Outcome::kQuarantined);
  }

 private:
  struct Current {            // the resource being mapped
    uint32_t anchor = kNone;  // its index in anchors_, if an anchor
    uint64_t seq = 0;         // a clinical resource's sequence number
    uint32_t type_index = 0, file = 0;
    uint64_t line = 0;
    Outcome outcome = Outcome::kPending;  // a clinical resource's
    std::string_view type, id, full_url;
    const Location* where = nullptr;
  };

  // Reading elements. A member that is there with a JSON type other than
  // FHIR's (a number where FHIR has a string, say) reads as absent and is
  // remembered, so the resource is quarantined (rule invalid-json-type) and
  // never loaded as if the element were not there.
  std::string_view Str(element e, std::string_view key) const;
  bool Obj(element e, std::string_view key, element* out) const;
  bool Arr(element e, std::string_view key, array* out) const;
  // The first element of an array member, or the member itself if an object.
  bool First(element e, std::string_view key, element* out) const;
  bool Number(element e, std::string_view key, double* out) const;
  bool Integer(element e, std::string_view key, int64_t* out) const;
  bool Boolean(element e, std::string_view key, bool* out) const;
  void WrongType(std::string_view key, element value, const char* wanted) const;
  // True, with the resource quarantined, when an element it was read by had
  // the wrong JSON type.
  bool QuarantineWrongType(ExtractTable table);
  // Starts mapping a resource: what is known of it so far.
  void Begin(const Current& current);
  // True when a status element says the record is not a fact to count.
  bool StatusIn(element e, std::string_view key, std::initializer_list<std::string_view> values);

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
  std::array<StagedTable*, 6> StagedTables() const {
    return {organisations_table_.get(), patients_table_.get(), events_.get(),
            medications_.get(),         activity_.get(),       appointments_.get()};
  }
  // Rows of the clinical tables mapped so far.
  uint64_t ClinicalRows() const {
    return events_->rows() + medications_->rows() + activity_->rows() + appointments_->rows();
  }
  void BeginAnchor(uint32_t anchor, std::string_view type, std::string_view id);
  // Quarantines every clinical resource that repeats an earlier one's key,
  // in place of whatever else was said of it.
  Status QuarantineDuplicates();
  // The outcome of the resource being mapped.
  Outcome& CurrentOutcome() {
    return current_.anchor != kNone ? anchors_[current_.anchor].outcome : current_.outcome;
  }
  RowOrigin Origin() const {
    RowOrigin o;
    o.anchor = current_.anchor != kNone ? 1 : 0;
    o.id = current_.anchor != kNone ? current_.anchor : current_.seq;
    o.file = current_.file;
    o.line = current_.line;
    o.type = current_.type_index;
    return o;
  }
  std::string Where(uint32_t file, uint64_t line) const {
    return fmt::format("{} {} {}", files_[file],
                       files_[file].ends_with(".ndjson") ? "line" : "entry", line);
  }
  // True, with the resource quarantined, when an anchor's Type/id or fullUrl
  // is a second one of the load, or a clinical resource's fullUrl is an anchor's.
  bool Duplicate();
  // True (and the repeat set aside as not used) when the current anchor is
  // the same text as the one `first` that had its key, and not a Patient.
  bool IdenticalRepeat(uint32_t first);
  Status ReadOrganisationsCsv();
  void MapOrganisation(element e);
  void MapPatient(element e);
  void MapRole(element e);
  void ResolveAnchors();
  void MapEvent(element e);
  void MapMedication(element e);
  void MapEncounter(element e);
  void MapAppointment(element e);

  // Records the keys a reference to the current resource may use.
  void AddKeys(std::unordered_map<std::string, uint32_t>* keys, element e, uint32_t value);
  // Looks a reference up among `keys`, which hold resources of `type`.
  uint32_t Resolve(const std::unordered_map<std::string, uint32_t>& keys, std::string_view type,
                   element reference) const;
  std::string ReferenceText(element reference) const;
  // Resolves a reference kept as JSON text (an anchor's, read before its
  // targets were known); *text is the reference as a report may show it.
  uint32_t ResolveStored(const std::unordered_map<std::string, uint32_t>& keys,
                         std::string_view type, const std::string& json, std::string* text);

  void Problem(ExtractTable table, std::string_view column, Rule rule, std::string reason);
  void Exclude() { CurrentOutcome() = Outcome::kExcluded; }
  // The patient key text of a reference, or empty with a problem quarantined.
  bool Subject(element e, std::string_view key, ExtractTable table, std::string* patient,
               uint32_t* anchor = nullptr);
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

  const FhirIngestOptions& options_;
  std::unordered_map<std::string, std::vector<LoincMapping>> loinc_;
  std::vector<std::string> files_;
  std::unordered_map<std::string, uint32_t> file_index_;
  std::vector<std::string> type_names_;
  std::unordered_map<std::string, uint32_t> type_index_;
  std::vector<AnchorEntry> anchors_;
  std::vector<TypeTally> tallies_;  // clinical resources, by type index
  std::vector<SourceProblem> problems_;
  std::vector<uint64_t> problem_seq_;  // per problem: the clinical resource's seq, or kNoSeq
  Current current_{};
  // The first element of the current resource with the wrong JSON type.
  mutable std::string wrong_type_, wrong_type_key_;
  SeenKeys seen_;  // anchors' keys
  std::unique_ptr<DuplicateKeys> clinical_keys_;
  std::vector<uint64_t> duplicate_seqs_;     // sorted
  std::vector<uint64_t> settled_with_rows_;  // sorted: quarantined while mapped, rows kept
  uint64_t next_seq_ = 0;
  simdjson::dom::parser stored_parser_;  // for ResolveStored, so the reader's document stays valid

  // Anchors and their reference keys.
  std::vector<OrganisationAnchor> organisations_;
  std::unordered_map<std::string, uint32_t> organisation_keys_;
  std::vector<RoleAnchor> roles_;
  std::unordered_map<std::string, uint32_t> role_keys_;
  std::unordered_map<std::string, uint32_t> role_by_practitioner_;
  std::vector<PatientAnchor> patients_;
  std::unordered_map<std::string, uint32_t> patient_keys_;
  std::unordered_map<std::string, uint32_t> appointment_keys_, request_keys_, medication_keys_;
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

bool StagedTable::Next(CsvRecord* record) {
  record->problem = CsvProblem::kNone;
  record->fields.clear();
  if (!header_given_) {
    header_given_ = true;
    for (const auto& c : columns_) record->fields.push_back(c);
    record->line = 0;
    return true;
  }
  RowOrigin origin;
  for (;;) {
    if (next_ >= rows_ || !spill_.Read(&origin, sizeof origin)) {
      EndResource();
      return false;
    }
    text_.resize(origin.text_size);
    if (origin.text_size > 0 && !spill_.Read(text_.data(), text_.size())) {
      EndResource();
      return false;
    }
    ++next_;
    if (origin.anchor != 0 || !source_->IsDuplicate(origin.id)) break;
    // A duplicate: quarantined as such (Prepare); none of its rows are loaded.
  }
  if (in_resource_ && (origin.anchor != 0 || origin.id != current_.id)) EndResource();
  const std::string_view text = text_;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == kFieldSeparator) {
      record->fields.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  record->raw = text;
  record->line = origin.line;
  file_ = source_->file_name(origin.file);
  current_ = origin;
  return true;
}

void StagedTable::Outcome(bool loaded) {
  if (current_.anchor != 0) {
    source_->SetAnchorOutcome(current_.id, loaded);
    return;
  }
  in_resource_ = true;
  all_loaded_ = all_loaded_ && loaded;
}

void StagedTable::EndResource() {
  if (!in_resource_) return;
  source_->LoaderOutcome(current_.id, current_.type, all_loaded_);
  in_resource_ = false;
  all_loaded_ = true;
}

// ---- Reading elements -------------------------------------------------------

void FhirSource::Begin(const Current& current) {
  current_ = current;
  wrong_type_.clear();
  wrong_type_key_.clear();
}

void FhirSource::WrongType(std::string_view key, element value, const char* wanted) const {
  if (!wrong_type_.empty()) return;  // the first is reported
  wrong_type_key_ = key;
  wrong_type_ =
      fmt::format("'{}' is {} where FHIR requires {}", key, JsonTypeName(value.type()), wanted);
}

bool FhirSource::QuarantineWrongType(ExtractTable table) {
  if (wrong_type_.empty()) return false;
  Problem(table, wrong_type_key_, Rule::kInvalidJsonType, wrong_type_);
  return true;
}

std::string_view FhirSource::Str(element e, std::string_view key) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return {};
  std::string_view out;
  if (v.get_string().get(out) != simdjson::SUCCESS) {
    WrongType(key, v, "a string");
    return {};
  }
  return out;
}

bool FhirSource::Obj(element e, std::string_view key, element* out) const {
  if (e[key].get(*out) != simdjson::SUCCESS) return false;
  if (out->is_object()) return true;
  WrongType(key, *out, "an object");
  return false;
}

bool FhirSource::Arr(element e, std::string_view key, array* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.get_array().get(*out) == simdjson::SUCCESS) return true;
  WrongType(key, v, "an array");
  return false;
}

bool FhirSource::First(element e, std::string_view key, element* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.is_object()) {
    *out = v;
    return true;
  }
  array a;
  if (v.get_array().get(a) != simdjson::SUCCESS) {
    WrongType(key, v, "an array");
    return false;
  }
  for (element x : a) {
    if (!x.is_object()) {
      WrongType(key, x, "an array of objects");
      return false;
    }
    *out = x;
    return true;
  }
  return false;
}

bool FhirSource::Number(element e, std::string_view key, double* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.is_double() || v.is_int64() || v.is_uint64()) {
    return v.get_double().get(*out) == simdjson::SUCCESS;
  }
  WrongType(key, v, "a number");
  return false;
}

bool FhirSource::Integer(element e, std::string_view key, int64_t* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.get_int64().get(*out) == simdjson::SUCCESS) return true;
  WrongType(key, v, "an integer");
  return false;
}

bool FhirSource::Boolean(element e, std::string_view key, bool* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.get_bool().get(*out) == simdjson::SUCCESS) return true;
  WrongType(key, v, "true or false");
  return false;
}

// ---- Preparing: read, map anchors, map the rest --------------------------------

Status FhirSource::Prepare() {
  if (!fs::exists(options_.input)) {
    return Status::Usage(fmt::format("'{}' does not exist", options_.input));
  }
  if (!options_.loinc_map.empty())
    POPULUS_RETURN_IF_ERROR(ReadLoincMap(options_.loinc_map, &loinc_));
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
        problems_.empty() ? std::string()
                          : fmt::format(" ({} could not be read, the first: {})", anchors.problems,
                                        problems_.front().reason)));
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

Status FhirSource::ReadOrganisationsCsv() {
  const std::string& path = options_.organisations_csv;
  CsvReader reader;
  POPULUS_RETURN_IF_ERROR(reader.Open(path));
  CsvRecord rec;
  if (!reader.Next(&rec)) {
    POPULUS_RETURN_IF_ERROR(reader.status());
    return Status::Data(path + ": the file is empty; it needs at least a header row");
  }
  HeaderBinding binding;
  POPULUS_RETURN_IF_ERROR(binding.Bind(SpecFor(ExtractTable::kOrganisations), rec, path));
  const uint32_t file = FileIndex(fs::path(path).filename().string());
  const uint32_t type = TypeIndex("organisations.csv");
  while (reader.Next(&rec)) {
    const uint32_t index = static_cast<uint32_t>(anchors_.size());
    anchors_.push_back({type, file, rec.line});
    std::vector<std::string> fields(organisations_table_->width());
    if (rec.fields.size() == binding.width() && rec.problem == CsvProblem::kNone) {
      for (size_t c = 0; c < fields.size(); ++c) {
        const int at = binding.index(SpecFor(ExtractTable::kOrganisations).columns[c].name);
        if (at >= 0) fields[c] = rec.fields[static_cast<size_t>(at)];
      }
      OrganisationAnchor o;
      o.code = fields[0];
      o.ods_code = fields[0];
      OrgType org_type;
      if (Parse(fields[2], &org_type)) o.type = Name(org_type);
      organisation_keys_["Organization?" + std::string(kOdsOrganisationSystem) + "|" + o.code] =
          static_cast<uint32_t>(organisations_.size());
      organisations_.push_back(std::move(o));
    } else {
      const Rule rule = rec.problem != CsvProblem::kNone ? Rule::kCsvQuoting : Rule::kColumnCount;
      const std::string reason = rec.problem != CsvProblem::kNone
                                     ? CsvProblemText(rec.problem)
                                     : fmt::format("{} fields where the header has {}",
                                                   rec.fields.size(), binding.width());
      problems_.push_back({ExtractTable::kOrganisations, files_[file], rec.line, "", rule, reason,
                           SanitisedRawRecord(rec.raw)});
      problem_seq_.push_back(kNoSeq);
      anchors_.back().outcome = Outcome::kQuarantined;
      continue;
    }
    RowOrigin origin;
    origin.anchor = 1;
    origin.id = index;
    origin.file = file;
    origin.line = rec.line;
    origin.type = type;
    organisations_table_->Add(fields, origin);
  }
  return reader.status();
}

void FhirSource::OnReaderProblem(const Location& where, const ReadProblem& problem) {
  // The table is the one of the type the text (or an NDJSON file's name)
  // names: a broken Patient or Organization rejects the load unless
  // --lenient, as a bad patients.csv or organisations.csv row does; anything
  // else counts against --max-errors.
  const ExtractTable table = TableOf(problem.named_type);
  std::string reason = fmt::format("{}: {}", where.Describe(), problem.reason);
  if (!problem.named_type.empty()) {
    reason +=
        fmt::format("; counted as a {} (named by its text or its file's name)", problem.named_type);
  }
  problems_.push_back(
      {table, where.file, where.entry >= 0 ? static_cast<uint64_t>(where.entry) : where.line, "",
       problem.kind == ReadProblem::Kind::kBundleTypeNotRead ? Rule::kUnreadBundleType
                                                             : Rule::kMalformedResource,
       std::move(reason), ""});
  problem_seq_.push_back(kNoSeq);
}

void FhirSource::Problem(ExtractTable table, std::string_view column, Rule rule,
                         std::string reason) {
  // An element of the wrong JSON type reads as absent, so it may be why the
  // resource failed: say so rather than "no birthDate".
  if (!wrong_type_.empty() && rule != Rule::kInvalidJsonType) {
    column = wrong_type_key_;
    rule = Rule::kInvalidJsonType;
    reason = wrong_type_;
  }
  CurrentOutcome() = Outcome::kQuarantined;
  std::string record = fmt::format("{}/{}", current_.type, current_.id);
  const std::string where =
      current_.where != nullptr ? current_.where->Describe() : Where(current_.file, current_.line);
  problems_.push_back({table, files_[current_.file], current_.line, std::string(column), rule,
                       fmt::format("{} ({}): {}", record, where, reason),
                       MaskNhsNumberRuns(record)});
  problem_seq_.push_back(current_.anchor == kNone ? current_.seq : kNoSeq);
}

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
  std::unordered_map<std::string, uint32_t>* keys =
      current_.type == "Organization"       ? &organisation_keys_
      : current_.type == "PractitionerRole" ? &role_keys_
      : current_.type == "Medication"       ? &medication_keys_
                                            : nullptr;
  if (keys == nullptr) return true;
  if (auto it = keys->find(fmt::format("{}/{}", current_.type, current_.id)); it != keys->end()) {
    keys->emplace(std::string(current_.full_url), it->second);
  }
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
  current_.where = r.where;
  current_.id = Str(e, "id");
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
  // A Medication.
  std::string code;
  double value = NAN;
  std::string unit;
  element concept_;
  const bool coded = Obj(e, "code", &concept_) && Code(concept_, true, &code, &value, &unit);
  if (QuarantineWrongType(ExtractTable::kMedications)) return;
  if (coded) {
    AddKeys(&medication_keys_, e, static_cast<uint32_t>(medication_codes_.size()));
    medication_codes_.push_back(code);
    anchors_[index].outcome = Outcome::kLoaded;
  } else {
    anchors_[index].outcome = Outcome::kNotUsed;
  }
}

void FhirSource::OnReferencedKeys(const Resource& r) {
  const bool appointment = appointment_keys_needed_ && r.type == "Appointment";
  const bool request = request_keys_needed_ && r.type == "MedicationRequest";
  if (!appointment && !request) return;
  Current c;
  c.type = r.type;
  c.full_url = r.full_url;
  c.where = r.where;
  Begin(c);
  current_.id = Str(r.element, "id");
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
  c.where = r.where;
  Begin(c);
  current_.id = Str(e, "id");
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

Status FhirSource::QuarantineDuplicates() {
  std::vector<DuplicateResource> duplicates;
  POPULUS_RETURN_IF_ERROR(clinical_keys_->Finish(&duplicates));
  clinical_keys_.reset();
  if (duplicates.empty()) return Status::Ok();
  for (const DuplicateResource& d : duplicates) duplicate_seqs_.push_back(d.seq);  // in seq order
  // What else was said of a duplicate gives way to its being one.
  size_t kept = 0;
  for (size_t i = 0; i < problems_.size(); ++i) {
    if (problem_seq_[i] != kNoSeq && IsDuplicate(problem_seq_[i])) continue;
    if (kept != i) {  // a self-move would empty it
      problems_[kept] = std::move(problems_[i]);
      problem_seq_[kept] = problem_seq_[i];
    }
    ++kept;
  }
  problems_.resize(kept);
  problem_seq_.resize(kept);
  for (const DuplicateResource& d : duplicates) {
    TypeTally& tally = tallies_[d.type];
    if (d.note != 0) --tally.Of(static_cast<Outcome>(d.note - 1));
    ++tally.quarantined;
    const std::string& type = type_names_[d.type];
    const bool by_id = d.kind == KeyKind::kTypeAndId;
    const std::string record = by_id ? fmt::format("{}/{}", type, d.text) : type;
    const std::string first = Where(d.first_file, d.first_line);
    const std::string reason = fmt::format(
        "{} ({}): {}", record, Where(d.file, d.line),
        by_id ? SecondIdReason(type, d.text, first) : SecondFullUrlReason(d.text, first));
    problems_.push_back({TableOf(type), files_[d.file], d.line, by_id ? "id" : "fullUrl",
                         Rule::kDuplicateResource, reason, MaskNhsNumberRuns(record)});
    problem_seq_.push_back(d.seq);
  }
  return Status::Ok();
}

// ---- References ------------------------------------------------------------

void FhirSource::AddKeys(std::unordered_map<std::string, uint32_t>* keys, element e,
                         uint32_t value) {
  if (!current_.full_url.empty()) keys->emplace(std::string(current_.full_url), value);
  if (!current_.id.empty()) keys->emplace(fmt::format("{}/{}", current_.type, current_.id), value);
  array identifiers;
  if (Arr(e, "identifier", &identifiers)) {
    for (element id : identifiers) {
      const std::string_view system = Str(id, "system");
      const std::string_view v = Str(id, "value");
      if (v.empty()) continue;
      keys->emplace(fmt::format("{}?{}|{}", current_.type, system,
                                system == kNhsNumberSystem ? Trimmed(v) : std::string(v)),
                    value);
    }
  }
}

std::string FhirSource::ReferenceText(element reference) const {
  std::string_view text = Str(reference, "reference");
  if (!text.empty()) return MaskNhsNumberRuns(text);
  element id;
  if (Obj(reference, "identifier", &id)) {
    return MaskNhsNumberRuns(fmt::format("identifier {}|{}", Str(id, "system"), Str(id, "value")));
  }
  return "(empty)";
}

uint32_t FhirSource::Resolve(const std::unordered_map<std::string, uint32_t>& keys,
                             std::string_view type, element reference) const {
  auto find = [&](const std::string& key) {
    auto it = keys.find(key);
    return it == keys.end() ? kNone : it->second;
  };
  std::string_view text = Str(reference, "reference");
  if (!text.empty()) {
    if (uint32_t hit = find(std::string(text)); hit != kNone) return hit;  // fullUrl
    const size_t q = text.find("?identifier=");
    if (q != std::string_view::npos) {
      std::string_view token = text.substr(q + 12);
      const size_t bar = token.rfind('|');
      std::string value(bar == std::string_view::npos ? token : token.substr(bar + 1));
      std::string system(bar == std::string_view::npos ? std::string_view{} : token.substr(0, bar));
      if (system == kNhsNumberSystem) value = Trimmed(value);
      return find(fmt::format("{}?{}|{}", text.substr(0, q), system, value));
    }
    // Relative or absolute: the last Type/id, without a _history version.
    std::string_view path = text;
    const size_t history = path.find("/_history/");
    if (history != std::string_view::npos) path = path.substr(0, history);
    const size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) return kNone;
    const size_t before = path.rfind('/', slash - 1);
    const std::string_view relative =
        before == std::string_view::npos ? path : path.substr(before + 1);
    if (!relative.starts_with(type) || relative.size() <= type.size() ||
        relative[type.size()] != '/') {
      return kNone;
    }
    return find(std::string(relative));
  }
  element id;
  if (Obj(reference, "identifier", &id)) {
    const std::string_view system = Str(id, "system");
    const std::string_view value = Str(id, "value");
    return find(fmt::format("{}?{}|{}", type, system,
                            system == kNhsNumberSystem ? Trimmed(value) : std::string(value)));
  }
  return kNone;
}

uint32_t FhirSource::ResolveStored(const std::unordered_map<std::string, uint32_t>& keys,
                                   std::string_view type, const std::string& json,
                                   std::string* text) {
  element ref;
  if (json.empty() || stored_parser_.parse(json).get(ref) != simdjson::SUCCESS) return kNone;
  if (text != nullptr) *text = ReferenceText(ref);
  return Resolve(keys, type, ref);
}

// ---- Anchors ---------------------------------------------------------------

void FhirSource::MapOrganisation(element e) {
  OrganisationAnchor o;
  o.resource = current_.anchor;
  o.id = current_.id;
  array identifiers;
  if (Arr(e, "identifier", &identifiers)) {
    for (element id : identifiers) {
      const std::string_view system = Str(id, "system");
      if (system == kOdsOrganisationSystem || system == "https://fhir.nhs.uk/Id/ods-site-code") {
        o.ods_code = Str(id, "value");
        break;
      }
    }
  }
  o.code = !o.ods_code.empty() ? o.ods_code : std::string(current_.id);
  o.name = Str(e, "name");
  array types;
  if (Arr(e, "type", &types)) {
    for (element t : types) {
      array codings;
      if (!Arr(t, "coding", &codings)) continue;
      for (element c : codings) {
        const std::string_view system = Str(c, "system");
        const std::string_view code = Str(c, "code");
        OrgType parsed;
        if (system == kOrganisationTypeSystem && Parse(code, &parsed)) {
          o.type = Name(parsed);
        } else if (o.type.empty() && system.find("ODSOrganisationRole") != std::string_view::npos) {
          if (code == "RO76") o.type = "practice";
          if (code == "RO272") o.type = "pcn";
          if (code == "RO318") o.type = "ics";
          if (code == "RO319") o.type = "locality";
          if (code == "RO182") o.type = "pharmacy";
        }
      }
    }
  }
  element part_of;
  if (Obj(e, "partOf", &part_of)) o.parent_ref = simdjson::to_string(part_of);
  element address;
  if (First(e, "address", &address)) o.postcode = Str(address, "postalCode");
  if (QuarantineWrongType(ExtractTable::kOrganisations)) return;
  if (!o.populus_type()) CurrentOutcome() = Outcome::kNotUsed;
  AddKeys(&organisation_keys_, e, static_cast<uint32_t>(organisations_.size()));
  organisations_.push_back(std::move(o));
}

void FhirSource::MapRole(element e) {
  RoleAnchor role;
  element ref;
  if (Obj(e, "organization", &ref)) role.organisation_ref = simdjson::to_string(ref);
  if (Obj(e, "practitioner", &ref)) role.practitioner_ref = simdjson::to_string(ref);
  array codes;
  if (Arr(e, "code", &codes)) {
    for (element concept_ : codes) {
      array codings;
      if (!Arr(concept_, "coding", &codings)) continue;
      for (element c : codings) {
        uint8_t index;
        if (Str(c, "system") == kStaffRoleSystem && ParseStaffRole(Str(c, "code"), &index)) {
          role.role = StaffRoles()[index];
        }
      }
    }
  }
  if (QuarantineWrongType(ExtractTable::kAppointments)) return;
  CurrentOutcome() = Outcome::kLoaded;
  AddKeys(&role_keys_, e, static_cast<uint32_t>(roles_.size()));
  roles_.push_back(std::move(role));
}

void FhirSource::MapPatient(element e) {
  PatientAnchor p;
  p.resource = current_.anchor;
  array identifiers;
  if (Arr(e, "identifier", &identifiers)) {
    for (element id : identifiers) {
      if (Str(id, "system") == kNhsNumberSystem) p.nhs_number = Trimmed(Str(id, "value"));
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
  const std::string_view birth = Str(e, "birthDate");
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
  const std::string_view gender = Str(e, "gender");
  Sex sex = Sex::kUnknown;
  if (!gender.empty() && !ParseFhirGender(gender, &sex)) {
    return Problem(ExtractTable::kPatients, "gender", Rule::kInvalidValue,
                   fmt::format("gender '{}' is not an administrative gender of FHIR ({})", gender,
                               AcceptedFhirGenders()));
  }
  fields[kSex] = Name(sex);
  std::string_view death_text = Str(e, "deceasedDateTime");
  if (!death_text.empty()) {
    if (DatePart(death_text, &day) != DateText::kOk) {
      return Problem(ExtractTable::kPatients, "deceasedDateTime", Rule::kInvalidDate,
                     fmt::format("deceasedDateTime '{}' is not a full date", death_text));
    }
    fields[kDeath] = day;
  } else {
    bool deceased = false;
    if (Boolean(e, "deceasedBoolean", &deceased) && deceased) {
      return Problem(ExtractTable::kPatients, "deceasedBoolean", Rule::kMissingElement,
                     "the Patient is deceased but has no deceasedDateTime; populus needs the date");
    }
  }
  // Registration: populus's extension, else the PDS convention of a period on
  // the generalPractitioner's identifier, else from birth (counted).
  std::string_view from, to;
  array extensions;
  if (Arr(e, "extension", &extensions)) {
    for (element x : extensions) {
      const std::string_view url = Str(x, "url");
      element value;
      if (url == kRegistrationPeriodExtension && Obj(x, "valuePeriod", &value)) {
        from = Str(value, "start");
        to = Str(value, "end");
      } else if (url == kLsoaExtension) {
        fields[kLsoa] = Str(x, "valueString");
      } else if (url == kImdDecileExtension) {
        int64_t imd;
        if (Integer(x, "valueInteger", &imd)) {
          fields[kImd] = std::to_string(imd);
        }
      } else if (url == kCareHomeExtension) {
        bool care_home;
        if (Boolean(x, "valueBoolean", &care_home)) {
          fields[kCareHome] = care_home ? "1" : "0";
        }
      } else if (url == kEthnicCategoryExtension && Obj(x, "valueCodeableConcept", &value)) {
        array codings;
        if (Arr(value, "coding", &codings)) {
          for (element c : codings) {
            if (Str(c, "system") == kSnomedSystem && IsSnomedConceptId(Str(c, "code"))) {
              fields[kEthnicity] = Str(c, "code");
            }
          }
        }
        if (fields[kEthnicity].empty()) ++ethnicity_not_snomed_;
      }
    }
  }
  element gp;
  if (First(e, "generalPractitioner", &gp)) {
    p.practice_ref = simdjson::to_string(gp);
    element id, period;
    if (from.empty() && Obj(gp, "identifier", &id) && Obj(id, "period", &period)) {
      from = Str(period, "start");
      to = Str(period, "end");
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

void FhirSource::ResolveAnchors() {
  // Organisations: parents by reference.
  for (auto& o : organisations_) {
    if (o.resource == kNone || !o.populus_type()) continue;
    BeginAnchor(o.resource, "Organization", o.id);
    std::string parent, text;
    if (!o.parent_ref.empty()) {
      const uint32_t p = ResolveStored(organisation_keys_, "Organization", o.parent_ref, &text);
      if (p == kNone) {
        Problem(ExtractTable::kOrganisations, "partOf", Rule::kDanglingReference,
                fmt::format("partOf '{}' resolves to no Organization of this load", text));
        continue;
      }
      parent = organisations_[p].code;
    }
    if (QuarantineWrongType(ExtractTable::kOrganisations)) continue;  // in partOf
    organisations_table_->Add({o.code, o.name, o.type, parent, o.postcode}, Origin());
  }
  // PractitionerRoles: by the Practitioner they describe, for references to it.
  for (uint32_t i = 0; i < roles_.size(); ++i) {
    element ref;
    if (roles_[i].practitioner_ref.empty() ||
        stored_parser_.parse(roles_[i].practitioner_ref).get(ref) != simdjson::SUCCESS) {
      continue;
    }
    const std::string_view text = Str(ref, "reference");
    if (!text.empty()) role_by_practitioner_.emplace(std::string(text), i);
  }
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
      uint32_t o = ResolveStored(organisation_keys_, "Organization", p.practice_ref, &text);
      if (o == kNone) {
        const uint32_t role =
            ResolveStored(role_keys_, "PractitionerRole", p.practice_ref, nullptr);
        if (role != kNone) {
          o = ResolveStored(organisation_keys_, "Organization", roles_[role].organisation_ref,
                            nullptr);
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

// ---- Clinical resources ------------------------------------------------------

bool FhirSource::Subject(element e, std::string_view key, ExtractTable table, std::string* patient,
                         uint32_t* anchor) {
  element ref;
  if (!Obj(e, key, &ref)) {
    Problem(table, key, Rule::kMissingElement, fmt::format("the resource has no {}", key));
    return false;
  }
  const uint32_t p = Resolve(patient_keys_, "Patient", ref);
  if (p == kNone) {
    Problem(table, key, Rule::kDanglingReference,
            fmt::format("{} '{}' resolves to no Patient of this load", key, ReferenceText(ref)));
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
  if (!Arr(concept_, "coding", &codings)) return false;
  for (element c : codings) {
    const std::string_view system = Str(c, "system");
    const std::string_view text = Str(c, "code");
    if ((system == kSnomedSystem || (medication && system == kDmdSystem)) &&
        IsSnomedConceptId(text)) {
      *code = text;
      return true;
    }
  }
  if (!loinc_.empty()) {
    for (element c : codings) {
      if (Str(c, "system") != kLoincSystem) continue;
      auto it = loinc_.find(std::string(Str(c, "code")));
      if (it == loinc_.end()) continue;
      for (const LoincMapping& m : it->second) {
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
    const std::string_view system = Str(c, "system");
    const std::string_view text = Str(c, "code");
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
    status = Str(e, key);
  } else if (v.is_object()) {  // a CodeableConcept (Condition, AllergyIntolerance)
    array codings;
    if (Arr(v, "coding", &codings)) {
      for (element c : codings) {
        status = Str(c, "code");
        break;
      }
    }
  } else {
    WrongType(key, v, "a code or a CodeableConcept");
  }
  return std::find(values.begin(), values.end(), status) != values.end();
}

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
  const std::string_view period_start = Obj(e,
                                            t == "Procedure"     ? "performedPeriod"
                                            : t == "Observation" ? "effectivePeriod"
                                                                 : "onsetPeriod",
                                            &period)
                                            ? Str(period, "start")
                                            : std::string_view{};
  bool dated;
  if (t == "Condition") {
    dated = RequiredDate(table, "onsetDateTime",
                         {Str(e, "onsetDateTime"), period_start, Str(e, "recordedDate")}, &date);
  } else if (t == "Observation") {
    dated = RequiredDate(
        table, "effectiveDateTime",
        {Str(e, "effectiveDateTime"), period_start, Str(e, "effectiveInstant"), Str(e, "issued")},
        &date);
  } else if (t == "Procedure") {
    dated = RequiredDate(table, "performedDateTime", {Str(e, "performedDateTime"), period_start},
                         &date);
  } else if (t == "Immunization") {
    dated = RequiredDate(table, "occurrenceDateTime",
                         {Str(e, "occurrenceDateTime"), Str(e, "recorded")}, &date);
  } else {  // AllergyIntolerance
    dated = RequiredDate(table, "onsetDateTime",
                         {Str(e, "onsetDateTime"), period_start, Str(e, "recordedDate")}, &date);
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
    if (!Obj(holder, "valueQuantity", &q) || !Number(q, "value", value)) return false;
    const std::string_view ucum =
        Str(q, "system") == "http://unitsofmeasure.org" ? Str(q, "code") : std::string_view{};
    *unit = !ucum.empty() ? ucum : Str(q, "unit");
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
    if (std::isnan(row.value) && Obj(holder, "valueCodeableConcept", &answer) &&
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
  if (!Obj(e, code_key, &concept_)) {
    return Problem(table, code_key, Rule::kMissingElement,
                   fmt::format("the resource has no {}", code_key));
  }
  bool components_measured = false;
  if (t == "Observation" && Arr(e, "component", &components)) {
    double v;
    for (element c : components) {
      element q, cc;
      if (Obj(c, "valueQuantity", &q) && Number(q, "value", &v) && Obj(c, "code", &cc)) {
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
    if (Arr(e, "basedOn", &based_on)) {
      for (element ref : based_on) {
        if (Resolve(request_keys_, "MedicationRequest", ref) != kNone) return Exclude();
      }
    }
  }
  std::string patient, date;
  if (!Subject(e, "subject", table, &patient)) return;
  element period;
  const std::string_view period_start =
      Obj(e, "effectivePeriod", &period) ? Str(period, "start") : std::string_view{};
  if (request ? !RequiredDate(table, "authoredOn", {Str(e, "authoredOn")}, &date)
              : !RequiredDate(table, "effectiveDateTime",
                              {Str(e, "effectiveDateTime"), period_start, Str(e, "dateAsserted")},
                              &date)) {
    return;
  }
  std::string code, unit;
  double unused = NAN;
  element concept_, ref;
  if (Obj(e, "medicationCodeableConcept", &concept_)) {
    if (!Code(concept_, true, &code, &unused, &unit)) {
      return Problem(table, "medicationCodeableConcept", Rule::kMissingElement,
                     "medicationCodeableConcept has no coding with a system and code");
    }
  } else if (Obj(e, "medicationReference", &ref)) {
    const uint32_t m = Resolve(medication_keys_, "Medication", ref);
    if (m == kNone) {
      return Problem(table, "medicationReference", Rule::kDanglingReference,
                     fmt::format("medicationReference '{}' resolves to no Medication with a code",
                                 ReferenceText(ref)));
    }
    code = medication_codes_[m];
  } else {
    return Problem(table, "medication", Rule::kMissingElement, "the resource names no medication");
  }
  std::string quantity;
  element dispense, q;
  double v;
  if (request && Obj(e, "dispenseRequest", &dispense) && Obj(dispense, "quantity", &q) &&
      Number(q, "value", &v)) {
    quantity = fmt::format("{}", v);
  }
  if (QuarantineWrongType(table)) return;
  medications_->Add({patient, date, code, quantity}, Origin());
}

void FhirSource::MapEncounter(element e) {
  if (StatusIn(e, "status", {"entered-in-error"})) return Exclude();
  // An encounter of an Appointment in this load: the appointment is the record.
  array appointments;
  if (Arr(e, "appointment", &appointments)) {
    for (element ref : appointments) {
      if (Resolve(appointment_keys_, "Appointment", ref) != kNone) return Exclude();
    }
  }
  std::string patient, date;
  uint32_t anchor;
  if (!Subject(e, "subject", ExtractTable::kHospitalActivity, &patient, &anchor)) return;
  element period;
  const bool has_period = Obj(e, "period", &period);
  const std::string_view start = has_period ? Str(period, "start") : "";
  const std::string_view end = has_period ? Str(period, "end") : "";
  if (!RequiredDate(ExtractTable::kHospitalActivity, "period.start", {start}, &date)) return;
  if (!PeriodInOrder(ExtractTable::kHospitalActivity, "period.start", "period.end", start, end))
    return;
  // The setting: populus's own coding, else the class and priority.
  std::string setting;
  array types;
  if (Arr(e, "type", &types)) {
    for (element t : types) {
      array codings;
      if (!Arr(t, "coding", &codings)) continue;
      for (element c : codings) {
        HospitalSetting parsed;
        if (Str(c, "system") == kHospitalSettingSystem && Parse(Str(c, "code"), &parsed)) {
          setting = Name(parsed);
        }
      }
    }
  }
  element klass;
  const std::string_view class_code = Obj(e, "class", &klass) ? Str(klass, "code") : "";
  // The provider: an Organization of the load, or an ODS code on the reference.
  std::string provider;
  bool provider_is_practice = false;
  element ref;
  if (Obj(e, "serviceProvider", &ref)) {
    const uint32_t o = Resolve(organisation_keys_, "Organization", ref);
    if (o != kNone) {
      provider = organisations_[o].ods_code;
      provider_is_practice = organisations_[o].type == "practice" ||
                             organisations_[o].type == "site" || organisations_[o].type == "pcn";
      if (provider_is_practice) provider = organisations_[o].code;
    } else {
      element id;
      if (Obj(ref, "identifier", &id) && Str(id, "system") == kOdsOrganisationSystem) {
        provider = Str(id, "value");
      }
    }
  }
  if (setting.empty()) {
    if (class_code == "EMER") {
      setting = "ae";
    } else if (class_code == "IMP" || class_code == "ACUTE" || class_code == "NONAC" ||
               class_code == "SS") {
      element priority;
      array codings;
      std::string_view p;
      if (Obj(e, "priority", &priority) && Arr(priority, "coding", &codings)) {
        for (element c : codings) p = Str(c, "code");
      }
      setting = p == "EM" || p == "UR" || p == "S" || p == "A" ? "emergency-admission"
                                                               : "elective-admission";
    } else if (!provider.empty() && !provider_is_practice) {
      setting = "outpatient";
    }
  }
  if (!setting.empty()) {
    if (StatusIn(e, "status", {"cancelled", "planned"})) return Exclude();
    std::string stay;
    std::string_view end_day;
    if ((setting == "emergency-admission" || setting == "elective-admission") &&
        DatePart(end, &end_day) == DateText::kOk) {
      Date a, b;
      ParseIsoDate(date, &a);
      ParseIsoDate(end_day, &b);
      if (b >= a) stay = std::to_string(b - a);
    }
    if (QuarantineWrongType(ExtractTable::kHospitalActivity)) return;
    activity_->Add({patient, date, setting, provider, stay}, Origin());
    return;
  }
  // A consultation in general practice: an appointment at the provider
  // practice, else the patient's own.
  std::string practice = provider_is_practice ? provider : patients_[anchor].practice_code;
  std::string role = "other";
  array participants;
  if (Arr(e, "participant", &participants)) {
    for (element p : participants) {
      element individual;
      if (!Obj(p, "individual", &individual)) continue;
      uint32_t r = Resolve(role_keys_, "PractitionerRole", individual);
      if (r == kNone) {
        auto it = role_by_practitioner_.find(std::string(Str(individual, "reference")));
        if (it != role_by_practitioner_.end()) r = it->second;
      }
      if (r != kNone) {
        role = roles_[r].role;
        break;
      }
    }
  }
  const std::string_view status = Str(e, "status");
  const char* mapped_status = status == "finished"    ? "attended"
                              : status == "cancelled" ? "cancelled"
                                                      : "booked";
  const char* mode = class_code == "VR"   ? "telephone"
                     : class_code == "HH" ? "home-visit"
                                          : "face-to-face";
  const int64_t minutes = MinutesBetween(start, end);
  if (QuarantineWrongType(ExtractTable::kAppointments)) return;
  appointments_->Add({practice, patient, date, "", role, mode, mapped_status,
                      minutes >= 0 ? std::to_string(minutes) : ""},
                     Origin());
}

void FhirSource::MapAppointment(element e) {
  const ExtractTable table = ExtractTable::kAppointments;
  const std::string_view status = Str(e, "status");
  if (status == "entered-in-error") return Exclude();
  std::string patient, practice, role = "other";
  array participants;
  if (Arr(e, "participant", &participants)) {
    for (element p : participants) {
      element actor;
      if (!Obj(p, "actor", &actor)) continue;
      const std::string_view ref = Str(actor, "reference");
      const std::string_view type = Str(actor, "type");
      if (type == "Patient" || ref.starts_with("Patient") ||
          Resolve(patient_keys_, "Patient", actor) != kNone) {
        uint32_t anchor;
        if (!Subject(p, "actor", table, &patient, &anchor)) return;
        if (practice.empty()) practice = patients_[anchor].practice_code;
        continue;
      }
      uint32_t r = Resolve(role_keys_, "PractitionerRole", actor);
      if (r == kNone) {
        auto it = role_by_practitioner_.find(std::string(ref));
        if (it != role_by_practitioner_.end()) r = it->second;
      }
      if (r == kNone) continue;
      role = roles_[r].role;
      const uint32_t o =
          ResolveStored(organisation_keys_, "Organization", roles_[r].organisation_ref, nullptr);
      if (o != kNone && organisations_[o].type == "practice") practice = organisations_[o].code;
    }
  }
  if (practice.empty()) {
    return Problem(table, "participant", Rule::kMissingElement,
                   "the Appointment names neither a patient nor a PractitionerRole of a practice");
  }
  std::string date, booked;
  if (!RequiredDate(table, "start", {Str(e, "start")}, &date)) return;
  if (!PeriodInOrder(table, "start", "end", Str(e, "start"), Str(e, "end"))) return;
  const std::string_view created = Str(e, "created");
  std::string_view day;
  if (!created.empty() && DatePart(created, &day) == DateText::kOk) booked = day;
  std::string mode;
  array extensions;
  if (Arr(e, "extension", &extensions)) {
    for (element x : extensions) {
      if (Str(x, "url") == kAppointmentModeExtension) mode = Str(x, "valueCode");
    }
  }
  if (mode.empty()) {
    mode = "face-to-face";
    ++mode_assumed_;
  }
  const char* mapped_status = status == "fulfilled"   ? "attended"
                              : status == "noshow"    ? "did-not-attend"
                              : status == "cancelled" ? "cancelled"
                                                      : "booked";
  std::string duration;
  int64_t minutes;
  if (Integer(e, "minutesDuration", &minutes)) {
    duration = std::to_string(minutes);
  } else if (minutes = MinutesBetween(Str(e, "start"), Str(e, "end")); minutes >= 0) {
    duration = std::to_string(minutes);
  }
  if (QuarantineWrongType(table)) return;
  appointments_->Add({practice, patient, date, booked, role, mode, mapped_status, duration},
                     Origin());
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

}  // namespace

Status IngestFhir(const FhirIngestOptions& options, IngestResult* result) {
  FhirSource source(options);
  return IngestFrom(source, options.ingest, result);
}

}  // namespace populus::fhir
