// Column files: one column of one snapshot table.
//
// A column file is a 64-byte header followed by the payload. The header holds a
// magic string, the format version, the element type, the row count, the
// payload size, an XXH3-64 checksum of the payload, 16 reserved zero bytes and
// a checksum of the header's other 56 bytes. Fixed-width payloads are the values in row order
// (little-endian); a string payload is rows+1 uint64 offsets followed by the bytes; a bitmap
// payload is ceil(rows/64) uint64 words, bit i of the column in word i/64.
//
// Writers fsync before returning. ColumnFile::Open maps the file read-only and
// verifies every header field and the payload checksum before any value is
// used, so a flipped byte anywhere is reported, never silently read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_io.h"
#include "common/status.h"

struct XXH3_state_s;  // xxhash.h's streaming state

namespace populus {

enum class ColumnType : uint32_t {
  kUInt8 = 1,
  kUInt16 = 2,
  kInt32 = 3,
  kUInt32 = 4,
  kUInt64 = 5,
  kFloat64 = 6,
  kStrings = 7,
  kBitmap = 8,
  kFloat32 = 9,
};

const char* ColumnTypeName(ColumnType type);

template <typename T>
constexpr ColumnType ColumnTypeOf();
template <>
constexpr ColumnType ColumnTypeOf<uint8_t>() {
  return ColumnType::kUInt8;
}
template <>
constexpr ColumnType ColumnTypeOf<uint16_t>() {
  return ColumnType::kUInt16;
}
template <>
constexpr ColumnType ColumnTypeOf<int32_t>() {
  return ColumnType::kInt32;
}
template <>
constexpr ColumnType ColumnTypeOf<uint32_t>() {
  return ColumnType::kUInt32;
}
template <>
constexpr ColumnType ColumnTypeOf<uint64_t>() {
  return ColumnType::kUInt64;
}
template <>
constexpr ColumnType ColumnTypeOf<float>() {
  return ColumnType::kFloat32;
}
template <>
constexpr ColumnType ColumnTypeOf<double>() {
  return ColumnType::kFloat64;
}

inline constexpr char kColumnMagic[8] = {'P', 'O', 'P', 'U', 'L', 'U', 'S', 'C'};
inline constexpr uint32_t kColumnFormatVersion = 1;
inline constexpr size_t kColumnHeaderBytes = 64;

// What a written column file holds, for the snapshot manifest.
struct ColumnFileInfo {
  ColumnType type;
  uint64_t rows = 0;
  uint64_t file_bytes = 0;
  uint64_t checksum = 0;
};

Status WriteColumnFile(const std::string& path, ColumnType type, uint64_t rows, const void* payload,
                       size_t payload_bytes, ColumnFileInfo* info);

template <typename T>
Status WriteColumn(const std::string& path, const std::vector<T>& values, ColumnFileInfo* info) {
  return WriteColumnFile(path, ColumnTypeOf<T>(), values.size(), values.data(),
                         values.size() * sizeof(T), info);
}
Status WriteStringColumn(const std::string& path, const std::vector<std::string>& values,
                         ColumnFileInfo* info);
// bits.size() words hold `rows` bits.
Status WriteBitmapColumn(const std::string& path, const std::vector<uint64_t>& bits, uint64_t rows,
                         ColumnFileInfo* info);

// Writes one column file piece by piece, for a column too large to hold in
// memory: Open() reserves the header, Append() adds values in row order,
// Finish() writes the header (row count, payload size and checksum) and
// fsyncs. A file that was never finished has a zero header, which
// ColumnFile::Open refuses.
class ColumnAppender {
 public:
  ColumnAppender();
  ~ColumnAppender();
  ColumnAppender(const ColumnAppender&) = delete;
  ColumnAppender& operator=(const ColumnAppender&) = delete;

  // Fixed-width types and bitmaps only (a bitmap is appended in whole
  // 64-bit words; Finish says how many rows the last one holds).
  Status Open(const std::string& path, ColumnType type);
  template <typename T>
  Status Append(std::span<const T> values) {
    if (ColumnTypeOf<T>() != type_) return WrongType(ColumnTypeOf<T>());
    rows_ += values.size();
    return AppendBytes(values.data(), values.size() * sizeof(T));
  }
  Status AppendBitmapWords(std::span<const uint64_t> words);
  // `bitmap_rows` is the bitmap's row count (ignored for other types).
  Status Finish(ColumnFileInfo* info, uint64_t bitmap_rows = 0);
  ColumnType type() const { return type_; }
  const std::string& path() const { return path_; }

 private:
  Status AppendBytes(const void* data, size_t size);
  Status WrongType(ColumnType given) const;
  FileWriter writer_;
  std::string path_;
  ColumnType type_ = ColumnType::kUInt8;
  uint64_t rows_ = 0, payload_bytes_ = 0;
  ::XXH3_state_s* checksum_ = nullptr;
};

class ColumnFile {
 public:
  // Maps and verifies the file; Corruption if anything is wrong, naming the path.
  Status Open(const std::string& path, ColumnType expected);

  uint64_t rows() const { return rows_; }
  ColumnType type() const { return type_; }
  size_t file_bytes() const { return file_.size(); }
  uint64_t checksum() const { return checksum_; }

  template <typename T>
  std::span<const T> values() const {
    return {reinterpret_cast<const T*>(payload_), rows_};
  }
  std::string_view string(uint64_t row) const;
  bool bit(uint64_t row) const {
    const auto* words = reinterpret_cast<const uint64_t*>(payload_);
    return (words[row >> 6] >> (row & 63)) & 1;
  }

 private:
  MappedFile file_;
  const uint8_t* payload_ = nullptr;
  uint64_t rows_ = 0;
  uint64_t checksum_ = 0;
  ColumnType type_ = ColumnType::kUInt8;
};

}  // namespace populus
