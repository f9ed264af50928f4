// SnapshotWriter: builds a new snapshot version and publishes it atomically.
//
// Begin() locks the data directory against other writers, removes staging
// folders left by loads that were killed, and creates a fresh staging folder.
// Columns are written (and fsynced) into it. Publish() writes the manifest,
// fsyncs, renames the staging folder into versions/ and then replaces CURRENT
// by an atomic rename: a reader sees the old snapshot or the new one, never a
// mixture, and a crash at any instant leaves the previous snapshot intact.
// Reject() keeps the staging folder's reports under rejected/ and publishes
// nothing.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/column_file.h"
#include "store/snapshot.h"

namespace populus {

// A usage error when `data_dir` cannot be a data directory: it lies inside
// another, is a file, or is a non-empty directory that is not one (a load
// would scatter snapshot folders among someone else's files).
Status CheckDataDirectoryPath(const std::string& data_dir);

class SnapshotWriter {
 public:
  SnapshotWriter() = default;
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  Status Begin(const std::string& data_dir);
  const std::string& staging_dir() const { return staging_; }
  const DataDirLayout& layout() const { return layout_; }

  template <typename T>
  Status Column(const std::string& table, const std::string& name, const std::vector<T>& values) {
    ColumnFileInfo info;
    POPULUS_RETURN_IF_ERROR(WriteColumn(PathFor(table, name), values, &info));
    return Record(table, name, info);
  }
  Status Strings(const std::string& table, const std::string& name,
                 const std::vector<std::string>& values);
  // Ids as uint16 when the dictionary has at most 65536 entries, else uint32;
  // the dictionary itself goes to NAME.dict.
  Status Codes(const std::string& table, const std::string& name, const std::vector<uint32_t>& ids,
               const std::vector<std::string>& dictionary);
  // A column written piece by piece (column_file.h's ColumnAppender), for a
  // table too large to hold in memory: BeginColumn opens its file in the
  // staging folder, EndColumn finishes it and records it in the manifest.
  Status BeginColumn(const std::string& table, const std::string& name, ColumnType type,
                     ColumnAppender* column);
  Status EndColumn(const std::string& table, const std::string& name, ColumnAppender* column,
                   uint64_t bitmap_rows = 0);
  // The id type Codes() writes for a dictionary of this size.
  static ColumnType CodeIdType(size_t dictionary_size) {
    return dictionary_size <= 65536 ? ColumnType::kUInt16 : ColumnType::kUInt32;
  }
  void SetTableRows(const std::string& table, uint64_t rows);

  // Column writing may run on several threads, one table per thread.
  // The manifest under construction; callers add their own sections (single-threaded).
  nlohmann::json& manifest() { return manifest_; }

  // The name the staged snapshot will be published under (one past the
  // highest version ever used); stable while this writer holds the lock.
  std::string NextVersion() const;
  // Publishes the staged snapshot as NextVersion() and keeps at most
  // keep_versions versions (0 keeps all).
  Status Publish(int keep_versions);
  // Where Reject() will move the staging folder.
  std::string RejectedPath() const;
  // Moves the staging folder's reports to RejectedPath(), keeping the ten
  // most recent rejected loads.
  Status Reject();

 private:
  std::string PathFor(const std::string& table, const std::string& name);
  Status Record(const std::string& table, const std::string& name, const ColumnFileInfo& info);

  DataDirLayout layout_{""};
  std::string staging_;
  std::string rejected_path_;
  int lock_fd_ = -1;
  bool finished_ = false;
  std::mutex manifest_mutex_;  // columns of different tables may be written concurrently
  nlohmann::json manifest_;
};

}  // namespace populus
