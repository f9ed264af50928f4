#include "store/snapshot.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "common/file_io.h"
#include "common/parallel.h"

namespace populus {

// Points a typed view's fields at the column files of its table (the
// friend of the column types in store/schema.h).
struct SchemaBinder {
  using Files = std::map<std::string, ColumnFile>;
  static void Bind(const Files& files, const char* name, StringColumn* c) {
    c->file_ = &files.at(name);
  }
  static void Bind(const Files& files, const char* name, BitmapColumn* c) {
    c->file_ = &files.at(name);
  }
  static void Bind(const Files& files, const char* name, CodeColumn* c) {
    c->ids_ = &files.at(name);
    c->dict_ = &files.at(std::string(name) + ".dict");
    c->wide_ = c->ids_->type() == ColumnType::kUInt32;
  }
  template <typename T>
  static void Bind(const Files& files, const char* name, Values<T>* c) {
    *c = files.at(name).values<T>();
  }
};

namespace {

#define POPULUS_BIND(T, N, L, M) SchemaBinder::Bind(files, #N, &view->N);
#define POPULUS_BIND_TABLE(View, N, COLUMNS)                                   \
  void BindView(const SchemaBinder::Files& files, uint64_t rows, View* view) { \
    view->rows = rows;                                                         \
    COLUMNS(POPULUS_BIND)                                                      \
  }
POPULUS_SNAPSHOT_TABLES(POPULUS_BIND_TABLE)
#undef POPULUS_BIND_TABLE
#undef POPULUS_BIND

}  // namespace

DataDirLayout::DataDirLayout(std::string r) : root(std::move(r)) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
}

uint32_t ParseVersionName(const std::string& name) {
  if (name.size() != 7 || name[0] != 'v') return 0;
  uint32_t n = 0;
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    n = n * 10 + static_cast<uint32_t>(name[i] - '0');
  }
  return n;
}

std::string VersionName(uint32_t number) { return fmt::format("v{:06d}", number); }

Status ReadCurrentPointer(const DataDirLayout& layout, std::string* version,
                          std::string* manifest_checksum) {
  std::string text;
  if (!std::filesystem::exists(layout.current_file())) {
    return Status::Data(fmt::format(
        "'{}' holds no published snapshot (no CURRENT file); run 'populus ingest' first",
        layout.root));
  }
  POPULUS_RETURN_IF_ERROR(ReadSmallFile(layout.current_file(), &text));
  const size_t space = text.find(' ');
  const size_t newline = text.find('\n');
  if (space == std::string::npos || newline == std::string::npos || newline < space) {
    return Status::Corruption(
        fmt::format("'{}' is corrupt: expected 'VERSION CHECKSUM'", layout.current_file()));
  }
  *version = text.substr(0, space);
  *manifest_checksum = text.substr(space + 1, newline - space - 1);
  if (ParseVersionName(*version) == 0) {
    return Status::Corruption(fmt::format("'{}' is corrupt: '{}' is not a version name",
                                          layout.current_file(), *version));
  }
  return Status::Ok();
}

Status Snapshot::Open(const std::string& data_dir, std::unique_ptr<Snapshot>* out) {
  DataDirLayout layout(data_dir);
  std::string version, checksum;
  POPULUS_RETURN_IF_ERROR(ReadCurrentPointer(layout, &version, &checksum));
  auto snap = std::unique_ptr<Snapshot>(new Snapshot());
  POPULUS_RETURN_IF_ERROR(snap->Load(data_dir, version, &checksum));
  *out = std::move(snap);
  return Status::Ok();
}

Status Snapshot::OpenVersion(const std::string& data_dir, const std::string& version,
                             std::unique_ptr<Snapshot>* out) {
  if (ParseVersionName(version) == 0) {
    return Status::Usage(
        fmt::format("'{}' is not a snapshot version name such as v000001", version));
  }
  DataDirLayout layout(data_dir);
  const std::string checksum_path = layout.version_dir(version) + "/manifest.checksum";
  std::string checksum;
  Status st = ReadSmallFile(checksum_path, &checksum);
  if (!st.ok()) {
    return Status::Data(
        fmt::format("'{}' has no complete snapshot {}: {}", data_dir, version, st.message()));
  }
  while (!checksum.empty() && (checksum.back() == '\n' || checksum.back() == ' '))
    checksum.pop_back();
  auto snap = std::unique_ptr<Snapshot>(new Snapshot());
  POPULUS_RETURN_IF_ERROR(snap->Load(data_dir, version, &checksum));
  *out = std::move(snap);
  return Status::Ok();
}

Status Snapshot::Load(const std::string& data_dir, const std::string& version,
                      const std::string* expected_manifest_checksum) {
  DataDirLayout layout(data_dir);
  version_ = version;
  directory_ = layout.version_dir(version);
  const std::string manifest_path = directory_ + "/manifest.json";
  std::string text;
  Status st = ReadSmallFile(manifest_path, &text);
  if (!st.ok())
    return Status::Corruption("snapshot " + version + " is incomplete: " + st.message());
  if (expected_manifest_checksum != nullptr) {
    const std::string actual = fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
    if (actual != *expected_manifest_checksum) {
      return Status::Corruption(
          fmt::format("'{}' is corrupt: its checksum {} does not match the {} recorded for it",
                      manifest_path, actual, *expected_manifest_checksum));
    }
  }
  manifest_ = nlohmann::json::parse(text, nullptr, false);
  if (manifest_.is_discarded() || !manifest_.is_object() ||
      manifest_.value("format", "") != kSnapshotFormat) {
    return Status::Corruption(
        fmt::format("'{}' is not a populus snapshot manifest", manifest_path));
  }
  if (manifest_.value("format_version", 0) != kSnapshotFormatVersion) {
    return Status::Corruption(
        fmt::format("'{}' has snapshot format version {}; this populus reads {}", manifest_path,
                    manifest_.value("format_version", 0), kSnapshotFormatVersion));
  }
  POPULUS_RETURN_IF_ERROR(CheckTablesAgainstSchema(manifest_["tables"], manifest_path));
  // Every column file is mapped and its checksum verified, on all cores
  // (threads take the next file in turn); the first failure in manifest
  // order is the one reported.
  struct Column {
    ColumnFile* file;
    std::string path;
    ColumnType type;
    uint64_t rows;
    std::string checksum;
    Status status;
  };
  std::vector<Column> columns;
  try {
    for (const auto& [table, tinfo] : manifest_.at("tables").items()) {
      for (const auto& [name, cinfo] : tinfo.at("columns").items()) {
        columns.push_back({&tables_[table][name],
                           directory_ + "/" + table + "/" + cinfo.at("file").get<std::string>(),
                           static_cast<ColumnType>(cinfo.at("type_id").get<uint32_t>()),
                           cinfo.at("rows").get<uint64_t>(),
                           cinfo.at("checksum").get<std::string>(), Status::Ok()});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(fmt::format("'{}' is malformed: {}", manifest_path, e.what()));
  }
  std::atomic<size_t> next{0};
  ForEachRange(WorkerThreads(), WorkerThreads(), [&](size_t, size_t, size_t) {
    for (size_t i = next++; i < columns.size(); i = next++) {
      Column& c = columns[i];
      c.status = c.file->Open(c.path, c.type);
      if (c.status.ok() &&
          (c.file->rows() != c.rows || fmt::format("{:016x}", c.file->checksum()) != c.checksum)) {
        c.status = Status::Corruption(
            fmt::format("column file '{}' does not match the manifest (rows or checksum)", c.path));
      }
    }
  });
  for (const Column& c : columns) POPULUS_RETURN_IF_ERROR(c.status);
#define POPULUS_BIND_VIEW(View, N, COLUMNS) BindView(tables_.at(#N), rows(#N), &N##_);
  POPULUS_SNAPSHOT_TABLES(POPULUS_BIND_VIEW)
#undef POPULUS_BIND_VIEW
  // Each patient's rows: offsets from 0 to the table's rows, never decreasing.
  for (const auto& [name, offsets, rows] :
       {std::tuple{"events", events_.patient_offsets, events_.rows},
        std::tuple{"medications", medications_.patient_offsets, medications_.rows},
        std::tuple{"hospital_activity", hospital_activity_.patient_offsets,
                   hospital_activity_.rows}}) {
    const bool ordered = std::is_sorted(offsets.begin(), offsets.end());
    if (offsets.front() != 0 || offsets.back() != rows || !ordered) {
      return Status::Corruption(fmt::format(
          "snapshot {} is corrupt: {}.patient_offsets do not run from 0 to its {} rows in order",
          directory_, name, rows));
    }
  }
  // The events' values: one per set bit of value_present, as value_rank counts them.
  const EventsTable& e = events_;
  const uint64_t words = (e.rows + 63) / 64;
  const uint64_t valued =
      words == 0 ? 0
                 : e.value_rank[words - 1] +
                       static_cast<uint64_t>(std::popcount(e.value_present.words()[words - 1]));
  if (e.value.size() != valued || e.unit.size() != valued) {
    return Status::Corruption(fmt::format(
        "snapshot {} is corrupt: events.value_present and value_rank count {} values, but "
        "events.value has {} and events.unit {}",
        directory_, valued, e.value.size(), e.unit.size()));
  }
  return Status::Ok();
}

uint64_t Snapshot::rows(const std::string& table) const {
  return manifest_["tables"][table].value("rows", uint64_t{0});
}

uint64_t Snapshot::table_bytes(const std::string& table) const {
  uint64_t total = 0;
  auto it = tables_.find(table);
  if (it == tables_.end()) return 0;
  for (const auto& [name, col] : it->second) total += col.file_bytes();
  return total;
}

std::vector<std::string> Snapshot::table_names() const {
  std::vector<std::string> names;
  for (const auto& [name, columns] : tables_) names.push_back(name);
  return names;
}

const ColumnFile& Snapshot::column(const std::string& table, const std::string& name) const {
  return tables_.at(table).at(name);
}

}  // namespace populus
