// The tables the analysis writes: CSV lines, numbers to a stated precision,
// and each table as JSON. Reading a table is extract/data_table.h.
#pragma once

#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "extract/data_table.h"

namespace populus::analysis {

// One CSV line (RFC 4180 quoting, newline at the end).
std::string CsvLine(const std::vector<std::string>& fields);

// A number with a fixed number of decimals; NaN is empty.
std::string FormatFixed(double v, int decimals = 3);

// A number as the output writes it: to `significant` digits, with no
// trailing zeros (83.559999999999988 is written 83.56), NaN empty.
std::string FormatValue(double v, int significant = 10);

// A table as JSON: {"columns": [...], "rows": [{column: value, ...}, ...]}.
// A column whose every non-empty cell is a number (and whose name does not
// end in "code" and is not "pseudonym") holds numbers; empty cells are null.
std::string TableJson(const Table& table);

}  // namespace populus::analysis
