// Durable file writing and read-only memory mapping.
//
// FileWriter buffers appends and makes them durable with Sync(); a file is only
// trusted after Sync() and Close() both succeed. SyncDirectory() makes a
// rename or a new entry in a directory durable. MappedFile maps a whole file
// read-only for the lifetime of the object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace populus {

class FileWriter {
 public:
  FileWriter() = default;
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Creates or truncates the file; mode as for open(2).
  Status Open(const std::string& path, int mode = 0644);
  Status Append(const void* data, size_t size);
  Status Append(std::string_view text) { return Append(text.data(), text.size()); }
  // Writes `size` bytes at `offset`, over what is there (a header filled in
  // last); the buffer is flushed first.
  Status WriteAt(uint64_t offset, const void* data, size_t size);
  // Flushes the buffer and fsyncs the file.
  Status Sync();
  Status Close();
  uint64_t bytes_written() const { return bytes_written_; }
  const std::string& path() const { return path_; }

 private:
  Status FlushBuffer();
  int fd_ = -1;
  std::string path_;
  std::vector<char> buffer_;
  uint64_t bytes_written_ = 0;
};

// fsyncs a directory so that entries created, renamed or removed in it persist.
Status SyncDirectory(const std::string& path);

// Writes a whole small file durably: temporary name, fsync, rename, fsync dir.
Status WriteFileAtomically(const std::string& path, std::string_view contents, int mode = 0644);

// Opens a file for reading, refusing (a Data error that says what it is) a
// path that is not a regular file once symbolic links are followed: a
// dangling link, a directory, a FIFO (never waited on), a device or a socket.
// *fd is the open descriptor on success; the caller closes it.
Status OpenRegularFile(const std::string& path, int* fd);

// `root`/`relative` for a file a rule file names inside a folder (a codelist
// under the codelist folder). A Data error, beginning "'relative' ...", when
// `relative` is empty, absolute, or climbs out of `root` through "..": a rule
// file may only name files inside its folder.
Status PathWithin(const std::string& root, const std::string& relative, std::string* path);

// Reads a whole small file (manifests, keys, rule files). Not for extracts.
Status ReadSmallFile(const std::string& path, std::string* out);

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  Status Open(const std::string& path);
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // For a file read once from front to back (an extract): tells the kernel
  // so, and ReadUpTo() gives back the pages wholly before `offset` (a read
  // of them again fetches them from the file), so that the mapping's share
  // of the process's memory stays small however large the file.
  void ReadSequentially() const;
  void ReadUpTo(size_t offset) const;

 private:
  void Reset();
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// A named place where a test can make the process die by SIGKILL, to prove
// that a crash there loses nothing. Active only when the environment variable
// POPULUS_CRASH_AT equals the name; otherwise a no-op.
void CrashPoint(const char* name);

}  // namespace populus
