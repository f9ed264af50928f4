// The snapshot's declared schema (store/schema.h): a snapshot whose manifest
// disagrees with it is refused as corrupt (exit code 2), the writer refuses a
// column it does not declare, and docs/snapshot-format.md lists exactly the
// declared columns with their types.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "store/schema.h"
#include "store/snapshot.h"
#include "store/snapshot_writer.h"
#include "test_support.h"

namespace populus {
namespace {
namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

class SnapshotSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ExtractFiles().Write(extract_.path());
    ASSERT_TRUE(
        testing::IngestWithTestKey(extract_.path(), data_.path(), DaysFromCivil(2019, 6, 30)).ok());
    manifest_path_ = data_ / "versions/v000001/manifest.json";
    original_ = ReadFile(manifest_path_);
  }
  // Rewrites the published manifest with `edit` applied, with checksums that
  // match, so only the schema check can object.
  void EditManifest(const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json m = nlohmann::json::parse(original_);
    edit(m);
    const std::string text = m.dump(2) + "\n";
    const std::string checksum = fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
    WriteFile(manifest_path_, text);
    WriteFile(data_ / "versions/v000001/manifest.checksum", checksum + "\n");
    WriteFile(data_ / "CURRENT", "v000001 " + checksum + "\n");
  }
  // The error opening the snapshot gives (empty when it opens).
  std::string Refusal() {
    std::unique_ptr<Snapshot> s;
    const Status st = Snapshot::Open(data_.path(), &s);
    if (st.ok()) return "";
    EXPECT_EQ(st.kind(), Status::Kind::kCorruption) << st.message();
    return st.message();
  }
  TempDir extract_, data_;
  std::string manifest_path_, original_;
};

TEST_F(SnapshotSchemaTest, TheTypedViewsReadWhatWasLoaded) {
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &s).ok());
  const PatientsTable& patients = s->patients();
  ASSERT_EQ(patients.rows, 3u);  // kNhs[0..2] in test_support's extract
  EXPECT_EQ(patients.date_of_birth.size(), 3u);
  EXPECT_EQ(patients.pseudonym.size(), 3u);
  EXPECT_EQ(patients.pseudonym[0].size(), 64u);  // HMAC-SHA256 in hex
  EXPECT_EQ(s->organisations().rows, s->organisations().code.size());
  EXPECT_EQ(s->events().patient_offsets.size(), 4u);
  EXPECT_EQ(s->events().patient_offsets.back(), s->events().rows);
  EXPECT_EQ(s->events().range(2).second, s->events().rows);
}

TEST_F(SnapshotSchemaTest, AMissingColumnIsACorruptSnapshot) {
  EditManifest([](nlohmann::json& m) { m["tables"]["patients"]["columns"].erase("sex"); });
  EXPECT_NE(Refusal().find("the column patients.sex is missing"), std::string::npos) << Refusal();
  // And the command line says so with exit code 2.
  const auto run = testing::RunPopulus({"info", data_.path()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("patients.sex is missing"), std::string::npos) << run.err;
}

TEST_F(SnapshotSchemaTest, AColumnOfTheWrongTypeIsACorruptSnapshot) {
  EditManifest([](nlohmann::json& m) { m["tables"]["events"]["columns"]["date"]["type_id"] = 4; });
  EXPECT_NE(Refusal().find("the column events.date is uint32, not int32"), std::string::npos)
      << Refusal();
  EditManifest([](nlohmann::json& m) {
    m["tables"]["patients"]["columns"]["lsoa"]["type_id"] = 7;  // strings, not ids
  });
  EXPECT_NE(Refusal().find("patients.lsoa is strings, not uint16 or uint32"), std::string::npos)
      << Refusal();
}

TEST_F(SnapshotSchemaTest, AColumnOrTableNotDeclaredIsACorruptSnapshot) {
  EditManifest([](nlohmann::json& m) {
    m["tables"]["patients"]["columns"]["nhs_number"] = m["tables"]["patients"]["columns"]["sex"];
  });
  EXPECT_NE(Refusal().find("patients has a column 'nhs_number' that populus does not declare"),
            std::string::npos)
      << Refusal();
  EditManifest([](nlohmann::json& m) { m["tables"]["referrals"] = m["tables"]["appointments"]; });
  EXPECT_NE(Refusal().find("a table 'referrals'"), std::string::npos) << Refusal();
  EditManifest([](nlohmann::json& m) { m["tables"].erase("appointments"); });
  EXPECT_NE(Refusal().find("the table appointments or its row count is missing"), std::string::npos)
      << Refusal();
  EditManifest([](nlohmann::json& m) { m["tables"]["events"]["columns"].erase("code.dict"); });
  EXPECT_NE(Refusal().find("the dictionary events.code.dict is missing"), std::string::npos)
      << Refusal();
}

TEST_F(SnapshotSchemaTest, AColumnOfTheWrongLengthIsACorruptSnapshot) {
  EditManifest([](nlohmann::json& m) {
    auto& rows = m["tables"]["events"]["columns"]["patient_offsets"]["rows"];
    rows = rows.get<uint64_t>() - 1;
  });
  EXPECT_NE(Refusal().find("events.patient_offsets has 3 element(s)"), std::string::npos)
      << Refusal();
  EditManifest([](nlohmann::json& m) {
    auto& rows = m["tables"]["patients"]["columns"]["care_home"]["rows"];
    rows = rows.get<uint64_t>() + 1;
  });
  EXPECT_NE(Refusal().find("patients.care_home has 4 element(s) where the table's 3 row(s) call "
                           "for 3"),
            std::string::npos)
      << Refusal();
  EditManifest([](nlohmann::json&) {});
  EXPECT_EQ(Refusal(), "");  // the edits, undone, open again
}

TEST(SnapshotWriterSchema, AColumnNotDeclaredOrOfAnotherTypeIsNotWritten) {
  TempDir dir;
  SnapshotWriter w;
  ASSERT_TRUE(w.Begin(dir / "data").ok());
  Status st = w.Column("patients", "nhs_number", std::vector<uint64_t>{1, 2});
  EXPECT_EQ(st.kind(), Status::Kind::kInternal);
  EXPECT_NE(st.message().find("patients.nhs_number"), std::string::npos) << st.message();
  st = w.Column("patients", "sex", std::vector<uint32_t>{1, 2});  // sex is uint8
  EXPECT_EQ(st.kind(), Status::Kind::kInternal);
  // A snapshot with columns missing is never published.
  ASSERT_TRUE(w.Column("patients", "sex", std::vector<uint8_t>{1, 2}).ok());
  w.SetTableRows("patients", 2);
  st = w.Publish(0);
  EXPECT_EQ(st.kind(), Status::Kind::kInternal);
  EXPECT_NE(st.message().find("is missing"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(dir / "data/CURRENT"));
}

// Reads docs/snapshot-format.md's table of columns under each "### TABLE"
// of "## The tables": column name -> the type it gives.
std::map<std::string, std::map<std::string, std::string>> DocumentedColumns() {
  std::istringstream doc(ReadFile(testing::SourceDir() + "/docs/snapshot-format.md"));
  std::map<std::string, std::map<std::string, std::string>> out;
  bool in_tables = false;
  std::string table;
  std::string line;
  while (std::getline(doc, line)) {
    if (line.starts_with("## ")) in_tables = line == "## The tables";
    if (!in_tables) continue;
    if (line.starts_with("### ")) table = line.substr(4);
    // | `name` | type | rows | meaning |
    if (table.empty() || !line.starts_with("| `")) continue;
    const size_t name_end = line.find("` | ", 3);
    if (name_end == std::string::npos) continue;
    const size_t type_end = line.find(" | ", name_end + 4);
    if (type_end == std::string::npos) continue;
    out[table][line.substr(3, name_end - 3)] = line.substr(name_end + 4, type_end - name_end - 4);
  }
  return out;
}

TEST(SnapshotSchemaDocs, TheFormatDocumentListsEveryDeclaredColumnWithItsType) {
  const auto documented = DocumentedColumns();
  std::map<std::string, std::map<std::string, std::string>> declared;
  for (const TableSpec& table : SnapshotTables()) {
    auto& columns = declared[std::string(table.name)];
    for (const ColumnSpec& c : table.columns) {
      const std::string name(c.name);
      if (c.kind == ColumnKind::kCodes) {
        columns[name] = "uint16 or uint32";
        columns[name + ".dict"] = "strings";
      } else {
        columns[name] = ColumnTypeName(c.type);
      }
    }
  }
  EXPECT_EQ(declared.size(), 6u);
  EXPECT_EQ(documented, declared);
}

}  // namespace
}  // namespace populus
