#include "analysis/table.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/csv_field.h"
#include "common/file_io.h"
#include "common/number.h"

namespace populus::analysis {
std::string FormatFixed(double v, int decimals) {
  return std::isnan(v) ? std::string() : fmt::format("{:.{}f}", v, decimals);
}

std::string TableJson(const Table& table) {
  const size_t columns = table.header.size();
  std::vector<bool> numeric(columns, true);
  for (size_t c = 0; c < columns; ++c) {
    const std::string& name = table.header[c];
    if (name == "pseudonym" || name.ends_with("code")) numeric[c] = false;
    for (const auto& row : table.rows) {
      if (!numeric[c]) break;
      if (c >= row.size() || row[c].empty()) continue;
      double v = 0;
      numeric[c] = ParseDecimal(row[c], &v);
    }
  }
  nlohmann::ordered_json out;
  out["columns"] = table.header;
  out["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (size_t c = 0; c < columns; ++c) {
      const std::string cell = c < row.size() ? row[c] : std::string();
      if (cell.empty()) {
        o[table.header[c]] = nullptr;
      } else if (numeric[c]) {
        int64_t whole = 0;
        const char* end = cell.data() + cell.size();
        const auto [ptr, ec] = std::from_chars(cell.data(), end, whole);
        if (ec == std::errc() && ptr == end) {
          o[table.header[c]] = whole;
        } else {
          double v = 0;
          ParseDecimal(cell, &v);
          o[table.header[c]] = v;
        }
      } else {
        o[table.header[c]] = cell;
      }
    }
    out["rows"].push_back(std::move(o));
  }
  return out.dump() + "\n";
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(&line, fields[i]);
  }
  line.push_back('\n');
  return line;
}

std::string FormatValue(double v, int significant) {
  if (std::isnan(v)) return "";
  return fmt::format("{:.{}g}", v, significant);
}

}  // namespace populus::analysis
