// Temporary files for what a step cannot hold in memory (a FHIR load's
// mapped rows and its resource keys, fhir/fhir_ingest.cc).
//
// A SpillFile is written once, front to back, then read back from the start.
// It has no name: it is made with O_TMPFILE in the folder given (or, where
// the file system cannot, made and at once unlinked), so it is gone when it
// is closed or the process ends, however it ends, and never shows up among
// the files a person or populus reads. Writes and reads are buffered.
//
// Append() keeps the first error (a full disk, say) instead of returning it
// on every call: a writer appends freely and checks status() (or the Status
// of FinishWriting()) once, before it trusts what was written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace populus {

class SpillFile {
 public:
  SpillFile() = default;
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  // Makes the file in the folder `dir`, which must exist; reads and writes
  // go through a buffer of `buffer_bytes`.
  Status Create(const std::string& dir, size_t buffer_bytes = size_t{1} << 20);
  void Append(const void* data, size_t size);
  void Append(std::string_view text) { Append(text.data(), text.size()); }
  // Writes out the buffer and turns the file around for reading from its start.
  Status FinishWriting();
  // Reads exactly `size` bytes; false at the end of the file or on an error
  // (then status() is not ok). A read that ends part way is an error.
  bool Read(void* out, size_t size);
  const Status& status() const { return status_; }
  // Bytes appended so far.
  uint64_t size() const { return size_; }

 private:
  void Flush();
  int fd_ = -1;
  std::string dir_;  // for messages
  std::vector<char> buffer_;
  size_t buffer_bytes_ = 0;
  size_t read_at_ = 0, read_end_ = 0;
  uint64_t size_ = 0;
  bool reading_ = false;
  Status status_;
};

// The folder a step may spill into for a result that will live at `path`:
// the nearest folder that exists among `path` and its parents (so the spill
// is on the disk the result goes to, not in a /tmp that may be memory).
std::string SpillFolderFor(const std::string& path);

}  // namespace populus
