#include "synth/csv_lines.h"

#include <fmt/format.h>

#include "common/number.h"
#include "extract/data_table.h"

namespace populus::synth {

Status ReadDataFile(const std::string& path, const std::vector<std::string>& header,
                    std::vector<DataRow>* rows) {
  rows->clear();
  DeclaredColumns columns;
  for (const std::string& name : header) columns.required.push_back(name.c_str());
  Table table;
  POPULUS_RETURN_IF_ERROR(ReadTable(path, columns, &table));
  // The fields in the declared order, whatever the file's.
  std::vector<size_t> column_of;
  for (const std::string& name : header) {
    column_of.push_back(static_cast<size_t>(table.Column({name.c_str()})));
  }
  for (size_t r = 0; r < table.rows.size(); ++r) {
    DataRow row{static_cast<int>(table.lines[r]), {}};
    for (size_t c : column_of) row.fields.push_back(std::move(table.rows[r][c]));
    rows->push_back(std::move(row));
  }
  return Status::Ok();
}

Status ParseNumber(const std::string& path, const DataRow& row, size_t column,
                   const std::vector<std::string>& header, double* out) {
  const std::string& text = row.fields[column];
  if (!ParseDecimal(text, out)) {
    return Status::Data(fmt::format("{} line {} column {}: '{}' is not a number", path, row.line,
                                    header[column], text));
  }
  return Status::Ok();
}

}  // namespace populus::synth
