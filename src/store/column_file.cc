#include "store/column_file.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <bit>
#include <cstring>

namespace populus {
namespace {

struct Header {
  char magic[8];
  uint32_t format_version;
  uint32_t type;
  uint64_t rows;
  uint64_t payload_bytes;
  uint64_t payload_checksum;
  uint8_t reserved[16];      // zero
  uint64_t header_checksum;  // XXH3 of the 56 bytes before it
};
static_assert(sizeof(Header) == kColumnHeaderBytes);
// Column files hold values in little-endian order, the machine's own on every
// platform populus builds for; a big-endian port would need byte swapping here.
static_assert(std::endian::native == std::endian::little);
constexpr size_t kHeaderChecksummed = offsetof(Header, header_checksum);

size_t FixedWidth(ColumnType type) {
  switch (type) {
    case ColumnType::kUInt8:
      return 1;
    case ColumnType::kUInt16:
      return 2;
    case ColumnType::kInt32:
    case ColumnType::kUInt32:
    case ColumnType::kFloat32:
      return 4;
    case ColumnType::kUInt64:
    case ColumnType::kFloat64:
      return 8;
    case ColumnType::kStrings:
    case ColumnType::kBitmap:
      return 0;
  }
  return 0;
}

Status WriteWithHeader(const std::string& path, ColumnType type, uint64_t rows,
                       std::span<const std::pair<const void*, size_t>> parts,
                       ColumnFileInfo* info) {
  Header header{};
  std::memcpy(header.magic, kColumnMagic, sizeof header.magic);
  header.format_version = kColumnFormatVersion;
  header.type = static_cast<uint32_t>(type);
  header.rows = rows;
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const auto& [data, size] : parts) {
    header.payload_bytes += size;
    XXH3_64bits_update(state, data, size);
  }
  header.payload_checksum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  header.header_checksum = XXH3_64bits(&header, kHeaderChecksummed);

  FileWriter writer;
  POPULUS_RETURN_IF_ERROR(writer.Open(path));
  POPULUS_RETURN_IF_ERROR(writer.Append(&header, sizeof header));
  for (const auto& [data, size] : parts) POPULUS_RETURN_IF_ERROR(writer.Append(data, size));
  POPULUS_RETURN_IF_ERROR(writer.Sync());
  POPULUS_RETURN_IF_ERROR(writer.Close());
  if (info != nullptr) {
    info->type = type;
    info->rows = rows;
    info->file_bytes = sizeof header + header.payload_bytes;
    info->checksum = header.payload_checksum;
  }
  return Status::Ok();
}

}  // namespace

const char* ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kUInt8:
      return "uint8";
    case ColumnType::kUInt16:
      return "uint16";
    case ColumnType::kInt32:
      return "int32";
    case ColumnType::kUInt32:
      return "uint32";
    case ColumnType::kUInt64:
      return "uint64";
    case ColumnType::kFloat32:
      return "float32";
    case ColumnType::kFloat64:
      return "float64";
    case ColumnType::kStrings:
      return "strings";
    case ColumnType::kBitmap:
      return "bitmap";
  }
  return "unknown";
}

ColumnAppender::ColumnAppender() = default;

ColumnAppender::~ColumnAppender() {
  if (checksum_ != nullptr) XXH3_freeState(checksum_);
}

Status ColumnAppender::Open(const std::string& path, ColumnType type) {
  if (type == ColumnType::kStrings) {
    return Status::Internal(fmt::format("{}: a string column cannot be appended", path));
  }
  path_ = path;
  type_ = type;
  rows_ = payload_bytes_ = 0;
  if (checksum_ == nullptr) checksum_ = XXH3_createState();
  XXH3_64bits_reset(checksum_);
  POPULUS_RETURN_IF_ERROR(writer_.Open(path));
  const Header zero{};
  return writer_.Append(&zero, sizeof zero);
}

Status ColumnAppender::AppendBytes(const void* data, size_t size) {
  XXH3_64bits_update(checksum_, data, size);
  payload_bytes_ += size;
  return writer_.Append(data, size);
}

Status ColumnAppender::AppendBitmapWords(std::span<const uint64_t> words) {
  if (type_ != ColumnType::kBitmap) return WrongType(ColumnType::kBitmap);
  return AppendBytes(words.data(), words.size() * sizeof(uint64_t));
}

Status ColumnAppender::WrongType(ColumnType given) const {
  return Status::Internal(fmt::format("{}: {} values appended to a {} column", path_,
                                      ColumnTypeName(given), ColumnTypeName(type_)));
}

Status ColumnAppender::Finish(ColumnFileInfo* info, uint64_t bitmap_rows) {
  if (type_ == ColumnType::kBitmap) {
    if (payload_bytes_ != (bitmap_rows + 63) / 64 * sizeof(uint64_t)) {
      return Status::Internal(
          fmt::format("bitmap {} has {} bytes for {} rows", path_, payload_bytes_, bitmap_rows));
    }
    rows_ = bitmap_rows;
  }
  Header header{};
  std::memcpy(header.magic, kColumnMagic, sizeof header.magic);
  header.format_version = kColumnFormatVersion;
  header.type = static_cast<uint32_t>(type_);
  header.rows = rows_;
  header.payload_bytes = payload_bytes_;
  header.payload_checksum = XXH3_64bits_digest(checksum_);
  header.header_checksum = XXH3_64bits(&header, kHeaderChecksummed);
  POPULUS_RETURN_IF_ERROR(writer_.WriteAt(0, &header, sizeof header));
  POPULUS_RETURN_IF_ERROR(writer_.Sync());
  POPULUS_RETURN_IF_ERROR(writer_.Close());
  if (info != nullptr) {
    info->type = type_;
    info->rows = rows_;
    info->file_bytes = sizeof header + payload_bytes_;
    info->checksum = header.payload_checksum;
  }
  return Status::Ok();
}

Status WriteColumnFile(const std::string& path, ColumnType type, uint64_t rows, const void* payload,
                       size_t payload_bytes, ColumnFileInfo* info) {
  const std::pair<const void*, size_t> parts[] = {{payload, payload_bytes}};
  return WriteWithHeader(path, type, rows, parts, info);
}

Status WriteStringColumn(const std::string& path, const std::vector<std::string>& values,
                         ColumnFileInfo* info) {
  std::vector<uint64_t> offsets;
  offsets.reserve(values.size() + 1);
  std::string bytes;
  offsets.push_back(0);
  for (const std::string& v : values) {
    bytes += v;
    offsets.push_back(bytes.size());
  }
  const std::pair<const void*, size_t> parts[] = {
      {offsets.data(), offsets.size() * sizeof(uint64_t)}, {bytes.data(), bytes.size()}};
  return WriteWithHeader(path, ColumnType::kStrings, values.size(), parts, info);
}

Status WriteBitmapColumn(const std::string& path, const std::vector<uint64_t>& bits, uint64_t rows,
                         ColumnFileInfo* info) {
  if (bits.size() != (rows + 63) / 64) {
    return Status::Internal(
        fmt::format("bitmap for {} has {} words for {} rows", path, bits.size(), rows));
  }
  return WriteColumnFile(path, ColumnType::kBitmap, rows, bits.data(),
                         bits.size() * sizeof(uint64_t), info);
}

Status ColumnFile::Open(const std::string& path, ColumnType expected) {
  Status st = file_.Open(path);
  if (!st.ok()) return Status::Corruption(st.message());
  auto corrupt = [&](std::string_view what) {
    return Status::Corruption(fmt::format("column file '{}' is corrupt: {}", path, what));
  };
  if (file_.size() < sizeof(Header)) return corrupt("shorter than its header");
  Header header;
  std::memcpy(&header, file_.data(), sizeof header);
  if (std::memcmp(header.magic, kColumnMagic, sizeof header.magic) != 0) {
    return corrupt("not a populus column file (bad magic)");
  }
  if (XXH3_64bits(&header, kHeaderChecksummed) != header.header_checksum) {
    return corrupt("header checksum mismatch");
  }
  if (header.format_version != kColumnFormatVersion) {
    return corrupt(
        fmt::format("format version {} is not {}", header.format_version, kColumnFormatVersion));
  }
  if (header.type != static_cast<uint32_t>(expected)) {
    return corrupt(fmt::format("holds type {} where {} was expected",
                               ColumnTypeName(static_cast<ColumnType>(header.type)),
                               ColumnTypeName(expected)));
  }
  if (header.payload_bytes != file_.size() - sizeof(Header)) {
    return corrupt(fmt::format("payload is {} bytes but the header says {}",
                               file_.size() - sizeof(Header), header.payload_bytes));
  }
  payload_ = file_.data() + sizeof(Header);
  if (XXH3_64bits(payload_, header.payload_bytes) != header.payload_checksum) {
    return corrupt("payload checksum mismatch");
  }
  const size_t width = FixedWidth(expected);
  if (width > 0 && header.payload_bytes != header.rows * width) {
    return corrupt("payload size does not match the row count");
  }
  if (expected == ColumnType::kBitmap && header.payload_bytes != (header.rows + 63) / 64 * 8) {
    return corrupt("bitmap size does not match the row count");
  }
  if (expected == ColumnType::kStrings) {
    const uint64_t offsets_bytes = (header.rows + 1) * sizeof(uint64_t);
    if (header.payload_bytes < offsets_bytes) return corrupt("string offsets are truncated");
    const auto* offsets = reinterpret_cast<const uint64_t*>(payload_);
    for (uint64_t i = 0; i < header.rows; ++i) {
      if (offsets[i] > offsets[i + 1]) return corrupt("string offsets are not in order");
    }
    if (offsets[0] != 0 || offsets[header.rows] != header.payload_bytes - offsets_bytes) {
      return corrupt("string offsets do not cover the string bytes");
    }
  }
  rows_ = header.rows;
  checksum_ = header.payload_checksum;
  type_ = expected;
  return Status::Ok();
}

std::string_view ColumnFile::string(uint64_t row) const {
  const auto* offsets = reinterpret_cast<const uint64_t*>(payload_);
  const char* bytes = reinterpret_cast<const char*>(payload_ + (rows_ + 1) * sizeof(uint64_t));
  return {bytes + offsets[row], static_cast<size_t>(offsets[row + 1] - offsets[row])};
}

}  // namespace populus
