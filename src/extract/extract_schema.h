// The populus extract format, version 1: which files, which columns.
//
// An extract is a directory of CSV files, one per table. Columns are found by
// their header names, in any order; a required column must be present, an
// optional one may be left out, and a header populus does not know is an error
// (a misspelt column must not silently lose data). docs/extract-format.md is
// the human-readable form of this file.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "extract/csv_reader.h"

namespace populus {

enum class ExtractTable {
  kOrganisations,
  kPatients,
  kEvents,
  kMedications,
  kAppointments,
  kHospitalActivity,
};

struct ExtractColumn {
  std::string_view name;
  bool required;
};

struct ExtractTableSpec {
  ExtractTable table;
  std::string_view file;      // e.g. "events.csv"
  std::string_view snapshot;  // the snapshot table it becomes, e.g. "events"
  bool required_file;
  std::vector<ExtractColumn> columns;
};

// All tables in load order (organisations, then patients, then the rest).
const std::vector<ExtractTableSpec>& ExtractTables();
const ExtractTableSpec& SpecFor(ExtractTable table);

// An organisation code as the extract format allows it: 1 to 32 letters,
// digits, '-' or '_' (ODS codes such as "J81004", "U12345", "QVV").
bool IsOrganisationCode(std::string_view code);

// The positions of a file's columns, found from its header row.
class HeaderBinding {
 public:
  // A data error naming the file if a header is unknown or repeated, or a
  // required column is missing.
  Status Bind(const ExtractTableSpec& spec, const CsvRecord& header, const std::string& path);
  // The field index of a column, or -1 when the file does not have it.
  int index(std::string_view column) const;
  size_t width() const { return width_; }
  const std::vector<std::string>& names() const { return names_; }

 private:
  const ExtractTableSpec* spec_ = nullptr;
  std::vector<int> positions_;  // per spec column
  std::vector<std::string> names_;
  size_t width_ = 0;
};

}  // namespace populus
