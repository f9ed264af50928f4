#include "store/column_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"

namespace populus {
namespace {
using testing::TempDir;

void FlipByte(const std::string& path, size_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x20);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

TEST(ColumnFile, RoundTripsFixedWidthColumns) {
  TempDir dir;
  const std::vector<int32_t> dates = {-5, 0, 18077, INT32_MIN};
  const std::vector<double> values = {48.5, 7.25, -1e300};
  ColumnFileInfo info;
  ASSERT_TRUE(WriteColumn(dir / "d.col", dates, &info).ok());
  EXPECT_EQ(info.file_bytes, kColumnHeaderBytes + 16);
  ASSERT_TRUE(WriteColumn(dir / "v.col", values, nullptr).ok());
  ColumnFile d, v;
  ASSERT_TRUE(d.Open(dir / "d.col", ColumnType::kInt32).ok());
  ASSERT_TRUE(v.Open(dir / "v.col", ColumnType::kFloat64).ok());
  EXPECT_EQ(std::vector<int32_t>(d.values<int32_t>().begin(), d.values<int32_t>().end()), dates);
  EXPECT_EQ(std::vector<double>(v.values<double>().begin(), v.values<double>().end()), values);
  EXPECT_EQ(d.checksum(), info.checksum);
}

TEST(ColumnFile, RoundTripsStringsAndBitmaps) {
  TempDir dir;
  const std::vector<std::string> s = {"", "73211009", "kg/m2", std::string(1000, 'x')};
  ASSERT_TRUE(WriteStringColumn(dir / "s.col", s, nullptr).ok());
  std::vector<uint64_t> bits = {0b1011, uint64_t{1} << 63};
  ASSERT_TRUE(WriteBitmapColumn(dir / "b.col", bits, 128, nullptr).ok());
  ColumnFile sc, bc;
  ASSERT_TRUE(sc.Open(dir / "s.col", ColumnType::kStrings).ok());
  ASSERT_EQ(sc.rows(), 4u);
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(sc.string(i), s[i]);
  ASSERT_TRUE(bc.Open(dir / "b.col", ColumnType::kBitmap).ok());
  EXPECT_TRUE(bc.bit(0));
  EXPECT_TRUE(bc.bit(1));
  EXPECT_FALSE(bc.bit(2));
  EXPECT_TRUE(bc.bit(3));
  EXPECT_TRUE(bc.bit(127));
  EXPECT_FALSE(bc.bit(126));
}

TEST(ColumnFile, AColumnAppendedPieceByPieceIsTheColumnWrittenWhole) {
  TempDir dir;
  const std::vector<uint32_t> ids = {7, 0, 65537, 3, 3, 9};
  const std::vector<uint64_t> bits = {0b101, uint64_t{1} << 63, 0b11};
  ColumnFileInfo whole, pieces, whole_bits, piece_bits;
  ASSERT_TRUE(WriteColumn(dir / "whole.col", ids, &whole).ok());
  ASSERT_TRUE(WriteBitmapColumn(dir / "whole-bits.col", bits, 130, &whole_bits).ok());
  ColumnAppender a, b;
  ASSERT_TRUE(a.Open(dir / "pieces.col", ColumnType::kUInt32).ok());
  ASSERT_TRUE(a.Append(std::span<const uint32_t>(ids.data(), 2)).ok());
  ASSERT_TRUE(a.Append(std::span<const uint32_t>()).ok());
  ASSERT_TRUE(a.Append(std::span<const uint32_t>(ids.data() + 2, 4)).ok());
  // Values of another type than the column's are refused.
  const std::vector<uint16_t> narrow = {1};
  EXPECT_EQ(a.Append(std::span<const uint16_t>(narrow)).kind(), Status::Kind::kInternal);
  ASSERT_TRUE(a.Finish(&pieces).ok());
  ASSERT_TRUE(b.Open(dir / "piece-bits.col", ColumnType::kBitmap).ok());
  ASSERT_TRUE(b.AppendBitmapWords(std::span<const uint64_t>(bits.data(), 1)).ok());
  ASSERT_TRUE(b.AppendBitmapWords(std::span<const uint64_t>(bits.data() + 1, 2)).ok());
  // 3 words cannot be 200 rows' bitmap.
  EXPECT_EQ(b.Finish(nullptr, 200).kind(), Status::Kind::kInternal);
  ASSERT_TRUE(b.Finish(&piece_bits, 130).ok());
  EXPECT_EQ(testing::ReadFile(dir / "pieces.col"), testing::ReadFile(dir / "whole.col"));
  EXPECT_EQ(testing::ReadFile(dir / "piece-bits.col"), testing::ReadFile(dir / "whole-bits.col"));
  EXPECT_EQ(pieces.checksum, whole.checksum);
  EXPECT_EQ(pieces.rows, 6u);
  EXPECT_EQ(piece_bits.rows, 130u);
  EXPECT_EQ(piece_bits.file_bytes, whole_bits.file_bytes);
}

TEST(ColumnFile, AColumnNeverFinishedIsRefused) {
  TempDir dir;
  const std::vector<uint32_t> ids = {1, 2, 3};
  {
    ColumnAppender a;
    ASSERT_TRUE(a.Open(dir / "cut.col", ColumnType::kUInt32).ok());
    ASSERT_TRUE(a.Append(std::span<const uint32_t>(ids)).ok());
  }  // destroyed before Finish(), as by a crash
  ColumnFile c;
  const Status st = c.Open(dir / "cut.col", ColumnType::kUInt32);
  EXPECT_EQ(st.kind(), Status::Kind::kCorruption) << st.message();
}

TEST(ColumnFile, EveryFlippedByteIsDetected) {
  TempDir dir;
  std::vector<std::string> s = {"alpha", "beta", "gamma"};
  ColumnFileInfo info;
  ASSERT_TRUE(WriteStringColumn(dir / "s.col", s, &info).ok());
  const std::string pristine = testing::ReadFile(dir / "s.col");
  for (size_t offset = 0; offset < info.file_bytes; ++offset) {
    testing::WriteFile(dir / "s.col", pristine);
    FlipByte(dir / "s.col", offset);
    ColumnFile c;
    const Status st = c.Open(dir / "s.col", ColumnType::kStrings);
    ASSERT_EQ(st.kind(), Status::Kind::kCorruption) << "byte " << offset;
    EXPECT_NE(st.message().find("s.col"), std::string::npos);
  }
}

TEST(ColumnFile, TruncatedAndMistypedFilesAreRejected) {
  TempDir dir;
  ASSERT_TRUE(WriteColumn(dir / "d.col", std::vector<int32_t>{1, 2, 3}, nullptr).ok());
  ColumnFile c;
  EXPECT_EQ(c.Open(dir / "d.col", ColumnType::kUInt32).kind(), Status::Kind::kCorruption);
  const std::string bytes = testing::ReadFile(dir / "d.col");
  testing::WriteFile(dir / "d.col", bytes.substr(0, bytes.size() - 1));
  EXPECT_EQ(c.Open(dir / "d.col", ColumnType::kInt32).kind(), Status::Kind::kCorruption);
  testing::WriteFile(dir / "d.col", bytes.substr(0, 10));
  EXPECT_EQ(c.Open(dir / "d.col", ColumnType::kInt32).kind(), Status::Kind::kCorruption);
}

}  // namespace
}  // namespace populus
