// Small CSV data files of the synthetic ICS (codelists, prevalence and rate
// tables), read whole with their header checked.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace populus::synth {

// The fields of one CSV line (RFC 4180 quoting; a CR is dropped).
std::vector<std::string> SplitCsvLine(const std::string& line);

struct DataRow {
  int line;  // 1 is the header
  std::vector<std::string> fields;
};

// Reads a CSV file whose header must be `header` exactly; every non-blank row
// must have that many fields. Errors name the file and line.
Status ReadDataFile(const std::string& path, const std::vector<std::string>& header,
                    std::vector<DataRow>* rows);

// A number from a field, or an error naming file, line and column.
Status ParseNumber(const std::string& path, const DataRow& row, size_t column,
                   const std::vector<std::string>& header, double* out);

}  // namespace populus::synth
