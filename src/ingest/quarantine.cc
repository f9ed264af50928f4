#include "ingest/quarantine.h"

#include <fmt/format.h>

#include "common/csv_field.h"
#include "common/nhs_number.h"
#include "common/snomed_id.h"
#include "extract/csv_reader.h"

namespace populus {
namespace {
struct RuleInfo {
  Rule rule;
  std::string_view name;
  std::string_view description;
};
constexpr RuleInfo kRules[] = {
    {Rule::kColumnCount, "column-count",
     "the row has a different number of fields from the header"},
    {Rule::kCsvQuoting, "csv-quoting", "quotes are not used as RFC 4180 requires"},
    {Rule::kInvalidUtf8, "invalid-utf8", "the row is not valid UTF-8"},
    {Rule::kMissingValue, "missing-value", "a required field is empty"},
    {Rule::kInvalidDate, "invalid-date", "a date is not YYYY-MM-DD or is not a real day"},
    {Rule::kFutureDate, "future-date", "a date is after the extract date"},
    {Rule::kNhsNumber, "nhs-number",
     "an NHS number is not ten digits or fails its modulus 11 check"},
    {Rule::kIdentifierIsNhsNumber, "identifier-is-nhs-number",
     "a patient_id is a valid NHS number (put it in nhs_number so it is pseudonymised)"},
    {Rule::kInvalidIdentifier, "invalid-identifier",
     "a patient_id is empty, too long or has characters other than letters, digits and -_.:"},
    {Rule::kDuplicatePatient, "duplicate-patient",
     "the same patient appears twice in patients.csv"},
    {Rule::kDuplicateOrganisation, "duplicate-organisation",
     "the same organisation code appears twice"},
    {Rule::kUnknownSex, "unknown-sex", "sex is not one of M, F, I, U"},
    {Rule::kUnknownPractice, "unknown-practice",
     "the practice code is not an organisation of type practice"},
    {Rule::kUnknownParent, "unknown-parent", "the parent code is not in organisations.csv"},
    {Rule::kInvalidOrganisationType, "invalid-organisation-type",
     "the type is not one of ics, locality, pcn, practice, site"},
    {Rule::kInvalidHierarchy, "invalid-hierarchy",
     "the parent is not a larger kind of organisation, or an ics has a parent"},
    {Rule::kUnknownPatient, "unknown-patient", "the patient is not in patients.csv"},
    {Rule::kBeforeBirth, "before-birth", "a date is before the patient's date of birth"},
    {Rule::kAfterDeath, "after-death", "a date is after the patient's date of death"},
    {Rule::kRegistrationDates, "registration-dates",
     "registration ends before it starts, starts after the patient's death, or ends after it"},
    {Rule::kIdentifierInText, "identifier-in-text",
     "a code or free-text field holds something shaped like an NHS number"},
    {Rule::kControlCharacter, "control-character",
     "a field holds a control character (a NUL byte, a line break, an escape, ...)"},
    {Rule::kInvalidCode, "invalid-code", "a code is not a SNOMED CT / dm+d concept identifier"},
    {Rule::kInvalidNumber, "invalid-number", "a number cannot be read or is not finite"},
    {Rule::kOutOfRange, "out-of-range", "a value is outside the range the format allows"},
    {Rule::kInvalidValue, "invalid-value", "a value is not one of the format's allowed values"},
    {Rule::kMalformedResource, "malformed-resource",
     "FHIR: a line or Bundle entry is not valid JSON, or not a resource"},
    {Rule::kUnknownResourceType, "unknown-resource-type",
     "FHIR: the resourceType is not a resource of FHIR R4"},
    {Rule::kDanglingReference, "dangling-reference",
     "FHIR: a reference populus needs resolves to no resource of the load"},
    {Rule::kMissingElement, "missing-element",
     "FHIR: a resource lacks an element populus needs (subject, date, code)"},
    {Rule::kDuplicateResource, "duplicate-resource",
     "FHIR: a second resource of the same type and id, or a second Bundle entry with the same "
     "fullUrl"},
    {Rule::kInvalidJsonType, "invalid-json-type",
     "FHIR: an element populus reads has another JSON type than FHIR's (a number for a date, a "
     "string for a quantity's value)"},
    {Rule::kInvalidPeriod, "invalid-period",
     "FHIR: a period or an appointment ends before it starts"},
    {Rule::kUnreadBundleType, "unread-bundle-type",
     "FHIR: a resource in a Bundle of a type populus does not read (history, message, ...)"},
};
}  // namespace

std::string_view RuleName(Rule rule) {
  for (const auto& r : kRules) {
    if (r.rule == rule) return r.name;
  }
  return "unknown";
}

std::string_view RuleDescription(Rule rule) {
  for (const auto& r : kRules) {
    if (r.rule == rule) return r.description;
  }
  return "";
}

std::vector<Rule> AllRules() {
  std::vector<Rule> rules;
  for (const auto& r : kRules) rules.push_back(r.rule);
  return rules;
}

Status Quarantine::Open(const std::string& path) {
  POPULUS_RETURN_IF_ERROR(writer_.Open(path));
  return writer_.Append("file,line,column,rule,reason,record\n");
}

Status Quarantine::Add(std::string_view file, uint64_t line, std::string_view column, Rule rule,
                       std::string_view reason, std::string_view record) {
  ++total_;
  ++counts_[{std::string(file), rule}];
  const std::string safe_reason = MaskNhsNumberRuns(reason);
  if (examples_.size() < 10) {
    // A FHIR Bundle's position is its entry index (docs/fhir.md).
    examples_.push_back(fmt::format("{} {} {}{}{}: {}", file,
                                    file.ends_with(".json") ? "entry" : "line", line,
                                    column.empty() ? "" : ", ", column, safe_reason));
  }
  std::string row;
  AppendCsvField(&row, file);
  row += ',';
  row += std::to_string(line);
  row += ',';
  AppendCsvField(&row, column);
  row += ',';
  AppendCsvField(&row, RuleName(rule));
  row += ',';
  AppendCsvField(&row, safe_reason);
  row += ',';
  AppendCsvField(&row, record);
  row += '\n';
  return writer_.Append(row);
}

Status Quarantine::Close() {
  POPULUS_RETURN_IF_ERROR(writer_.Sync());
  return writer_.Close();
}

uint64_t Quarantine::count(std::string_view file) const {
  uint64_t n = 0;
  for (const auto& [key, c] : counts_) {
    if (key.first == file) n += c;
  }
  return n;
}

std::map<std::string, uint64_t> Quarantine::by_rule(std::string_view file) const {
  std::map<std::string, uint64_t> out;
  for (const auto& [key, c] : counts_) {
    if (key.first == file) out[std::string(RuleName(key.second))] += c;
  }
  return out;
}

std::string MaskIdentifier(std::string_view text) {
  return fmt::format("[masked: {} characters]", text.size());
}

std::string MaskedRecord(const std::vector<std::string_view>& fields, int identifier_index,
                         std::string_view identifier_replacement,
                         const std::vector<bool>& code_fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    if (static_cast<int>(i) == identifier_index) {
      AppendCsvField(&line, identifier_replacement);
    } else if (i < code_fields.size() && code_fields[i] && IsSnomedConceptId(fields[i])) {
      AppendCsvField(&line, fields[i]);
    } else {
      // Masked, and control or invalid bytes written as \xNN.
      AppendCsvField(&line, SanitisedRawRecord(fields[i]));
    }
  }
  return line;
}

std::string SanitisedRawRecord(std::string_view raw) {
  const std::string masked = MaskNhsNumberRuns(raw);
  // Escape bytes that would make the quarantine file invalid UTF-8.
  std::string out;
  out.reserve(masked.size());
  for (size_t i = 0; i < masked.size();) {
    const unsigned char c = static_cast<unsigned char>(masked[i]);
    size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    if (c >= 0x80 && i + len <= masked.size() &&
        IsValidUtf8(std::string_view(masked).substr(i, len))) {
      out.append(masked, i, len);
      i += len;
    } else if (c >= 0x80 || (c < 0x20 && c != '\t')) {
      out += fmt::format("\\x{:02X}", c);
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
      ++i;
    }
  }
  return out;
}

}  // namespace populus
