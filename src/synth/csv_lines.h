// Small CSV data files of the synthetic ICS (codelists, prevalence and rate
// tables), read whole by the one small-table reader (extract/data_table.h)
// with their columns checked, as rows of fields in the declared order.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace populus::synth {

struct DataRow {
  int line;  // 1 is the header
  std::vector<std::string> fields;
};

// Reads a CSV file whose columns must be `header` (in any order; a missing,
// unknown or repeated column is an error naming the file); each row's fields
// come back in `header`'s order. Errors name the file and line.
Status ReadDataFile(const std::string& path, const std::vector<std::string>& header,
                    std::vector<DataRow>* rows);

// A number from a field, or an error naming file, line and column.
Status ParseNumber(const std::string& path, const DataRow& row, size_t column,
                   const std::vector<std::string>& header, double* out);

}  // namespace populus::synth
