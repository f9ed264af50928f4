// The quarantine: where rows that fail validation go, with why.
//
// Every rejected row is written to quarantine.csv (file, line, column, rule,
// reason, record) and counted per file and rule, so nothing is lost and the
// analyst can fix the source and reload. Records never carry an NHS number:
// callers pass the record with the identifier already replaced by its
// pseudonym or masked (see MaskedRecord / SanitisedRawRecord), and Add() masks
// anything shaped like an NHS number in the reason as well.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_io.h"
#include "common/status.h"

namespace populus {

// Validation rules. Each has a stable name used in reports and docs.
enum class Rule {
  kColumnCount,
  kCsvQuoting,
  kInvalidUtf8,
  kMissingValue,
  kInvalidDate,
  kFutureDate,
  kNhsNumber,
  kIdentifierIsNhsNumber,
  kInvalidIdentifier,
  kDuplicatePatient,
  kDuplicateOrganisation,
  kUnknownSex,
  kUnknownPractice,
  kUnknownParent,
  kInvalidOrganisationType,
  kInvalidHierarchy,
  kUnknownPatient,
  kBeforeBirth,
  kAfterDeath,
  kRegistrationDates,
  kInvalidCode,
  kInvalidNumber,
  kOutOfRange,
  kInvalidValue,
  kIdentifierInText,
  kControlCharacter,
  // FHIR sources (fhir/fhir_ingest.h).
  kMalformedResource,
  kUnknownResourceType,
  kDanglingReference,
  kMissingElement,
  kDuplicateResource,
  kInvalidJsonType,
  kInvalidPeriod,
  kUnreadBundleType,
};

std::string_view RuleName(Rule rule);
// One line describing the rule, for docs and --help.
std::string_view RuleDescription(Rule rule);
std::vector<Rule> AllRules();

class Quarantine {
 public:
  Status Open(const std::string& path);
  Status Add(std::string_view file, uint64_t line, std::string_view column, Rule rule,
             std::string_view reason, std::string_view record);
  Status Close();

  uint64_t total() const { return total_; }
  uint64_t count(std::string_view file) const;
  // Counts per rule name for one file.
  std::map<std::string, uint64_t> by_rule(std::string_view file) const;
  // The first few reasons, for printing.
  const std::vector<std::string>& examples() const { return examples_; }

 private:
  FileWriter writer_;
  uint64_t total_ = 0;
  std::map<std::pair<std::string, Rule>, uint64_t> counts_;
  std::vector<std::string> examples_;
};

// A record's fields as CSV for the quarantine: field `identifier_index` (if
// >= 0) is replaced by `identifier_replacement`; fields marked in `code_fields`
// that are valid SNOMED CT concept ids are kept; every other field is
// written as SanitisedRawRecord() writes a raw record: runs shaped like an
// NHS number masked (one can turn up in any column of a misaligned row),
// control characters and invalid UTF-8 as \xNN.
std::string MaskedRecord(const std::vector<std::string_view>& fields, int identifier_index,
                         std::string_view identifier_replacement,
                         const std::vector<bool>& code_fields = {});

// A raw record that could not be split into fields: every run shaped like an
// NHS number is masked, and bytes that are not valid UTF-8 or are control
// characters are written as \xNN.
std::string SanitisedRawRecord(std::string_view raw);

// An identifier that failed validation, masked: keeps only its length.
std::string MaskIdentifier(std::string_view text);

}  // namespace populus
