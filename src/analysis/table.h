// Small tables an analyst hands to `populus stats` and `populus qrisk3`: a
// CSV file read whole (the streaming extract reader underneath), columns
// found by name whatever their letter case, numbers parsed with errors that
// name the file, line and column; and the CSV they get back.
#pragma once

#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace populus::analysis {

struct Table {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;  // the file line each row starts on

  // The first column with one of the names (letter case ignored), or -1.
  int Column(std::initializer_list<const char*> names) const;
  // A required column, or an error naming the file and the names accepted.
  Status RequireColumn(std::initializer_list<const char*> names, int* column) const;
  // The number in a cell; an empty cell is NaN when `empty_ok`, else an error.
  Status Number(size_t row, int column, bool empty_ok, double* out) const;
};

// Reads a table whose columns are the analyst's own (stats and qrisk3
// inputs keep their other columns): only a column named twice (letter case
// ignored) is an error.
Status ReadTable(const std::string& path, Table* table);

// The columns a data file of populus's own (a rule file, a codelist, a
// mapping) may have: every required one must be there, an optional one may
// be, and any other column is an error naming the file, so a misspelt column
// ("qualifer") is never silently ignored.
struct DeclaredColumns {
  std::vector<const char*> required;
  std::vector<const char*> optional = {};
};
Status ReadTable(const std::string& path, const DeclaredColumns& columns, Table* table);

// One CSV line (RFC 4180 quoting, newline at the end).
std::string CsvLine(const std::vector<std::string>& fields);

// A number with a fixed number of decimals; NaN is empty.
std::string FormatFixed(double v, int decimals = 3);

// A number as the output writes it: to `significant` digits, with no
// trailing zeros (83.559999999999988 is written 83.56), NaN empty.
std::string FormatValue(double v, int significant = 10);

// A mapping read from a CSV file with the declared columns: each row's `key`
// cell to the whole number in its `value` column, which must be from `lo` to
// `hi`; errors name the file and line.
Status ReadWholeNumberMap(const std::string& path, const DeclaredColumns& columns, const char* key,
                          const char* value, int lo, int hi,
                          std::unordered_map<std::string, int>* out);

// The columns of data/codelists/ethnicity-2011-census.csv: a SNOMED CT
// ethnicity code with its 16 and 6 census groups.
extern const DeclaredColumns kCensusEthnicityColumns;

// A table as JSON: {"columns": [...], "rows": [{column: value, ...}, ...]}.
// A column whose every non-empty cell is a number (and whose name does not
// end in "code" and is not "pseudonym") holds numbers; empty cells are null.
std::string TableJson(const Table& table);

}  // namespace populus::analysis
