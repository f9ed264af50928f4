#include "extract/data_table.h"

#include <fmt/format.h>

#include <cmath>

#include "common/number.h"
#include "extract/csv_reader.h"

namespace populus {
namespace {

bool SameName(const std::string& a, const char* b) {
  const std::string_view bv(b);
  if (a.size() != bv.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(bv[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

int Table::Column(std::initializer_list<const char*> names) const {
  for (const char* name : names) {
    for (size_t c = 0; c < header.size(); ++c) {
      if (SameName(header[c], name)) return static_cast<int>(c);
    }
  }
  return -1;
}

Status Table::RequireColumn(std::initializer_list<const char*> names, int* column) const {
  *column = Column(names);
  if (*column >= 0) return Status::Ok();
  std::string list;
  for (const char* n : names) list += (list.empty() ? "" : " or ") + std::string(n);
  return Status::Data(
      fmt::format("{} line 1: no column {} (found: {})", path, list, fmt::join(header, ", ")));
}

Status Table::Number(size_t row, int column, bool empty_ok, double* out) const {
  const std::string& text = rows[row][static_cast<size_t>(column)];
  if (text.empty() || text == "NA") {
    if (empty_ok) {
      *out = std::nan("");
      return Status::Ok();
    }
    return Status::Data(fmt::format("{} line {} column {}: a number is needed", path, lines[row],
                                    header[static_cast<size_t>(column)]));
  }
  // Decimal digits only, as the extract format writes numbers: no spaces, no
  // hexadecimal, no leading '+'.
  if (!ParseDecimal(text, out)) {
    return Status::Data(fmt::format("{} line {} column {}: '{}' is not a number", path, lines[row],
                                    header[static_cast<size_t>(column)], text));
  }
  return Status::Ok();
}

namespace {

// The header against the declared columns: none unknown, none missing.
Status CheckDeclared(const std::string& path, const DeclaredColumns& columns, const Table& table) {
  std::vector<std::string> expected;
  for (const char* name : columns.required) expected.emplace_back(name);
  for (const char* name : columns.optional) expected.push_back(std::string(name) + " (optional)");
  for (const std::string& name : table.header) {
    bool known = false;
    for (const char* n : columns.required) known = known || SameName(name, n);
    for (const char* n : columns.optional) known = known || SameName(name, n);
    if (!known) {
      return Status::Data(fmt::format(
          "{} line 1: '{}' is not a column of this file, so populus would ignore it (the file's "
          "columns: {})",
          path, name, fmt::join(expected, ", ")));
    }
  }
  for (const char* name : columns.required) {
    if (table.Column({name}) < 0) {
      return Status::Data(
          fmt::format("{} line 1: the column '{}' is missing (the file's columns: {})", path, name,
                      fmt::join(expected, ", ")));
    }
  }
  return Status::Ok();
}

// `declared`: a file of populus's own, its header checked against them
// before any row, and a row with fewer fields than the header an error;
// else (an analyst's table) a short row is padded with empty fields.
Status Read(const std::string& path, const DeclaredColumns* declared, Table* table) {
  *table = Table();
  table->path = path;
  CsvReader reader;
  POPULUS_RETURN_IF_ERROR(reader.Open(path));
  CsvRecord rec;
  bool header = true;
  while (reader.Next(&rec)) {
    if (rec.problem != CsvProblem::kNone) {
      return Status::Data(
          fmt::format("{} line {}: {}", path, rec.line, CsvProblemText(rec.problem)));
    }
    std::vector<std::string> fields(rec.fields.begin(), rec.fields.end());
    // A UTF-8 byte order mark (spreadsheets write one) is not part of the name.
    if (header && !fields.empty() && fields[0].starts_with("\xEF\xBB\xBF")) {
      fields[0].erase(0, 3);
    }
    // Rows of nothing but empty fields (a spreadsheet's padding) are skipped.
    bool blank = true;
    for (const auto& f : fields) blank = blank && f.empty();
    if (blank && !header) continue;
    if (header) {
      for (auto& name : fields) {
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
          name.pop_back();
      }
      table->header = std::move(fields);
      header = false;
      for (size_t c = 0; c < table->header.size(); ++c) {
        for (size_t d = 0; d < c; ++d) {
          if (SameName(table->header[d], table->header[c].c_str())) {
            return Status::Data(
                fmt::format("{} line 1: column '{}' appears twice (columns {} and {})", path,
                            table->header[c], d + 1, c + 1));
          }
        }
      }
      if (declared != nullptr) POPULUS_RETURN_IF_ERROR(CheckDeclared(path, *declared, *table));
      continue;
    }
    if (fields.size() < table->header.size()) {
      if (declared != nullptr) {
        return Status::Data(fmt::format("{} line {}: {} fields, the header has {}", path, rec.line,
                                        fields.size(), table->header.size()));
      }
      fields.resize(table->header.size());
    }
    if (fields.size() > table->header.size()) {
      for (size_t i = table->header.size(); i < fields.size(); ++i) {
        if (!fields[i].empty()) {
          return Status::Data(fmt::format("{} line {}: {} fields, the header has {}", path,
                                          rec.line, fields.size(), table->header.size()));
        }
      }
      fields.resize(table->header.size());
    }
    table->rows.push_back(std::move(fields));
    table->lines.push_back(rec.line);
  }
  POPULUS_RETURN_IF_ERROR(reader.status());
  if (header)
    return Status::Data(fmt::format("{}: the file is empty; it needs a header row", path));
  return Status::Ok();
}

}  // namespace

Status ReadTable(const std::string& path, Table* table) { return Read(path, nullptr, table); }

Status ReadTable(const std::string& path, const DeclaredColumns& columns, Table* table) {
  return Read(path, &columns, table);
}

const DeclaredColumns kCensusEthnicityColumns = {{"code", "group_16", "group_6"},
                                                 {"term", "dorset_share"}};

Status ReadWholeNumberMap(const std::string& path, const DeclaredColumns& columns, const char* key,
                          const char* value, int lo, int hi,
                          std::unordered_map<std::string, int>* out) {
  out->clear();
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(path, columns, &t));
  int k = 0, v = 0;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({key}, &k));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({value}, &v));
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double x = 0;
    POPULUS_RETURN_IF_ERROR(t.Number(r, v, false, &x));
    if (x < lo || x > hi || x != std::floor(x)) {
      return Status::Data(fmt::format("{} line {}: {} must be a whole number from {} to {}, not {}",
                                      path, t.lines[r], value, lo, hi,
                                      t.rows[r][static_cast<size_t>(v)]));
    }
    (*out)[t.rows[r][static_cast<size_t>(k)]] = static_cast<int>(x);
  }
  return Status::Ok();
}

}  // namespace populus
