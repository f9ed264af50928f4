#include "ingest/ingest.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <thread>
#include <unordered_map>

#include "common/file_io.h"
#include "common/nhs_number.h"
#include "common/number.h"
#include "common/snomed_id.h"
#include "common/vocabulary.h"
#include "extract/csv_reader.h"
#include "extract/extract_schema.h"
#include "ingest/csv_extract.h"
#include "ingest/extract_source.h"
#include "ingest/pseudonymiser.h"
#include "ingest/quarantine.h"
#include "store/snapshot.h"
#include "store/snapshot_writer.h"

namespace populus {
namespace fs = std::filesystem;

nlohmann::json IngestResult::ToJson() const {
  nlohmann::json j;
  j["published"] = published;
  if (published) {
    j["version"] = version;
    j["snapshot"] = snapshot_dir;
  } else {
    j["rejected"] = rejected_dir;
    j["rejection"] = rejection;
  }
  j["quarantine"] = quarantine_file;
  j["bytes_read"] = bytes_read;
  j["seconds"] = seconds;
  j["write_seconds"] = write_seconds;
  j["warnings"] = warnings;
  j["examples"] = examples;
  if (!source_summary.is_null()) j["source"] = source_summary;
  for (const auto& f : files) {
    nlohmann::json fj;
    fj["present"] = f.present;
    fj["bytes"] = f.bytes;
    fj["rows_read"] = f.rows_read;
    fj["rows_loaded"] = f.rows_loaded;
    fj["rows_quarantined"] = f.rows_quarantined;
    fj["seconds"] = f.seconds;
    fj["quarantined_by_rule"] = f.quarantined_by_rule;
    j["files"][f.file] = fj;
  }
  return j;
}

namespace {

// An open-addressing map from NHS numbers to patient rows, held in memory only
// while a load links its rows; it is never written anywhere.
class NhsNumberIndex {
 public:
  void Reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    keys_.assign(cap, 0);
    values_.assign(cap, 0);
    mask_ = cap - 1;
  }
  // Returns false if the key was already present (and sets *existing).
  bool Insert(uint64_t key, uint32_t value, uint32_t* existing) {
    if ((size_ + 1) * 2 > keys_.size()) Grow();
    size_t i = Slot(key);
    while (keys_[i] != 0) {
      if (keys_[i] == key) {
        *existing = values_[i];
        return false;
      }
      i = (i + 1) & mask_;
    }
    keys_[i] = key;
    values_[i] = value;
    ++size_;
    return true;
  }
  bool Find(uint64_t key, uint32_t* value) const {
    if (keys_.empty()) return false;
    size_t i = Slot(key);
    while (keys_[i] != 0) {
      if (keys_[i] == key) {
        *value = values_[i];
        return true;
      }
      i = (i + 1) & mask_;
    }
    return false;
  }
  void Remap(const std::vector<uint32_t>& new_index) {
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != 0) values_[i] = new_index[values_[i]];
    }
  }

 private:
  size_t Slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL >> 20) & mask_; }
  void Grow() {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<uint32_t> old_values = std::move(values_);
    Reserve(std::max<size_t>(16, old_keys.size()));
    size_ = 0;
    uint32_t ignored;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != 0) Insert(old_keys[i], old_values[i], &ignored);
    }
  }
  std::vector<uint64_t> keys_;  // 0 = empty (0000000000 fails the check digit rule)
  std::vector<uint32_t> values_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Assigns dense ids to distinct strings; Finish() sorts the dictionary so a
// snapshot does not depend on the order of rows in the extract.
class StringInterner {
 public:
  // The id of a string already interned, if it is.
  bool Find(std::string_view s, uint32_t* id) const {
    if (slots_.empty()) return false;
    const uint64_t h = XXH3_64bits(s.data(), s.size());
    for (size_t i = h & mask_; slots_[i] != kEmpty; i = (i + 1) & mask_) {
      if (hashes_[slots_[i]] == h && strings_[slots_[i]] == s) {
        *id = slots_[i];
        return true;
      }
    }
    return false;
  }

  uint32_t Intern(std::string_view s) {
    if ((strings_.size() + 1) * 2 > slots_.size()) Grow();
    const uint64_t h = XXH3_64bits(s.data(), s.size());
    size_t i = h & mask_;
    while (slots_[i] != kEmpty) {
      const uint32_t id = slots_[i];
      if (hashes_[id] == h && strings_[id] == s) return id;
      i = (i + 1) & mask_;
    }
    const auto id = static_cast<uint32_t>(strings_.size());
    strings_.emplace_back(s);
    hashes_.push_back(h);
    slots_[i] = id;
    return id;
  }
  // Sorted dictionary and, per old id, its new id.
  void Finish(std::vector<std::string>* dictionary, std::vector<uint32_t>* remap) const {
    std::vector<uint32_t> order(strings_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return strings_[a] < strings_[b]; });
    dictionary->clear();
    remap->assign(strings_.size(), 0);
    for (uint32_t rank = 0; rank < order.size(); ++rank) {
      dictionary->push_back(strings_[order[rank]]);
      (*remap)[order[rank]] = rank;
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  void Grow() {
    const size_t cap = std::max<size_t>(64, slots_.size() * 2);
    slots_.assign(cap, kEmpty);
    mask_ = cap - 1;
    for (uint32_t id = 0; id < strings_.size(); ++id) {
      size_t i = hashes_[id] & mask_;
      while (slots_[i] != kEmpty) i = (i + 1) & mask_;
      slots_[i] = id;
    }
  }
  std::vector<std::string> strings_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

// Values are kept as float32 (about seven significant digits, ample for
// clinical measurements); a number beyond float range is not a valid value.
bool ParseNumber(std::string_view text, float* out) {
  double value = 0;
  if (!ParseDecimal(text, &value, LeadingPlus::kAllowed) ||
      std::fabs(value) > std::numeric_limits<float>::max()) {
    return false;
  }
  *out = static_cast<float>(value);
  return true;
}

bool ParseWhole(std::string_view text, int64_t min, int64_t max, int64_t* out) {
  uint64_t v = 0;
  if (!ParseWholeNumber(text, static_cast<uint64_t>(max), &v) || static_cast<int64_t>(v) < min) {
    return false;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

bool IsPatientId(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// UK postcode shape: an outward code of the form A9, A99, AA9, AA99, A9A or
// AA9A, one space, and an inward code 9AA.
bool IsPostcode(std::string_view s) {
  const size_t space = s.find(' ');
  if (space == std::string_view::npos || space < 2 || space > 4 || s.size() != space + 4) {
    return false;
  }
  std::string shape;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= 'A' && c <= 'Z') {
      shape.push_back('A');
    } else if (c >= '0' && c <= '9') {
      shape.push_back('9');
    } else if (i == space) {
      shape.push_back(' ');
    } else {
      return false;
    }
  }
  for (const char* outward : {"A9", "A99", "AA9", "AA99", "A9A", "AA9A"}) {
    if (shape == std::string(outward) + " 9AA") return true;
  }
  return false;
}

// English or Welsh LSOA code: E01 or W01 and six digits.
bool IsLsoa(std::string_view s) {
  if (s.size() != 9 || (s[0] != 'E' && s[0] != 'W') || s[1] != '0' || s[2] != '1') return false;
  for (size_t i = 3; i < 9; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::string_view Field(const CsvRecord& rec, int index) {
  return index >= 0 ? rec.fields[static_cast<size_t>(index)] : std::string_view();
}

constexpr uint32_t kNewCode = UINT32_MAX;  // a valid code not yet in its dictionary
// Booked appointments may lie up to this many days after the extract date.
constexpr int kBookingHorizonDays = 366;

struct OrganisationRow {
  std::string code, name, parent_code, postcode;
  OrgType type;
  std::string file;  // where the row came from
  uint64_t line;
};

struct PatientRows {
  std::vector<std::string> key;
  std::vector<Date> birth, registered_from, registered_to, death;
  std::vector<uint8_t> sex, imd_decile, care_home;
  std::vector<uint32_t> practice, lsoa, ethnicity;
  StringInterner lsoa_dict, ethnicity_dict;
};

struct EventRows {
  std::vector<uint32_t> patient, code, unit;
  std::vector<Date> date;
  std::vector<float> value;  // NaN when absent
  StringInterner codes, units;
};

struct MedicationRows {
  std::vector<uint32_t> patient, code;
  std::vector<Date> date;
  std::vector<float> quantity;  // NaN when absent
  StringInterner codes;
};

struct ActivityRows {
  std::vector<uint32_t> patient, provider;
  std::vector<Date> date;
  std::vector<uint8_t> setting;
  std::vector<uint16_t> length_of_stay;
  StringInterner providers;
};

struct AppointmentRows {
  std::vector<uint32_t> practice, patient;
  std::vector<Date> date, booked;
  std::vector<uint8_t> role, mode, status;
  std::vector<uint16_t> duration;
};

struct DateRange {
  Date min = INT32_MAX;
  Date max = INT32_MIN;
  void Add(Date d) {
    min = std::min(min, d);
    max = std::max(max, d);
  }
  nlohmann::json ToJson() const {
    if (min > max) return nullptr;
    return {{"min", FormatIsoDate(min)}, {"max", FormatIsoDate(max)}};
  }
};

class Loader {
 public:
  Loader(ExtractSource& source, const IngestOptions& options, IngestResult* result)
      : source_(source), options_(options), result_(result) {}

  Status Run();

 private:
  // Reads one table's file, handling everything common to all tables: the
  // header, CSV-level problems, the column count and progress. `row` validates
  // and stores one record, quarantining it itself when bad.
  // `bind` is called once with the header so `row` need not look columns up by name.
  template <typename BindFn, typename RowFn>
  Status ReadTable(const ExtractTableSpec& spec, IngestFileSummary* summary, BindFn bind,
                   RowFn row);
  Status LoadOrganisations();
  Status ChoosePatientIdentifier();
  // Quarantines the rows the source lost before its tables.
  Status QuarantineSourceProblems();
  Status LoadPatients();
  Status LoadEvents();
  Status LoadMedications();
  Status LoadAppointments();
  Status LoadHospitalActivity();
  Status WriteSnapshot();
  // The key fingerprint of the newest kept version made from NHS numbers.
  void LatestKeyFingerprint(std::string* version, std::string* fingerprint) const;
  // Orders a patient-keyed table by (patient, date) and writes its
  // patient_offsets and date columns; *order is the row order for the rest.
  Status WritePatientOrder(const std::string& table, const std::vector<uint32_t>& patient,
                           const std::vector<Date>& date, std::vector<uint32_t>* order);
  // Writes a dictionary-encoded column in row order, its dictionary sorted.
  Status WriteCodes(const std::string& table, const std::string& name,
                    const StringInterner& interner, const std::vector<uint32_t>& ids,
                    const std::vector<uint32_t>& order);
  Status WriteOrganisations();
  Status WritePatients();
  Status WriteEvents();
  Status WriteMedications();
  Status WriteHospitalActivity();
  Status WriteAppointments();
  void SortPatients();

  // Quarantines the current record with the reason; returns false for use as
  // a row function's result.
  bool Reject(std::string_view column, Rule rule, std::string reason);
  // The identifier as it may appear in a report: pseudonym or masked.
  std::string SafeIdentifier(std::string_view text) const;
  // Resolves an event-like row's patient field to a patient row.
  bool ResolvePatient(std::string_view column, std::string_view text, uint32_t* patient);
  // Validates a required event date against the patient's life and the
  // extract date (plus `future_days` of allowance).
  bool EventDate(std::string_view column, std::string_view text, uint32_t patient, int future_days,
                 Date* out);
  bool OptionalDate(std::string_view column, std::string_view text, Date* out);
  // The patient and date of an event-like row, both validated.
  bool PatientAndDate(const CsvRecord& rec, int patient_field, int date_field, uint32_t* patient,
                      Date* date);
  // An optional number: NaN when the field is empty.
  bool OptionalNumber(std::string_view column, std::string_view text, float* out);
  bool RequiredDate(std::string_view column, std::string_view text, Date* out);
  bool Code(std::string_view column, std::string_view text);
  // Validates a code once per distinct value: the dictionary id of a valid code.
  // *id is kNewCode for a valid code not yet in the dictionary: the row
  // interns it only once the whole row is accepted.
  bool KnownCode(const StringInterner& dictionary, std::string_view column, std::string_view text,
                 uint32_t* id);
  // Resolves a practice code to its organisation row.
  bool Practice(std::string_view text, uint32_t* practice);

  ExtractSource& source_;
  const IngestOptions& options_;
  IngestResult* result_;
  Date extract_date_ = kNoDate;
  SnapshotWriter writer_;
  Quarantine quarantine_;
  Pseudonymiser pseudonymiser_;
  bool nhs_mode_ = false;

  // The record being validated, for Reject().
  const CsvRecord* current_ = nullptr;
  std::string_view current_file_;
  std::map<std::string, uint64_t> current_rules_;  // quarantined rows of the current table, by rule
  std::map<ExtractTable, std::map<std::string, uint64_t>> source_problems_;  // by table and rule
  int current_identifier_ = -1;
  std::vector<bool> code_fields_;  // fields of the current file that hold codes

  std::vector<OrganisationRow> organisations_;  // sorted by code
  std::unordered_map<std::string, uint32_t> organisation_index_;
  PatientRows patients_;
  NhsNumberIndex nhs_index_;
  std::unordered_map<std::string, uint32_t> id_index_;
  EventRows events_;
  MedicationRows medications_;
  AppointmentRows appointments_;
  ActivityRows activity_;
  std::map<std::string, DateRange> date_ranges_;
  uint64_t org_rejects_ = 0, patient_rejects_ = 0, event_like_rejects_ = 0;
};

bool Loader::Reject(std::string_view column, Rule rule, std::string reason) {
  std::string record;
  if (current_->problem != CsvProblem::kNone) {
    record = SanitisedRawRecord(current_->raw);
  } else if (current_identifier_ >= 0 &&
             static_cast<size_t>(current_identifier_) < current_->fields.size()) {
    record = MaskedRecord(
        current_->fields, current_identifier_,
        SafeIdentifier(current_->fields[static_cast<size_t>(current_identifier_)]), code_fields_);
  } else if (current_identifier_ >= 0) {
    record = SanitisedRawRecord(current_->raw);
  } else {
    record = MaskedRecord(current_->fields, -1, "", code_fields_);
  }
  ++current_rules_[std::string(RuleName(rule))];
  Status st = quarantine_.Add(current_file_, current_->line, column, rule, reason, record);
  if (!st.ok()) result_->warnings.push_back("could not write to the quarantine: " + st.message());
  return false;
}

std::string Loader::SafeIdentifier(std::string_view text) const {
  if (!nhs_mode_) return LooksLikeNhsNumber(text) ? MaskIdentifier(text) : std::string(text);
  uint64_t number;
  if (ParseNhsNumber(text, &number) == NhsNumberCheck::kValid) {
    return "pseudonym:" + pseudonymiser_.Pseudonym(number);
  }
  return text.empty() ? std::string() : MaskIdentifier(text);
}

template <typename BindFn, typename RowFn>
Status Loader::ReadTable(const ExtractTableSpec& spec, IngestFileSummary* summary, BindFn bind,
                         RowFn row) {
  summary->file = source_.TableLabel(spec);
  current_rules_.clear();
  uint64_t lost_before = 0;  // rows the source could not express, already quarantined
  if (auto it = source_problems_.find(spec.table); it != source_problems_.end()) {
    for (const auto& [rule, n] : it->second) {
      current_rules_[rule] += n;
      lost_before += n;
    }
  }
  std::unique_ptr<TableRecords> records;
  POPULUS_RETURN_IF_ERROR(source_.Open(spec, &records));
  if (records == nullptr) {
    summary->present = lost_before > 0;
    summary->rows_read = summary->rows_quarantined = lost_before;
    summary->quarantined_by_rule = current_rules_;
    return Status::Ok();
  }
  summary->present = true;
  const auto start = std::chrono::steady_clock::now();
  CsvRecord record;
  if (!records->Next(&record)) {
    POPULUS_RETURN_IF_ERROR(records->status());
    return Status::Data(
        fmt::format("{}: the file is empty; it needs at least a header row", records->file()));
  }
  HeaderBinding binding;
  POPULUS_RETURN_IF_ERROR(binding.Bind(spec, record, std::string(records->file())));
  bind(binding);
  const char* identifier_column =
      spec.table == ExtractTable::kPatients ? (nhs_mode_ ? "nhs_number" : "patient_id") : "patient";
  current_identifier_ = binding.index(identifier_column);
  code_fields_.assign(binding.width(), false);
  for (const char* code_column : {"snomed_code", "dmd_code", "ethnicity"}) {
    if (binding.index(code_column) >= 0)
      code_fields_[static_cast<size_t>(binding.index(code_column))] = true;
  }
  ProgressBar progress(fmt::format("reading {}", summary->file), records->size(), "B",
                       options_.progress);
  uint64_t read = 0, loaded = 0;
  while (records->Next(&record)) {
    ++read;
    current_ = &record;
    current_file_ = records->file();
    bool ok;
    if (record.problem == CsvProblem::kInvalidUtf8) {
      ok = Reject("", Rule::kInvalidUtf8, CsvProblemText(record.problem));
    } else if (record.problem != CsvProblem::kNone) {
      ok = Reject("", Rule::kCsvQuoting, CsvProblemText(record.problem));
    } else if (record.fields.size() != binding.width()) {
      ok = Reject(
          "", Rule::kColumnCount,
          fmt::format("{} fields where the header has {}", record.fields.size(), binding.width()));
    } else if (const int bad = FieldWithControlByte(record); bad >= 0) {
      ok = Reject(binding.names()[static_cast<size_t>(bad)], Rule::kControlCharacter,
                  fmt::format("{} holds a control character (byte 0x{:02X}), which no field of "
                              "the extract may hold",
                              binding.names()[static_cast<size_t>(bad)],
                              ControlByteIn(record.fields[static_cast<size_t>(bad)])));
    } else {
      ok = row(record);
    }
    records->Outcome(ok);
    if (ok) ++loaded;
    progress.Update(records->consumed());
  }
  POPULUS_RETURN_IF_ERROR(records->status());
  progress.Finish(records->consumed());
  summary->bytes = records->bytes_read();
  summary->rows_read = read + lost_before;
  summary->rows_loaded = loaded;
  summary->rows_quarantined = read - loaded + lost_before;
  summary->quarantined_by_rule = current_rules_;
  summary->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result_->bytes_read += records->bytes_read();
  return Status::Ok();
}

bool Loader::RequiredDate(std::string_view column, std::string_view text, Date* out) {
  if (text.empty()) return Reject(column, Rule::kMissingValue, fmt::format("{} is empty", column));
  switch (ParseIsoDate(text, out)) {
    case DateParse::kOk:
      return true;
    case DateParse::kMalformed:
      return Reject(column, Rule::kInvalidDate,
                    fmt::format("{} '{}' is not a date of the form YYYY-MM-DD", column, text));
    case DateParse::kImpossible:
      return Reject(column, Rule::kInvalidDate,
                    fmt::format("{} '{}' is not a valid date", column, text));
  }
  return false;
}

bool Loader::OptionalDate(std::string_view column, std::string_view text, Date* out) {
  if (text.empty()) {
    *out = kNoDate;
    return true;
  }
  return RequiredDate(column, text, out);
}

bool Loader::Practice(std::string_view text, uint32_t* practice) {
  if (text.empty()) return Reject("practice_code", Rule::kMissingValue, "practice_code is empty");
  auto org = organisation_index_.find(std::string(text));
  if (org == organisation_index_.end() || organisations_[org->second].type != OrgType::kPractice) {
    return Reject("practice_code", Rule::kUnknownPractice,
                  fmt::format("practice_code '{}' is not a practice in organisations.csv", text));
  }
  *practice = org->second;
  return true;
}

bool Loader::KnownCode(const StringInterner& dictionary, std::string_view column,
                       std::string_view text, uint32_t* id) {
  if (dictionary.Find(text, id)) return true;  // only codes of loaded rows are interned
  *id = kNewCode;
  return Code(column, text);
}

bool Loader::Code(std::string_view column, std::string_view text) {
  if (text.empty()) return Reject(column, Rule::kMissingValue, fmt::format("{} is empty", column));
  if (source_.CodesMayNameTheirSystem() && text.find('|') != std::string_view::npos) {
    // A FHIR token: an absolute URI, a bar, a code.
    const size_t bar = text.rfind('|');
    const std::string_view system = text.substr(0, bar);
    if (bar + 1 == text.size() || system.find(':') == std::string_view::npos || text.size() > 256) {
      return Reject(column, Rule::kInvalidCode,
                    fmt::format("{} '{}' is not a code of the form system|code", column, text));
    }
    if (ContainsNhsNumberShape(text.substr(bar + 1))) {
      return Reject(column, Rule::kIdentifierInText,
                    fmt::format("{} holds what looks like an NHS number", column));
    }
    return true;
  }
  if (!IsSnomedConceptId(text)) {
    return Reject(column, Rule::kInvalidCode,
                  fmt::format("{} '{}' is not a SNOMED CT concept identifier", column, text));
  }
  return true;
}

bool Loader::ResolvePatient(std::string_view column, std::string_view text, uint32_t* patient) {
  if (text.empty()) return Reject(column, Rule::kMissingValue, fmt::format("{} is empty", column));
  if (nhs_mode_) {
    uint64_t number;
    const NhsNumberCheck check = ParseNhsNumber(text, &number);
    if (check == NhsNumberCheck::kMalformed) {
      return Reject(column, Rule::kNhsNumber, "the NHS number is not ten digits");
    }
    if (check == NhsNumberCheck::kBadCheckDigit) {
      return Reject(column, Rule::kNhsNumber, "the NHS number fails its modulus 11 check digit");
    }
    if (!nhs_index_.Find(number, patient)) {
      return Reject(column, Rule::kUnknownPatient, "the patient is not in patients.csv");
    }
    return true;
  }
  auto it = id_index_.find(std::string(text));
  if (it == id_index_.end()) {
    return Reject(column, Rule::kUnknownPatient,
                  fmt::format("patient '{}' is not in patients.csv", text));
  }
  *patient = it->second;
  return true;
}

bool Loader::PatientAndDate(const CsvRecord& rec, int patient_field, int date_field,
                            uint32_t* patient, Date* date) {
  return ResolvePatient("patient", Field(rec, patient_field), patient) &&
         EventDate("date", Field(rec, date_field), *patient, 0, date);
}

bool Loader::OptionalNumber(std::string_view column, std::string_view text, float* out) {
  *out = std::nanf("");
  if (text.empty() || ParseNumber(text, out)) return true;
  return Reject(column, Rule::kInvalidNumber, fmt::format("{} '{}' is not a number", column, text));
}

bool Loader::EventDate(std::string_view column, std::string_view text, uint32_t patient,
                       int future_days, Date* out) {
  if (!RequiredDate(column, text, out)) return false;
  if (*out > extract_date_ + future_days) {
    return Reject(column, Rule::kFutureDate,
                  future_days == 0
                      ? fmt::format("{} {} is after the extract date {}", column, text,
                                    FormatIsoDate(extract_date_))
                      : fmt::format("{} {} is more than {} days after the extract date {}", column,
                                    text, future_days, FormatIsoDate(extract_date_)));
  }
  if (*out < patients_.birth[patient]) {
    return Reject(column, Rule::kBeforeBirth,
                  fmt::format("{} {} is before the patient's date of birth {}", column, text,
                              FormatIsoDate(patients_.birth[patient])));
  }
  if (patients_.death[patient] != kNoDate && *out > patients_.death[patient]) {
    return Reject(column, Rule::kAfterDeath,
                  fmt::format("{} {} is after the patient's date of death {}", column, text,
                              FormatIsoDate(patients_.death[patient])));
  }
  return true;
}

Status Loader::LoadOrganisations() {
  IngestFileSummary summary;
  std::unordered_map<std::string, uint64_t> first_line;
  // Parents may come after their children, so rows are checked in two passes:
  // each row alone while reading, then the hierarchy.
  struct Pending {
    OrganisationRow row;
    std::string record;
  };
  std::vector<Pending> rows;
  struct {  // field positions, found once from the header
    int code = -1;
    int name = -1;
    int parent_code = -1;
    int postcode = -1;
    int type = -1;
  } c;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      SpecFor(ExtractTable::kOrganisations), &summary,
      [&](const HeaderBinding& b) {
        c.code = b.index("code");
        c.name = b.index("name");
        c.parent_code = b.index("parent_code");
        c.postcode = b.index("postcode");
        c.type = b.index("type");
      },
      [&](const CsvRecord& rec) {
        OrganisationRow row;
        row.file = std::string(current_file_);
        row.line = rec.line;
        row.code = Field(rec, c.code);
        row.name = Field(rec, c.name);
        row.parent_code = Field(rec, c.parent_code);
        row.postcode = Field(rec, c.postcode);
        if (!IsOrganisationCode(row.code)) {
          return Reject(
              "code", row.code.empty() ? Rule::kMissingValue : Rule::kInvalidValue,
              fmt::format("organisation code '{}' must be 1-32 letters, digits, - or _", row.code));
        }
        if (row.name.empty()) return Reject("name", Rule::kMissingValue, "name is empty");
        for (const auto& [column, text] :
             {std::pair<const char*, const std::string&>{"code", row.code}, {"name", row.name}}) {
          if (ContainsNhsNumberShape(text)) {
            return Reject(column, Rule::kIdentifierInText,
                          fmt::format("{} holds what looks like an NHS number", column));
          }
        }
        if (!Parse(Field(rec, c.type), &row.type)) {
          return Reject(
              "type", Rule::kInvalidOrganisationType,
              fmt::format("type '{}' is not one of {}", Field(rec, c.type), AcceptedOrgTypes()));
        }
        if (!row.postcode.empty() && !IsPostcode(row.postcode)) {
          return Reject(
              "postcode", Rule::kInvalidValue,
              fmt::format("postcode '{}' is not a UK postcode such as 'BH1 1AA'", row.postcode));
        }
        auto [it, inserted] = first_line.emplace(row.code, rec.line);
        if (!inserted) {
          return Reject("code", Rule::kDuplicateOrganisation,
                        fmt::format("organisation {} is already on line {}", row.code, it->second));
        }
        rows.push_back({std::move(row), MaskedRecord(rec.fields, -1, "", code_fields_)});
        return true;
      }));
  // The hierarchy, checked until nothing changes: a row whose parent is
  // quarantined is quarantined too, so no organisation is left orphaned.
  std::vector<bool> accepted(rows.size(), true);
  std::unordered_map<std::string, OrgType> types;
  for (const auto& p : rows) types[p.row.code] = p.row.type;
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!accepted[i]) continue;
      const OrganisationRow& row = rows[i].row;
      std::string problem;
      Rule rule = Rule::kInvalidHierarchy;
      if (row.type == OrgType::kIcs) {
        if (!row.parent_code.empty()) problem = "an ics has no parent";
      } else if (row.parent_code.empty()) {
        rule = Rule::kMissingValue;
        problem = fmt::format("a {} needs a parent_code", Name(row.type));
      } else if (auto it = types.find(row.parent_code); it == types.end()) {
        rule = Rule::kUnknownParent;
        problem = first_line.count(row.parent_code) > 0
                      ? fmt::format("parent {} is itself quarantined", row.parent_code)
                      : fmt::format("parent {} is not a valid organisation in organisations.csv",
                                    row.parent_code);
      } else if (OrgRank(it->second) <= OrgRank(row.type)) {
        problem = fmt::format("a {} cannot belong to a {} ({})", Name(row.type), Name(it->second),
                              row.parent_code);
      }
      if (problem.empty()) continue;
      POPULUS_RETURN_IF_ERROR(
          quarantine_.Add(row.file, row.line, "parent_code", rule, problem, rows[i].record));
      ++summary.quarantined_by_rule[std::string(RuleName(rule))];
      accepted[i] = false;
      types.erase(row.code);
      ++summary.rows_quarantined;
      --summary.rows_loaded;
      changed = true;
    }
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (accepted[i]) organisations_.push_back(rows[i].row);
  }
  org_rejects_ = summary.rows_quarantined;  // includes the source's problems
  std::sort(organisations_.begin(), organisations_.end(),
            [](const OrganisationRow& a, const OrganisationRow& b) { return a.code < b.code; });
  for (uint32_t i = 0; i < organisations_.size(); ++i) {
    organisation_index_[organisations_[i].code] = i;
  }
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::ChoosePatientIdentifier() {
  POPULUS_RETURN_IF_ERROR(source_.PatientsByNhsNumber(&nhs_mode_));
  if (!nhs_mode_) return Status::Ok();
  if (!options_.key_file.empty())
    return Pseudonymiser::FromKeyFile(options_.key_file, &pseudonymiser_);
  const char* env_key = std::getenv(Pseudonymiser::kEnvVar);
  if (env_key != nullptr && *env_key != '\0') {
    return Pseudonymiser::FromEnvironment(&pseudonymiser_);
  }
  if (options_.demo) return Pseudonymiser::ForDemo(options_.data_dir, &pseudonymiser_);
  return Status::Usage(fmt::format(
      "{} holds NHS numbers, and populus will not store them: give a pseudonymisation key with "
      "--key-file FILE or the {} environment variable (or use --demo for a throwaway key)",
      source_.path(), Pseudonymiser::kEnvVar));
}

Status Loader::LoadPatients() {
  IngestFileSummary summary;
  PatientRows& p = patients_;
  struct {  // field positions, found once from the header
    int nhs_number = -1;
    int patient_id = -1;
    int date_of_birth = -1;
    int registered_from = -1;
    int registered_to = -1;
    int date_of_death = -1;
    int sex = -1;
    int practice_code = -1;
    int lsoa = -1;
    int imd_decile = -1;
    int ethnicity = -1;
    int care_home = -1;
  } c;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      SpecFor(ExtractTable::kPatients), &summary,
      [&](const HeaderBinding& b) {
        c.nhs_number = b.index("nhs_number");
        c.patient_id = b.index("patient_id");
        c.date_of_birth = b.index("date_of_birth");
        c.registered_from = b.index("registered_from");
        c.registered_to = b.index("registered_to");
        c.date_of_death = b.index("date_of_death");
        c.sex = b.index("sex");
        c.practice_code = b.index("practice_code");
        c.lsoa = b.index("lsoa");
        c.imd_decile = b.index("imd_decile");
        c.ethnicity = b.index("ethnicity");
        c.care_home = b.index("care_home");
      },
      [&](const CsvRecord& rec) {
        std::string key;
        uint64_t nhs_number = 0;
        if (nhs_mode_) {
          const std::string_view text = Field(rec, c.nhs_number);
          if (text.empty()) return Reject("nhs_number", Rule::kMissingValue, "nhs_number is empty");
          switch (ParseNhsNumber(text, &nhs_number)) {
            case NhsNumberCheck::kMalformed:
              return Reject("nhs_number", Rule::kNhsNumber, "the NHS number is not ten digits");
            case NhsNumberCheck::kBadCheckDigit:
              return Reject("nhs_number", Rule::kNhsNumber,
                            "the NHS number fails its modulus 11 check digit");
            case NhsNumberCheck::kValid:
              break;
          }
        } else {
          const std::string_view text = Field(rec, c.patient_id);
          if (!IsPatientId(text)) {
            return Reject("patient_id",
                          text.empty() ? Rule::kMissingValue : Rule::kInvalidIdentifier,
                          "patient_id must be 1-128 letters, digits or -_.:");
          }
          if (LooksLikeNhsNumber(text)) {
            uint64_t ignored;
            if (ParseNhsNumber(text, &ignored) == NhsNumberCheck::kValid) {
              return Reject("patient_id", Rule::kIdentifierIsNhsNumber,
                            "patient_id is a valid NHS number; supply it as nhs_number so it is "
                            "pseudonymised");
            }
          }
          key = text;
        }
        Date birth, from, to, death;
        if (!RequiredDate("date_of_birth", Field(rec, c.date_of_birth), &birth) ||
            !RequiredDate("registered_from", Field(rec, c.registered_from), &from) ||
            !OptionalDate("registered_to", Field(rec, c.registered_to), &to) ||
            !OptionalDate("date_of_death", Field(rec, c.date_of_death), &death)) {
          return false;
        }
        if (birth > extract_date_) {
          return Reject("date_of_birth", Rule::kFutureDate,
                        fmt::format("date_of_birth {} is after the extract date {}",
                                    FormatIsoDate(birth), FormatIsoDate(extract_date_)));
        }
        if (death != kNoDate && death < birth) {
          return Reject("date_of_death", Rule::kBeforeBirth,
                        "date_of_death is before date_of_birth");
        }
        if (death != kNoDate && death > extract_date_) {
          return Reject("date_of_death", Rule::kFutureDate,
                        fmt::format("date_of_death {} is after the extract date {}",
                                    FormatIsoDate(death), FormatIsoDate(extract_date_)));
        }
        if (from < birth) {
          return Reject("registered_from", Rule::kBeforeBirth,
                        "registered_from is before date_of_birth");
        }
        if (from > extract_date_) {
          return Reject("registered_from", Rule::kFutureDate,
                        fmt::format("registered_from {} is after the extract date {}",
                                    FormatIsoDate(from), FormatIsoDate(extract_date_)));
        }
        if (to != kNoDate && to > extract_date_) {
          return Reject("registered_to", Rule::kFutureDate,
                        fmt::format("registered_to {} is after the extract date {}",
                                    FormatIsoDate(to), FormatIsoDate(extract_date_)));
        }
        if (death != kNoDate && from > death) {
          return Reject("registered_from", Rule::kRegistrationDates,
                        "registered_from is after date_of_death");
        }
        if (to != kNoDate && to < from) {
          return Reject("registered_to", Rule::kRegistrationDates,
                        "registered_to is before registered_from");
        }
        if (to != kNoDate && death != kNoDate && to > death) {
          return Reject("registered_to", Rule::kRegistrationDates,
                        "registered_to is after date_of_death");
        }
        Sex sex;
        const std::string_view sex_text = Field(rec, c.sex);
        if (sex_text.empty()) return Reject("sex", Rule::kMissingValue, "sex is empty");
        if (!Parse(sex_text, &sex)) {
          return Reject("sex", Rule::kUnknownSex,
                        fmt::format("sex '{}' is not one of {}", sex_text, AcceptedSexes()));
        }
        uint32_t practice;
        if (!Practice(Field(rec, c.practice_code), &practice)) return false;
        const std::string_view lsoa = Field(rec, c.lsoa);
        if (!lsoa.empty() && !IsLsoa(lsoa)) {
          return Reject("lsoa", Rule::kInvalidValue,
                        fmt::format("lsoa '{}' is not an LSOA code such as E01015432", lsoa));
        }
        int64_t imd = 0;
        const std::string_view imd_text = Field(rec, c.imd_decile);
        if (!imd_text.empty() && !ParseWhole(imd_text, 1, 10, &imd)) {
          return Reject(
              "imd_decile", Rule::kOutOfRange,
              fmt::format("imd_decile '{}' is not a whole number from 1 to 10", imd_text));
        }
        const std::string_view ethnicity = Field(rec, c.ethnicity);
        if (!ethnicity.empty() && !IsSnomedConceptId(ethnicity)) {
          return Reject(
              "ethnicity", Rule::kInvalidCode,
              fmt::format("ethnicity '{}' is not a SNOMED CT concept identifier", ethnicity));
        }
        int64_t care_home = kCareHomeNotRecorded;
        const std::string_view care_text = Field(rec, c.care_home);
        if (!care_text.empty() && !ParseWhole(care_text, 0, 1, &care_home)) {
          return Reject("care_home", Rule::kInvalidValue,
                        fmt::format("care_home '{}' is not 0 or 1", care_text));
        }
        const auto index = static_cast<uint32_t>(p.birth.size());
        uint32_t existing = 0;
        if (nhs_mode_) {
          if (!nhs_index_.Insert(nhs_number, index, &existing)) {
            return Reject("nhs_number", Rule::kDuplicatePatient,
                          "this NHS number is already in patients.csv");
          }
          key = pseudonymiser_.Pseudonym(nhs_number);
        } else {
          auto [it, inserted] = id_index_.emplace(key, index);
          if (!inserted) {
            return Reject("patient_id", Rule::kDuplicatePatient,
                          fmt::format("patient_id '{}' is already in patients.csv", key));
          }
        }
        p.key.push_back(std::move(key));
        p.birth.push_back(birth);
        p.registered_from.push_back(from);
        p.registered_to.push_back(to);
        p.death.push_back(death);
        p.sex.push_back(static_cast<uint8_t>(sex));
        p.practice.push_back(practice);
        p.lsoa.push_back(p.lsoa_dict.Intern(lsoa));
        p.imd_decile.push_back(static_cast<uint8_t>(imd));
        p.ethnicity.push_back(p.ethnicity_dict.Intern(ethnicity));
        p.care_home.push_back(static_cast<uint8_t>(care_home));
        date_ranges_["patients"].Add(birth);  // dates of birth
        return true;
      }));
  patient_rejects_ = summary.rows_quarantined;  // includes the source's problems
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::LoadEvents() {
  IngestFileSummary summary;
  EventRows& e = events_;
  DateRange& range = date_ranges_["events"];
  struct {  // field positions, found once from the header
    int patient = -1;
    int date = -1;
    int snomed_code = -1;
    int numeric_value = -1;
    int unit = -1;
  } c;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      SpecFor(ExtractTable::kEvents), &summary,
      [&](const HeaderBinding& b) {
        c.patient = b.index("patient");
        c.date = b.index("date");
        c.snomed_code = b.index("snomed_code");
        c.numeric_value = b.index("numeric_value");
        c.unit = b.index("unit");
      },
      [&](const CsvRecord& rec) {
        uint32_t patient;
        Date date;
        if (!PatientAndDate(rec, c.patient, c.date, &patient, &date)) return false;
        const std::string_view code = Field(rec, c.snomed_code);
        uint32_t code_id;
        if (!KnownCode(e.codes, "snomed_code", code, &code_id)) return false;
        float value;
        if (!OptionalNumber("numeric_value", Field(rec, c.numeric_value), &value)) return false;
        const std::string_view unit = Field(rec, c.unit);
        if (unit.size() > 64) {
          return Reject("unit", Rule::kOutOfRange, "unit is longer than 64 characters");
        }
        if (ContainsNhsNumberShape(unit)) {
          return Reject("unit", Rule::kIdentifierInText,
                        "unit holds what looks like an NHS number");
        }
        e.patient.push_back(patient);
        e.date.push_back(date);
        e.code.push_back(code_id != kNewCode ? code_id : e.codes.Intern(code));
        e.value.push_back(value);
        e.unit.push_back(std::isnan(value) ? 0 : e.units.Intern(unit));
        range.Add(date);
        return true;
      }));
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::LoadMedications() {
  IngestFileSummary summary;
  MedicationRows& m = medications_;
  DateRange& range = date_ranges_["medications"];
  struct {  // field positions, found once from the header
    int patient = -1;
    int date = -1;
    int dmd_code = -1;
    int quantity = -1;
  } c;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      SpecFor(ExtractTable::kMedications), &summary,
      [&](const HeaderBinding& b) {
        c.patient = b.index("patient");
        c.date = b.index("date");
        c.dmd_code = b.index("dmd_code");
        c.quantity = b.index("quantity");
      },
      [&](const CsvRecord& rec) {
        uint32_t patient;
        Date date;
        if (!PatientAndDate(rec, c.patient, c.date, &patient, &date)) return false;
        const std::string_view code = Field(rec, c.dmd_code);
        uint32_t code_id;
        if (!KnownCode(m.codes, "dmd_code", code, &code_id)) return false;
        float quantity;
        if (!OptionalNumber("quantity", Field(rec, c.quantity), &quantity)) return false;
        if (quantity < 0) {
          return Reject("quantity", Rule::kOutOfRange, "quantity is negative");
        }
        m.patient.push_back(patient);
        m.date.push_back(date);
        m.code.push_back(code_id != kNewCode ? code_id : m.codes.Intern(code));
        m.quantity.push_back(quantity);
        range.Add(date);
        return true;
      }));
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::LoadAppointments() {
  IngestFileSummary summary;
  AppointmentRows& a = appointments_;
  DateRange& range = date_ranges_["appointments"];
  struct {  // field positions, found once from the header
    int practice_code = -1;
    int patient = -1;
    int date = -1;
    int booked_date = -1;
    int staff_role = -1;
    int mode = -1;
    int status = -1;
    int duration_minutes = -1;
  } c;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      SpecFor(ExtractTable::kAppointments), &summary,
      [&](const HeaderBinding& b) {
        c.practice_code = b.index("practice_code");
        c.patient = b.index("patient");
        c.date = b.index("date");
        c.booked_date = b.index("booked_date");
        c.staff_role = b.index("staff_role");
        c.mode = b.index("mode");
        c.status = b.index("status");
        c.duration_minutes = b.index("duration_minutes");
      },
      [&](const CsvRecord& rec) {
        uint32_t practice;
        if (!Practice(Field(rec, c.practice_code), &practice)) return false;
        uint32_t patient = kNoRow;
        Date date, booked;
        const std::string_view patient_text = Field(rec, c.patient);
        // Booked appointments may lie up to a year after the extract date.
        if (!patient_text.empty()) {
          if (!ResolvePatient("patient", patient_text, &patient) ||
              !EventDate("date", Field(rec, c.date), patient, kBookingHorizonDays, &date)) {
            return false;
          }
        } else {
          if (!RequiredDate("date", Field(rec, c.date), &date)) return false;
          if (date > extract_date_ + kBookingHorizonDays) {
            return Reject("date", Rule::kFutureDate,
                          fmt::format("date {} is more than {} days after the extract date {}",
                                      FormatIsoDate(date), kBookingHorizonDays,
                                      FormatIsoDate(extract_date_)));
          }
        }
        if (!OptionalDate("booked_date", Field(rec, c.booked_date), &booked)) return false;
        if (booked != kNoDate && booked > date) {
          return Reject("booked_date", Rule::kInvalidDate,
                        "booked_date is after the appointment date");
        }
        if (booked != kNoDate && booked > extract_date_) {
          return Reject("booked_date", Rule::kFutureDate,
                        fmt::format("booked_date {} is after the extract date {}",
                                    FormatIsoDate(booked), FormatIsoDate(extract_date_)));
        }
        uint8_t role;
        AppointmentMode mode;
        AppointmentStatus status;
        const std::string_view role_text = Field(rec, c.staff_role);
        if (!ParseStaffRole(role_text, &role)) {
          return Reject(
              "staff_role", Rule::kInvalidValue,
              fmt::format("staff_role '{}' is not one of {}", role_text, AcceptedStaffRoles()));
        }
        const std::string_view mode_text = Field(rec, c.mode);
        if (!Parse(mode_text, &mode)) {
          return Reject("mode", Rule::kInvalidValue,
                        fmt::format("mode '{}' is not one of {}", mode_text, AcceptedModes()));
        }
        const std::string_view status_text = Field(rec, c.status);
        if (!Parse(status_text, &status)) {
          return Reject(
              "status", Rule::kInvalidValue,
              fmt::format("status '{}' is not one of {}", status_text, AcceptedStatuses()));
        }
        if (date > extract_date_ && status != AppointmentStatus::kCancelled &&
            status != AppointmentStatus::kBooked) {
          return Reject(
              "status", Rule::kInvalidValue,
              fmt::format("an appointment after the extract date cannot be {}", status_text));
        }
        int64_t duration = kNoSmallNumber;
        const std::string_view duration_text = Field(rec, c.duration_minutes);
        if (!duration_text.empty() && !ParseWhole(duration_text, 0, 600, &duration)) {
          return Reject("duration_minutes", Rule::kOutOfRange,
                        fmt::format("duration_minutes '{}' is not a whole number from 0 to 600",
                                    duration_text));
        }
        a.practice.push_back(practice);
        a.patient.push_back(patient);
        a.date.push_back(date);
        a.booked.push_back(booked);
        a.role.push_back(role);
        a.mode.push_back(static_cast<uint8_t>(mode));
        a.status.push_back(static_cast<uint8_t>(status));
        a.duration.push_back(static_cast<uint16_t>(duration));
        range.Add(date);
        return true;
      }));
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::LoadHospitalActivity() {
  IngestFileSummary summary;
  ActivityRows& h = activity_;
  DateRange& range = date_ranges_["hospital_activity"];
  struct {  // field positions, found once from the header
    int patient = -1;
    int date = -1;
    int setting = -1;
    int provider = -1;
    int length_of_stay_days = -1;
  } c;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      SpecFor(ExtractTable::kHospitalActivity), &summary,
      [&](const HeaderBinding& b) {
        c.patient = b.index("patient");
        c.date = b.index("date");
        c.setting = b.index("setting");
        c.provider = b.index("provider");
        c.length_of_stay_days = b.index("length_of_stay_days");
      },
      [&](const CsvRecord& rec) {
        uint32_t patient;
        Date date;
        if (!PatientAndDate(rec, c.patient, c.date, &patient, &date)) return false;
        HospitalSetting setting;
        const std::string_view setting_text = Field(rec, c.setting);
        if (!Parse(setting_text, &setting)) {
          return Reject(
              "setting", Rule::kInvalidValue,
              fmt::format("setting '{}' is not one of {}", setting_text, AcceptedSettings()));
        }
        const std::string_view provider = Field(rec, c.provider);
        if (ContainsNhsNumberShape(provider)) {
          return Reject("provider", Rule::kIdentifierInText,
                        "provider holds what looks like an NHS number");
        }
        if (!provider.empty() && !IsOrganisationCode(provider)) {
          return Reject("provider", Rule::kInvalidValue,
                        fmt::format("provider '{}' is not an organisation code", provider));
        }
        int64_t stay = kNoSmallNumber;
        const std::string_view stay_text = Field(rec, c.length_of_stay_days);
        if (!stay_text.empty() && !ParseWhole(stay_text, 0, 3650, &stay)) {
          return Reject("length_of_stay_days", Rule::kOutOfRange,
                        fmt::format("length_of_stay_days '{}' is not a whole number from 0 to 3650",
                                    stay_text));
        }
        h.patient.push_back(patient);
        h.date.push_back(date);
        h.setting.push_back(static_cast<uint8_t>(setting));
        h.provider.push_back(h.providers.Intern(provider));
        h.length_of_stay.push_back(static_cast<uint16_t>(stay));
        range.Add(date);
        return true;
      }));
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

// The row order that sorts a patient-keyed table by (patient, date), keeping
// the extract's order between rows of the same patient and date; and the
// per-patient offsets.
void PatientDateOrder(const std::vector<uint32_t>& patient, const std::vector<Date>& date,
                      size_t patients, std::vector<uint32_t>* order,
                      std::vector<uint64_t>* offsets) {
  offsets->assign(patients + 1, 0);
  for (uint32_t p : patient) ++(*offsets)[p + 1];
  for (size_t i = 1; i <= patients; ++i) (*offsets)[i] += (*offsets)[i - 1];
  // Scatter (date, row) keys into patient buckets; within a bucket, sorting the
  // keys orders rows by date and, for equal dates, by their place in the extract.
  std::vector<uint64_t> next(offsets->begin(), offsets->end() - 1);
  std::vector<uint64_t> keys(patient.size());
  for (uint32_t row = 0; row < patient.size(); ++row) {
    const uint64_t biased_date = static_cast<uint32_t>(date[row]) ^ 0x80000000u;
    keys[next[patient[row]]++] = biased_date << 32 | row;
  }
  for (size_t p = 0; p < patients; ++p) {
    uint64_t* first = keys.data() + (*offsets)[p];
    uint64_t* last = keys.data() + (*offsets)[p + 1];
    if (last - first > 32) {
      std::sort(first, last);
      continue;
    }
    for (uint64_t* i = first + (first != last ? 1 : 0); i < last; ++i) {
      const uint64_t key = *i;
      uint64_t* k = i;
      while (k > first && key < k[-1]) {
        *k = k[-1];
        --k;
      }
      *k = key;
    }
  }
  order->resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) (*order)[i] = static_cast<uint32_t>(keys[i]);
}

template <typename T>
std::vector<T> Gather(const std::vector<T>& values, const std::vector<uint32_t>& order) {
  std::vector<T> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = values[order[i]];
  return out;
}

std::vector<uint32_t> GatherRemapped(const std::vector<uint32_t>& ids,
                                     const std::vector<uint32_t>& order,
                                     const std::vector<uint32_t>& remap) {
  std::vector<uint32_t> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = remap[ids[order[i]]];
  return out;
}

void Loader::SortPatients() {
  // Patients are stored in pseudonym order so a snapshot does not depend on
  // the order of the extract's rows.
  PatientRows& p = patients_;
  const size_t n = p.key.size();
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return p.key[a] < p.key[b]; });
  std::vector<uint32_t> new_index(n);
  for (uint32_t i = 0; i < n; ++i) new_index[order[i]] = i;
  p.key = Gather(p.key, order);
  p.birth = Gather(p.birth, order);
  p.registered_from = Gather(p.registered_from, order);
  p.registered_to = Gather(p.registered_to, order);
  p.death = Gather(p.death, order);
  p.sex = Gather(p.sex, order);
  p.imd_decile = Gather(p.imd_decile, order);
  p.care_home = Gather(p.care_home, order);
  p.practice = Gather(p.practice, order);
  p.lsoa = Gather(p.lsoa, order);
  p.ethnicity = Gather(p.ethnicity, order);
  for (auto* column : {&events_.patient, &medications_.patient, &activity_.patient}) {
    for (uint32_t& x : *column) x = new_index[x];
  }
  for (uint32_t& x : appointments_.patient) {
    if (x != kNoRow) x = new_index[x];
  }
}

Status Loader::WritePatientOrder(const std::string& table, const std::vector<uint32_t>& patient,
                                 const std::vector<Date>& date, std::vector<uint32_t>* order) {
  std::vector<uint64_t> offsets;
  PatientDateOrder(patient, date, patients_.key.size(), order, &offsets);
  POPULUS_RETURN_IF_ERROR(writer_.Column(table, "patient_offsets", offsets));
  return writer_.Column(table, "date", Gather(date, *order));
}

Status Loader::WriteCodes(const std::string& table, const std::string& name,
                          const StringInterner& interner, const std::vector<uint32_t>& ids,
                          const std::vector<uint32_t>& order) {
  std::vector<std::string> dict;
  std::vector<uint32_t> remap;
  interner.Finish(&dict, &remap);
  return writer_.Codes(table, name, GatherRemapped(ids, order, remap), dict);
}

Status Loader::WriteOrganisations() {
  SnapshotWriter& w = writer_;
  std::vector<std::string> code, name, postcode;
  std::vector<uint8_t> type;
  std::vector<uint32_t> parent;
  for (const auto& o : organisations_) {
    code.push_back(o.code);
    name.push_back(o.name);
    postcode.push_back(o.postcode);
    type.push_back(static_cast<uint8_t>(o.type));
    auto it = organisation_index_.find(o.parent_code);
    parent.push_back(it == organisation_index_.end() ? kNoRow : it->second);
  }
  POPULUS_RETURN_IF_ERROR(w.Strings("organisations", "code", code));
  POPULUS_RETURN_IF_ERROR(w.Strings("organisations", "name", name));
  POPULUS_RETURN_IF_ERROR(w.Column("organisations", "type", type));
  POPULUS_RETURN_IF_ERROR(w.Column("organisations", "parent", parent));
  POPULUS_RETURN_IF_ERROR(w.Strings("organisations", "postcode", postcode));
  w.SetTableRows("organisations", organisations_.size());
  return Status::Ok();
}

Status Loader::WritePatients() {
  SnapshotWriter& w = writer_;
  std::vector<std::string> dict;
  std::vector<uint32_t> remap;
  PatientRows& p = patients_;
  POPULUS_RETURN_IF_ERROR(w.Strings("patients", "pseudonym", p.key));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "date_of_birth", p.birth));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "sex", p.sex));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "practice", p.practice));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "registered_from", p.registered_from));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "registered_to", p.registered_to));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "date_of_death", p.death));
  p.lsoa_dict.Finish(&dict, &remap);
  for (uint32_t& x : p.lsoa) x = remap[x];
  POPULUS_RETURN_IF_ERROR(w.Codes("patients", "lsoa", p.lsoa, dict));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "imd_decile", p.imd_decile));
  p.ethnicity_dict.Finish(&dict, &remap);
  for (uint32_t& x : p.ethnicity) x = remap[x];
  POPULUS_RETURN_IF_ERROR(w.Codes("patients", "ethnicity", p.ethnicity, dict));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "care_home", p.care_home));
  w.SetTableRows("patients", p.key.size());
  return Status::Ok();
}

Status Loader::WriteEvents() {
  // Values are stored only where present, found through a bitmap and its rank.
  SnapshotWriter& w = writer_;
  std::vector<std::string> dict;
  std::vector<uint32_t> remap, order;
  EventRows& e = events_;
  POPULUS_RETURN_IF_ERROR(WritePatientOrder("events", e.patient, e.date, &order));
  POPULUS_RETURN_IF_ERROR(WriteCodes("events", "code", e.codes, e.code, order));
  const size_t n = order.size();
  std::vector<uint64_t> present((n + 63) / 64, 0);
  std::vector<uint32_t> rank(present.size(), 0);
  std::vector<float> values;
  std::vector<uint32_t> units;
  e.units.Finish(&dict, &remap);
  for (size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0) rank[i >> 6] = static_cast<uint32_t>(values.size());
    const float v = e.value[order[i]];
    if (!std::isnan(v)) {
      present[i >> 6] |= uint64_t{1} << (i & 63);
      values.push_back(v);
      units.push_back(remap[e.unit[order[i]]]);
    }
  }
  POPULUS_RETURN_IF_ERROR(w.Bitmap("events", "value_present", present, n));
  POPULUS_RETURN_IF_ERROR(w.Column("events", "value_rank", rank));
  POPULUS_RETURN_IF_ERROR(w.Column("events", "value", values));
  POPULUS_RETURN_IF_ERROR(w.Codes("events", "unit", units, dict));
  w.SetTableRows("events", n);
  CrashPoint("write-events");
  return Status::Ok();
}

Status Loader::WriteMedications() {
  SnapshotWriter& w = writer_;
  std::vector<uint32_t> order;
  MedicationRows& m = medications_;
  POPULUS_RETURN_IF_ERROR(WritePatientOrder("medications", m.patient, m.date, &order));
  POPULUS_RETURN_IF_ERROR(WriteCodes("medications", "dmd_code", m.codes, m.code, order));
  POPULUS_RETURN_IF_ERROR(w.Column("medications", "quantity", Gather(m.quantity, order)));
  w.SetTableRows("medications", order.size());
  return Status::Ok();
}

Status Loader::WriteHospitalActivity() {
  SnapshotWriter& w = writer_;
  std::vector<uint32_t> order;
  ActivityRows& h = activity_;
  POPULUS_RETURN_IF_ERROR(WritePatientOrder("hospital_activity", h.patient, h.date, &order));
  POPULUS_RETURN_IF_ERROR(w.Column("hospital_activity", "setting", Gather(h.setting, order)));
  POPULUS_RETURN_IF_ERROR(
      WriteCodes("hospital_activity", "provider", h.providers, h.provider, order));
  POPULUS_RETURN_IF_ERROR(
      w.Column("hospital_activity", "length_of_stay_days", Gather(h.length_of_stay, order)));
  w.SetTableRows("hospital_activity", order.size());
  return Status::Ok();
}

Status Loader::WriteAppointments() {
  // By (practice, date), keeping the extract's order within a day.
  SnapshotWriter& w = writer_;
  std::vector<uint32_t> order;
  AppointmentRows& a = appointments_;
  order.resize(a.date.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    if (a.practice[x] != a.practice[y]) return a.practice[x] < a.practice[y];
    return a.date[x] < a.date[y];
  });
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "practice", Gather(a.practice, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "patient", Gather(a.patient, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "date", Gather(a.date, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "booked_date", Gather(a.booked, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "staff_role", Gather(a.role, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "mode", Gather(a.mode, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "status", Gather(a.status, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "duration_minutes", Gather(a.duration, order)));
  w.SetTableRows("appointments", order.size());
  return Status::Ok();
}

Status Loader::WriteSnapshot() {
  POPULUS_RETURN_IF_ERROR(WriteOrganisations());
  CrashPoint("write-organisations");
  POPULUS_RETURN_IF_ERROR(WritePatients());
  CrashPoint("write-patients");
  // Events, the largest table, are sorted and written on a second core while
  // this one does the rest; the files do not depend on which finishes first.
  Status events_status;
  std::thread events([&] { events_status = WriteEvents(); });
  Status rest = WriteMedications();
  if (rest.ok()) rest = WriteHospitalActivity();
  if (rest.ok()) rest = WriteAppointments();
  events.join();
  POPULUS_RETURN_IF_ERROR(events_status);
  POPULUS_RETURN_IF_ERROR(rest);
  CrashPoint("write-all-tables");
  return Status::Ok();
}

void Loader::LatestKeyFingerprint(std::string* version, std::string* fingerprint) const {
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(writer_.layout().versions_dir(), ec)) {
    if (ParseVersionName(entry.path().filename().string()) > 0) {
      versions.push_back(entry.path().filename().string());
    }
  }
  std::sort(versions.rbegin(), versions.rend());
  for (const std::string& v : versions) {
    std::string text;
    if (!ReadSmallFile(writer_.layout().version_dir(v) + "/manifest.json", &text).ok()) continue;
    const auto manifest = nlohmann::json::parse(text, nullptr, false);
    if (manifest.is_discarded()) continue;
    const std::string key = manifest.value("key_fingerprint", "");
    if (!key.empty()) {
      *version = v;
      *fingerprint = key;
      return;
    }
  }
}

Status Loader::QuarantineSourceProblems() {
  for (const SourceProblem& p : source_.problems()) {
    POPULUS_RETURN_IF_ERROR(quarantine_.Add(p.file, p.line, p.column, p.rule, p.reason, p.record));
    // Counted with their table's rows (ReadTable), so --lenient and
    // --max-errors see each once.
    ++source_problems_[p.table][std::string(RuleName(p.rule))];
  }
  return Status::Ok();
}

Status Loader::Run() {
  const auto start = std::chrono::steady_clock::now();
  extract_date_ = options_.extract_date != kNoDate ? options_.extract_date : TodayUtc();
  POPULUS_RETURN_IF_ERROR(source_.Prepare());
  // The lock comes first: even a demo key is only made by the one writer.
  POPULUS_RETURN_IF_ERROR(writer_.Begin(options_.data_dir));
  POPULUS_RETURN_IF_ERROR(ChoosePatientIdentifier());
  const std::string quarantine_path = writer_.staging_dir() + "/quarantine.csv";
  POPULUS_RETURN_IF_ERROR(quarantine_.Open(quarantine_path));
  POPULUS_RETURN_IF_ERROR(QuarantineSourceProblems());

  // Organisations and patients must be sound before anything links to them.
  std::string rejection;
  POPULUS_RETURN_IF_ERROR(LoadOrganisations());
  if (org_rejects_ > 0 && !options_.lenient) {
    rejection = fmt::format(
        "{} organisation row(s) failed validation; the load is rejected (use --lenient to "
        "quarantine them and load the rest)",
        org_rejects_);
  }
  if (rejection.empty()) {
    POPULUS_RETURN_IF_ERROR(LoadPatients());
    if (patient_rejects_ > 0 && !options_.lenient) {
      rejection = fmt::format(
          "{} patient row(s) failed validation; the load is rejected (use --lenient to "
          "quarantine them and load the rest)",
          patient_rejects_);
    }
  }
  if (rejection.empty()) {
    POPULUS_RETURN_IF_ERROR(LoadEvents());
    CrashPoint("after-events");
    POPULUS_RETURN_IF_ERROR(LoadMedications());
    POPULUS_RETURN_IF_ERROR(LoadAppointments());
    POPULUS_RETURN_IF_ERROR(LoadHospitalActivity());
    if (options_.max_errors >= 0 &&
        event_like_rejects_ > static_cast<uint64_t>(options_.max_errors)) {
      rejection = fmt::format(
          "{} event, medication, appointment or hospital rows were quarantined, more than "
          "--max-errors {}; the load is rejected",
          event_like_rejects_, options_.max_errors);
    }
  }
  POPULUS_RETURN_IF_ERROR(quarantine_.Close());
  result_->examples = quarantine_.examples();
  source_.Describe(result_);
  result_->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!rejection.empty()) {
    result_->rejected_dir = writer_.RejectedPath();
    result_->quarantine_file = result_->rejected_dir + "/quarantine.csv";
    result_->rejection = rejection;

    POPULUS_RETURN_IF_ERROR(WriteFileAtomically(writer_.staging_dir() + "/load-report.json",
                                                result_->ToJson().dump(2) + "\n"));
    POPULUS_RETURN_IF_ERROR(writer_.Reject());
    return Status::Data(rejection);
  }

  const auto write_start = std::chrono::steady_clock::now();
  SortPatients();
  POPULUS_RETURN_IF_ERROR(WriteSnapshot());

  // Does this load link with the snapshot it replaces? (Only a question when
  // both were made from NHS numbers.)
  std::string key_fingerprint = nhs_mode_ ? pseudonymiser_.Fingerprint() : "";
  if (nhs_mode_) {
    std::string previous_version, previous_key;
    LatestKeyFingerprint(&previous_version, &previous_key);
    if (!previous_key.empty() && previous_key != key_fingerprint) {
      result_->warnings.push_back(fmt::format(
          "this load's pseudonymisation key differs from the one that made {}: pseudonyms "
          "will not link between the two",
          previous_version));
    }
  }

  nlohmann::json& manifest = writer_.manifest();
  manifest["created_utc"] = [] {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  }();
  manifest["source"] = {{"path", source_.path()}, {"format", source_.format()}};
  manifest["extract_date"] = FormatIsoDate(extract_date_);
  manifest["patient_identifier"] = nhs_mode_ ? "nhs-number-hmac-sha256" : "patient-id";
  manifest["key_fingerprint"] = key_fingerprint;
  nlohmann::json ranges = nlohmann::json::object();
  for (const auto& [name, range] : date_ranges_) ranges[name] = range.ToJson();
  manifest["date_ranges"] = ranges;
  nlohmann::json by_type = nlohmann::json::object();
  for (const auto& o : organisations_) {
    by_type[std::string(Name(o.type))] = by_type.value(std::string(Name(o.type)), 0) + 1;
  }
  manifest["organisations_by_type"] = by_type;
  // The report describes the load as it will stand once published; if
  // publication fails, nothing that holds it is published either.
  result_->version = writer_.NextVersion();
  result_->published = true;
  result_->snapshot_dir = writer_.layout().version_dir(result_->version);
  result_->quarantine_file = result_->snapshot_dir + "/quarantine.csv";
  result_->write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  result_->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  manifest["load"] = result_->ToJson();
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(writer_.staging_dir() + "/load-report.json",
                                              result_->ToJson().dump(2) + "\n"));
  const Status published = writer_.Publish(options_.keep_versions);
  if (!published.ok()) {
    result_->published = false;
    result_->version.clear();
    result_->snapshot_dir.clear();
    result_->quarantine_file.clear();
    return published;
  }
  return Status::Ok();
}

}  // namespace

Status IngestFrom(ExtractSource& source, const IngestOptions& options, IngestResult* result) {
  Loader loader(source, options, result);
  return loader.Run();
}

Status Ingest(const IngestOptions& options, IngestResult* result) {
  std::unique_ptr<ExtractSource> source = OpenCsvExtract(options.extract_dir);
  return IngestFrom(*source, options, result);
}

}  // namespace populus
