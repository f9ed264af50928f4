#include "extract/csv_reader.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace populus {
namespace {
using testing::TempDir;
using testing::WriteFile;

struct Rec {
  std::vector<std::string> fields;
  uint64_t line;
  CsvProblem problem;
};

std::vector<Rec> ReadAll(const std::string& contents) {
  TempDir dir;
  WriteFile(dir / "f.csv", contents);
  CsvReader reader;
  EXPECT_TRUE(reader.Open(dir / "f.csv").ok());
  std::vector<Rec> out;
  CsvRecord rec;
  while (reader.Next(&rec)) {
    out.push_back({{rec.fields.begin(), rec.fields.end()}, rec.line, rec.problem});
  }
  EXPECT_TRUE(reader.status().ok());
  return out;
}

TEST(CsvReader, PlainRecordsAndLineNumbers) {
  auto recs = ReadAll("a,b,c\n1,2,3\n\n4,,6\n");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(recs[2].fields, (std::vector<std::string>{"4", "", "6"}));
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_EQ(recs[2].line, 4u);  // the blank line 3 is skipped but counted
}

TEST(CsvReader, QuotedFieldsWithCommasQuotesAndNewlines) {
  auto recs = ReadAll("x,y\n\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\nlast,row\n");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[1].fields[0], "a,b");
  EXPECT_EQ(recs[1].fields[1], "say \"hi\"");
  EXPECT_EQ(recs[2].fields[0], "two\nlines");
  EXPECT_EQ(recs[2].line, 3u);
  EXPECT_EQ(recs[3].line, 5u);
  for (const auto& r : recs) EXPECT_EQ(r.problem, CsvProblem::kNone);
}

TEST(CsvReader, CrlfByteOrderMarkAndNoFinalNewline) {
  auto recs = ReadAll("\xEF\xBB\xBFh1,h2\r\n1,2\r\n3,\"4\"");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].fields[0], "h1");
  EXPECT_EQ(recs[1].fields[1], "2");
  EXPECT_EQ(recs[2].fields[1], "4");
}

TEST(CsvReader, ReportsMalformedRecordsAndGoesOn) {
  auto recs = ReadAll("a,b\n1,x\"y\n\"q\"r,2\nok,ok\n\"never closed,3\n");
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[1].problem, CsvProblem::kStrayQuote);
  EXPECT_EQ(recs[2].problem, CsvProblem::kStrayQuote);
  EXPECT_EQ(recs[3].problem, CsvProblem::kNone);
  EXPECT_EQ(recs[4].problem, CsvProblem::kUnterminatedQuote);
  EXPECT_EQ(recs[4].line, 5u);
}

TEST(CsvReader, FlagsInvalidUtf8) {
  auto recs = ReadAll("a,b\ncaf\xC3\xA9,1\nbad\xFF,2\nover\xC0\xAF,3\nsurrogate\xED\xA0\x80,4\n");
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[1].problem, CsvProblem::kNone);
  EXPECT_EQ(recs[2].problem, CsvProblem::kInvalidUtf8);
  EXPECT_EQ(recs[3].problem, CsvProblem::kInvalidUtf8);
  EXPECT_EQ(recs[4].problem, CsvProblem::kInvalidUtf8);
}

TEST(CsvReader, RecordsAcrossBufferBoundaries) {
  // Enough rows to cross the 4 MiB buffer several times, with quoted
  // multi-line fields landing on the boundaries.
  std::string text = "id,note\n";
  const int rows = 300000;
  for (int i = 0; i < rows; ++i) {
    text +=
        std::to_string(i) + (i % 7 == 0 ? ",\"multi\nline, \"\"quoted\"\"\"\n" : ",plain text\n");
  }
  TempDir dir;
  WriteFile(dir / "big.csv", text);
  CsvReader reader;
  ASSERT_TRUE(reader.Open(dir / "big.csv").ok());
  CsvRecord rec;
  ASSERT_TRUE(reader.Next(&rec));
  uint64_t expected_line = 2;
  for (int i = 0; i < rows; ++i) {
    ASSERT_TRUE(reader.Next(&rec)) << i;
    ASSERT_EQ(rec.fields.size(), 2u);
    ASSERT_EQ(rec.fields[0], std::to_string(i));
    ASSERT_EQ(rec.line, expected_line);
    ASSERT_EQ(rec.problem, CsvProblem::kNone);
    if (i % 7 == 0) {
      ASSERT_EQ(rec.fields[1], "multi\nline, \"quoted\"");
      expected_line += 2;
    } else {
      ASSERT_EQ(rec.fields[1], "plain text");
      expected_line += 1;
    }
  }
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_TRUE(reader.status().ok());
  EXPECT_EQ(reader.bytes_consumed(), text.size());
}

TEST(CsvReader, MissingFileIsAnIoError) {
  CsvReader reader;
  const Status st = reader.Open("/nonexistent/populus/file.csv");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/populus/file.csv"), std::string::npos);
}

}  // namespace
}  // namespace populus
