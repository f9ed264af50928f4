// Spilling to disk in bounded memory: SpillFile (common/spill_file.h) and
// the duplicate-key finder of a FHIR load (fhir/duplicate_keys.h), checked
// against an in-memory answer with a budget small enough to spill many runs,
// and a source's problems (ingest/source_problems.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/spill_file.h"
#include "fhir/duplicate_keys.h"
#include "ingest/source_problems.h"
#include "test_support.h"

namespace populus {
namespace {
namespace fs = std::filesystem;
using populus::testing::TempDir;

TEST(SpillFile, ReadsBackWhatWasWrittenAndLeavesNoNameBehind) {
  TempDir dir;
  SpillFile file;
  ASSERT_TRUE(file.Create(dir.path()).ok());
  // More than any buffer: 300,000 records of 12 bytes.
  for (uint32_t i = 0; i < 300000; ++i) {
    const uint64_t twice = uint64_t{i} * 2;
    file.Append(&i, sizeof i);
    file.Append(&twice, sizeof twice);
  }
  EXPECT_EQ(file.size(), 300000u * 12);
  ASSERT_TRUE(file.FinishWriting().ok());
  EXPECT_TRUE(fs::is_empty(dir.path()));  // unnamed: nothing to clean up, nothing to see
  uint32_t i = 0, got = 0;
  uint64_t twice = 0;
  while (file.Read(&got, sizeof got)) {
    ASSERT_EQ(got, i);
    ASSERT_TRUE(file.Read(&twice, sizeof twice));
    ASSERT_EQ(twice, uint64_t{i} * 2);
    ++i;
  }
  EXPECT_EQ(i, 300000u);
  EXPECT_TRUE(file.status().ok());
}

TEST(SpillFile, AReadThatEndsPartWayIsAnError) {
  TempDir dir;
  SpillFile file;
  ASSERT_TRUE(file.Create(dir.path()).ok());
  file.Append("abcde");
  ASSERT_TRUE(file.FinishWriting().ok());
  char four[4];
  ASSERT_TRUE(file.Read(four, 4));
  EXPECT_EQ(std::string(four, 4), "abcd");
  EXPECT_FALSE(file.Read(four, 4));
  EXPECT_FALSE(file.status().ok());
  SpillFile empty;
  ASSERT_TRUE(empty.Create(dir.path()).ok());
  ASSERT_TRUE(empty.FinishWriting().ok());
  EXPECT_FALSE(empty.Read(four, 4));
  EXPECT_TRUE(empty.status().ok());  // the plain end of the file
}

TEST(SpillFile, AFolderThatIsNotThereIsAnErrorNamingIt) {
  TempDir dir;
  SpillFile file;
  const Status s = file.Create(dir / "missing");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
}

TEST(SpillFile, SpillsGoToTheNearestFolderThatExists) {
  TempDir dir;
  fs::create_directories(dir / "a");
  EXPECT_EQ(fs::path(SpillFolderFor(dir / "a/b/c")), fs::path(dir / "a"));
  EXPECT_EQ(fs::path(SpillFolderFor(dir / "a")), fs::path(dir / "a"));
}

// Keys with repeats, spread over many runs, against a map built as they go.
TEST(SourceProblemLog, GivesBackEveryProblemInOrderFromDisk) {
  TempDir dir;
  SourceProblemLog log;
  ASSERT_TRUE(log.Create(dir.path()).ok());
  std::mt19937_64 rng(11);
  std::vector<SourceProblem> written;
  std::vector<uint64_t> tags;
  // More than its buffer holds, with texts of every length (some empty,
  // some with commas, quotes and bytes that are not text).
  for (uint64_t i = 0; i < 50000; ++i) {
    auto text = [&] {
      std::string t(rng() % 40, 'x');
      for (char& c : t) c = static_cast<char>(rng() % 256);
      return t;
    };
    SourceProblem p{static_cast<ExtractTable>(rng() % 6), text(), rng(), text(),
                    static_cast<Rule>(rng() % 4),         text(), text()};
    log.Add(p, i % 3 == 0 ? UINT64_MAX : i);
    written.push_back(std::move(p));
    tags.push_back(i % 3 == 0 ? UINT64_MAX : i);
  }
  EXPECT_EQ(log.size(), written.size());
  ASSERT_TRUE(log.first().has_value());
  EXPECT_EQ(log.first()->reason, written.front().reason);
  ASSERT_TRUE(log.FinishWriting().ok());
  EXPECT_TRUE(fs::is_empty(dir.path()));
  size_t i = 0;
  const Status read = log.ForEach([&](const SourceProblem& p, uint64_t tag) {
    EXPECT_EQ(p.table, written[i].table);
    EXPECT_EQ(p.file, written[i].file);
    EXPECT_EQ(p.line, written[i].line);
    EXPECT_EQ(p.column, written[i].column);
    EXPECT_EQ(p.rule, written[i].rule);
    EXPECT_EQ(p.reason, written[i].reason);
    EXPECT_EQ(p.record, written[i].record);
    EXPECT_EQ(tag, tags[i]);
    ++i;
    return i == 40000 ? Status::Data("stop here") : Status::Ok();
  });
  // The reader's own status stops the walk and comes back.
  EXPECT_EQ(read.kind(), Status::Kind::kData);
  EXPECT_EQ(i, 40000u);
}

TEST(DuplicateKeys, EveryRepeatIsFoundAcrossSpilledRunsWithItsFirstLocation) {
  TempDir dir;
  // A budget of about 40 occurrences: 2,000 keys spill some 50 runs.
  fhir::DuplicateKeys keys(dir.path(), 40 * sizeof(fhir::DuplicateKeys::Occurrence));
  std::mt19937_64 random(7);
  std::map<std::string, uint64_t> first_line;  // "kind type/text" -> line of the first
  struct Expected {
    uint64_t seq;
    fhir::KeyKind kind;
    std::string text;
    uint64_t first_line;
  };
  std::vector<Expected> expected;
  const char* types[] = {"Condition", "Observation"};
  for (uint64_t seq = 0; seq < 2000; ++seq) {
    const std::string type = types[random() % 2];
    const std::string id = "id-" + std::to_string(random() % 1500);
    const std::string url = "urn:uuid:" + std::to_string(random() % 3000);
    const uint64_t line = seq + 1;
    bool reported = false;
    for (const auto& [kind, tag, text] :
         {std::tuple{fhir::KeyKind::kTypeAndId, "I " + type + "/", id},
          std::tuple{fhir::KeyKind::kFullUrl, std::string("U "), url}}) {
      const auto [it, fresh] = first_line.emplace(tag + text, line);
      if (!fresh && !reported) {
        expected.push_back({seq, kind, text, it->second});
        reported = true;
      }
      keys.Add(kind, type, text, seq, 3, line, 1, 9);
    }
  }
  EXPECT_GT(keys.runs(), 20u);
  std::vector<fhir::DuplicateResource> found;
  ASSERT_TRUE(keys.Finish(&found).ok());
  ASSERT_EQ(found.size(), expected.size());
  for (size_t i = 0; i < found.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(found[i].seq, expected[i].seq);
    EXPECT_EQ(found[i].kind, expected[i].kind);
    EXPECT_EQ(found[i].text, expected[i].text);
    EXPECT_EQ(found[i].first_line, expected[i].first_line);
    EXPECT_EQ(found[i].line, expected[i].seq + 1);
    EXPECT_EQ(found[i].file, 3u);
    EXPECT_EQ(found[i].first_file, 3u);
    EXPECT_EQ(found[i].note, 9);
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(DuplicateKeys, AnIdIsADuplicateOnlyWithinItsType) {
  TempDir dir;
  fhir::DuplicateKeys keys(dir.path(), 1 << 20);
  keys.Add(fhir::KeyKind::kTypeAndId, "Condition", "1", 0, 0, 1, 0, 0);
  keys.Add(fhir::KeyKind::kTypeAndId, "Observation", "1", 1, 0, 2, 0, 0);
  keys.Add(fhir::KeyKind::kFullUrl, "Observation", "Condition/1", 2, 0, 3, 0, 0);
  const std::string long_id(300, 'x');
  keys.Add(fhir::KeyKind::kTypeAndId, "Condition", long_id, 3, 0, 4, 0, 0);
  keys.Add(fhir::KeyKind::kTypeAndId, "Condition", long_id, 4, 0, 5, 0, 0);
  std::vector<fhir::DuplicateResource> found;
  ASSERT_TRUE(keys.Finish(&found).ok());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].seq, 4u);
  EXPECT_EQ(found[0].first_line, 4u);
  EXPECT_EQ(found[0].text, long_id.substr(0, fhir::DuplicateKeys::kMaxKeyText));
}

}  // namespace
}  // namespace populus
