#include "synth/csv_lines.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

namespace populus::synth {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field.push_back(c);
    }
  }
  out.push_back(field);
  return out;
}

Status ReadDataFile(const std::string& path, const std::vector<std::string>& header,
                    std::vector<DataRow>* rows) {
  rows->clear();
  std::ifstream in(path);
  if (!in) return Status::Data(fmt::format("cannot read '{}'", path));
  std::string line;
  std::getline(in, line);
  if (SplitCsvLine(line) != header) {
    return Status::Data(
        fmt::format("{} line 1: the header must be {}", path, fmt::join(header, ",")));
  }
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty() || line == "\r") continue;
    DataRow row{n, SplitCsvLine(line)};
    if (row.fields.size() != header.size()) {
      return Status::Data(fmt::format("{} line {}: {} fields, expected {}", path, n,
                                      row.fields.size(), header.size()));
    }
    rows->push_back(std::move(row));
  }
  return Status::Ok();
}

Status ParseNumber(const std::string& path, const DataRow& row, size_t column,
                   const std::vector<std::string>& header, double* out) {
  const std::string& text = row.fields[column];
  size_t used = 0;
  try {
    *out = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(*out)) {
    return Status::Data(fmt::format("{} line {} column {}: '{}' is not a number", path, row.line,
                                    header[column], text));
  }
  return Status::Ok();
}

}  // namespace populus::synth
