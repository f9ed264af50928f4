// Small tables read whole: rule files, codelists, reference tables,
// configurations' data files and the tables an analyst hands to `populus
// stats` and `populus qrisk3`. The streaming extract reader is underneath
// (RFC 4180 quoting, bounded quoted fields, a byte order mark accepted);
// columns are found by name whatever their letter case, and numbers parsed
// by the one number parser (common/number.h) with errors that name the file,
// line and column. The one small-table reader of populus.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace populus {

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
// ignored) is an error, and a short row (a spreadsheet's) gets empty fields.
Status ReadTable(const std::string& path, Table* table);

// The columns a data file of populus's own (a rule file, a codelist, a
// mapping) may have: every required one must be there, an optional one may
// be, and any other column is an error naming the file, so a misspelt column
// ("qualifer") is never silently ignored. Every row must have every column:
// a short row is an error naming its line, never padded.
struct DeclaredColumns {
  std::vector<const char*> required;
  std::vector<const char*> optional = {};
};
Status ReadTable(const std::string& path, const DeclaredColumns& columns, Table* table);

// A mapping read from a CSV file with the declared columns: each row's `key`
// cell to the whole number in its `value` column, which must be from `lo` to
// `hi`; errors name the file and line.
Status ReadWholeNumberMap(const std::string& path, const DeclaredColumns& columns, const char* key,
                          const char* value, int lo, int hi,
                          std::unordered_map<std::string, int>* out);

// The columns of data/codelists/ethnicity-2011-census.csv: a SNOMED CT
// ethnicity code with its 16 and 6 census groups.
extern const DeclaredColumns kCensusEthnicityColumns;

}  // namespace populus
