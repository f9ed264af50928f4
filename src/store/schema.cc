#include "store/schema.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace populus {
namespace {

template <typename Field>
struct FieldTraits;
template <>
struct FieldTraits<StringColumn> {
  static constexpr ColumnKind kKind = ColumnKind::kStrings;
  static constexpr ColumnType kType = ColumnType::kStrings;
};
template <>
struct FieldTraits<BitmapColumn> {
  static constexpr ColumnKind kKind = ColumnKind::kBitmap;
  static constexpr ColumnType kType = ColumnType::kBitmap;
};
template <>
struct FieldTraits<CodeColumn> {
  static constexpr ColumnKind kKind = ColumnKind::kCodes;
  static constexpr ColumnType kType = ColumnType::kUInt32;  // or kUInt16
};
template <typename T>
struct FieldTraits<Values<T>> {
  static constexpr ColumnKind kKind = ColumnKind::kFixed;
  static constexpr ColumnType kType = ColumnTypeOf<T>();
};

#define POPULUS_SPEC(T, N, L, M) \
  ColumnSpec{#N, FieldTraits<T>::kKind, FieldTraits<T>::kType, ColumnLength::L, M},
#define POPULUS_TABLE_COLUMNS(View, N, COLUMNS) \
  constexpr ColumnSpec k_##N[] = {COLUMNS(POPULUS_SPEC)};
POPULUS_SNAPSHOT_TABLES(POPULUS_TABLE_COLUMNS)
#define POPULUS_TABLE_SPEC(View, N, COLUMNS) TableSpec{#N, k_##N},
constexpr TableSpec kTables[] = {POPULUS_SNAPSHOT_TABLES(POPULUS_TABLE_SPEC)};
#undef POPULUS_TABLE_SPEC
#undef POPULUS_TABLE_COLUMNS
#undef POPULUS_SPEC

// The NAME.dict column of every coded column NAME.
constexpr ColumnSpec kDictionary{"", ColumnKind::kStrings, ColumnType::kStrings,
                                 ColumnLength::kSomeRows, "the sorted distinct values"};

}  // namespace

std::span<const TableSpec> SnapshotTables() { return kTables; }

const TableSpec* FindTable(std::string_view name) {
  for (const TableSpec& t : kTables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const ColumnSpec* FindColumn(const TableSpec& table, std::string_view name) {
  static constexpr std::string_view kDict = ".dict";
  for (const ColumnSpec& c : table.columns) {
    if (c.name == name) return &c;
    if (c.kind == ColumnKind::kCodes && name.size() == c.name.size() + kDict.size() &&
        name.starts_with(c.name) && name.ends_with(kDict)) {
      return &kDictionary;
    }
  }
  return nullptr;
}

bool HoldsDeclaredType(const ColumnSpec& column, ColumnType type) {
  return column.kind == ColumnKind::kCodes
             ? type == ColumnType::kUInt16 || type == ColumnType::kUInt32
             : type == column.type;
}

Status CheckTablesAgainstSchema(const nlohmann::json& tables, const std::string& manifest_path) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption(
        fmt::format("'{}' does not describe a populus snapshot: {}", manifest_path, what));
  };
  if (!tables.is_object()) return corrupt("it has no \"tables\" object");
  auto rows_of = [](const nlohmann::json& j, uint64_t* rows) {
    const auto it = j.find("rows");
    if (it == j.end() || !it->is_number_unsigned()) return false;
    *rows = it->get<uint64_t>();
    return true;
  };
  uint64_t patients = 0;
  if (const auto it = tables.find("patients"); it == tables.end() || !rows_of(*it, &patients)) {
    return corrupt("the table patients or its row count is missing");
  }
  for (const auto& [name, table] : tables.items()) {
    if (FindTable(name) == nullptr)
      return corrupt(fmt::format("it has a table '{}' that populus does not declare", name));
  }
  for (const TableSpec& spec : kTables) {
    const std::string table_name(spec.name);
    const auto t = tables.find(table_name);
    uint64_t rows = 0;
    if (t == tables.end() || !t->is_object() || !rows_of(*t, &rows)) {
      return corrupt(fmt::format("the table {} or its row count is missing", table_name));
    }
    const auto columns = t->find("columns");
    if (columns == t->end() || !columns->is_object()) {
      return corrupt(fmt::format("the table {} has no columns", table_name));
    }
    for (const auto& [name, column] : columns->items()) {
      if (FindColumn(spec, name) == nullptr) {
        return corrupt(fmt::format("the table {} has a column '{}' that populus does not declare",
                                   table_name, name));
      }
    }
    // A column's type id and element count, or false when it is missing.
    auto read = [&](const std::string& name, ColumnType* type, uint64_t* count) {
      const auto c = columns->find(name);
      if (c == columns->end() || !c->is_object()) return false;
      const auto id = c->find("type_id");
      if (id == c->end() || !id->is_number_unsigned() || !rows_of(*c, count)) return false;
      *type = static_cast<ColumnType>(id->get<uint32_t>());
      return true;
    };
    for (const ColumnSpec& column : spec.columns) {
      const std::string name(column.name);
      const std::string where = fmt::format("{}.{}", table_name, name);
      ColumnType type{};
      uint64_t count = 0;
      if (!read(name, &type, &count))
        return corrupt(fmt::format("the column {} is missing", where));
      if (!HoldsDeclaredType(column, type)) {
        return corrupt(fmt::format(
            "the column {} is {}, not {}", where, ColumnTypeName(type),
            column.kind == ColumnKind::kCodes ? "uint16 or uint32" : ColumnTypeName(column.type)));
      }
      uint64_t expected = rows;
      switch (column.length) {
        case ColumnLength::kRows:
          break;
        case ColumnLength::kPatientsPlusOne:
          expected = patients + 1;
          break;
        case ColumnLength::kWordsOfRows:
          expected = (rows + 63) / 64;
          break;
        case ColumnLength::kSomeRows:
          expected = std::min(count, rows);
          break;
      }
      if (count != expected) {
        return corrupt(
            fmt::format("the column {} has {} element(s) where the table's {} row(s) "
                        "call for {}",
                        where, count, rows, expected));
      }
      if (column.kind == ColumnKind::kCodes) {
        ColumnType dict_type{};
        uint64_t entries = 0;
        if (!read(name + ".dict", &dict_type, &entries)) {
          return corrupt(fmt::format("the dictionary {}.dict is missing", where));
        }
        if (dict_type != ColumnType::kStrings) {
          return corrupt(fmt::format("the dictionary {}.dict is {}, not strings", where,
                                     ColumnTypeName(dict_type)));
        }
        if (type == ColumnType::kUInt16 && entries > 65536) {
          return corrupt(fmt::format("the column {} has uint16 ids for {} dictionary entries",
                                     where, entries));
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace populus
