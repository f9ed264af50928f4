// Reading and validating each table of an extract into staged rows.
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
#include "ingest/field_rules.h"
#include "ingest/loader.h"
#include "ingest/pseudonymiser.h"
#include "ingest/quarantine.h"
#include "store/snapshot.h"
#include "store/snapshot_writer.h"

namespace populus::loading {
namespace {

using field_rules::IsLsoa;
using field_rules::IsPatientId;
using field_rules::IsPostcode;
using field_rules::ParseNumber;
using field_rules::ParseWhole;

std::string_view Field(const CsvRecord& rec, int index) {
  return index >= 0 ? rec.fields[static_cast<size_t>(index)] : std::string_view();
}

}  // namespace

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
                  fmt::format("practice_code '{}' is not a practice in {}", text,
                              source_.TableLabel(SpecFor(ExtractTable::kOrganisations))));
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
  POPULUS_RETURN_IF_ERROR(
      e.rows.Create(writer_.staging_dir(), patients_.key.size(), options_.patients_per_bucket));
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
        EventRow row;
        row.patient = patient;
        row.date = date;
        row.code = code_id != kNewCode ? code_id : e.codes.Intern(code);
        row.value = value;
        row.unit = std::isnan(value) ? 0 : e.units.Intern(unit);
        e.rows.Add(patient, row);
        range.Add(date);
        return true;
      }));
  POPULUS_RETURN_IF_ERROR(e.rows.FinishWriting());
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::LoadMedications() {
  IngestFileSummary summary;
  MedicationRows& m = medications_;
  POPULUS_RETURN_IF_ERROR(
      m.rows.Create(writer_.staging_dir(), patients_.key.size(), options_.patients_per_bucket));
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
        MedicationRow row;
        row.patient = patient;
        row.date = date;
        row.code = code_id != kNewCode ? code_id : m.codes.Intern(code);
        row.quantity = quantity;
        m.rows.Add(patient, row);
        range.Add(date);
        return true;
      }));
  POPULUS_RETURN_IF_ERROR(m.rows.FinishWriting());
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::LoadAppointments() {
  IngestFileSummary summary;
  AppointmentRows& a = appointments_;
  POPULUS_RETURN_IF_ERROR(a.rows.Create(writer_.staging_dir(), organisations_.size(),
                                        options_.organisations_per_bucket));
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
        AppointmentRow row;
        row.practice = practice;
        row.patient = patient;
        row.date = date;
        row.booked = booked;
        row.role = role;
        row.mode = static_cast<uint8_t>(mode);
        row.status = static_cast<uint8_t>(status);
        row.duration = static_cast<uint16_t>(duration);
        a.rows.Add(practice, row);
        range.Add(date);
        return true;
      }));
  POPULUS_RETURN_IF_ERROR(a.rows.FinishWriting());
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

Status Loader::LoadHospitalActivity() {
  IngestFileSummary summary;
  ActivityRows& h = activity_;
  POPULUS_RETURN_IF_ERROR(
      h.rows.Create(writer_.staging_dir(), patients_.key.size(), options_.patients_per_bucket));
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
        ActivityRow row;
        row.patient = patient;
        row.date = date;
        row.setting = static_cast<uint8_t>(setting);
        row.provider = h.providers.Intern(provider);
        row.length_of_stay = static_cast<uint16_t>(stay);
        h.rows.Add(patient, row);
        range.Add(date);
        return true;
      }));
  POPULUS_RETURN_IF_ERROR(h.rows.FinishWriting());
  event_like_rejects_ += summary.rows_quarantined;
  result_->files.push_back(summary);
  return Status::Ok();
}

}  // namespace populus::loading
