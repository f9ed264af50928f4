// The small synthetic ICS that the clinical record suite also reads (the
// fixture in tests/CMakeLists.txt: `populus generate --json` at 1/16 scale,
// made once per ctest run), checked as a whole: it meets every scaled
// calibration target, every person is plausible, it ingests with nothing
// quarantined, and its conditions are coded with their gradients. The
// summary `populus generate --json` printed is checked against the files.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/nhs_number.h"
#include "common/snomed_id.h"
#include "extract/csv_reader.h"
#include "ingest/ingest.h"
#include "record_fixture.h"
#include "store/snapshot.h"
#include "test_support.h"

namespace populus::synth {
namespace {
namespace fs = std::filesystem;
using populus::testing::TempDir;

constexpr double kSmall = populus::testing::kRecordFixtureScale;

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  CsvReader reader;
  EXPECT_TRUE(reader.Open(path).ok()) << path;
  std::vector<std::vector<std::string>> rows;
  CsvRecord rec;
  while (reader.Next(&rec)) rows.emplace_back(rec.fields.begin(), rec.fields.end());
  return rows;
}

class GeneratedIcs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    populus::testing::EnsureRecordFixture();
    summary_ = new nlohmann::json(nlohmann::json::parse(
        populus::testing::ReadFile(populus::testing::RecordFixtureSummary())));
  }
  static void TearDownTestSuite() {
    delete summary_;
    summary_ = nullptr;
  }
  static const nlohmann::json& Summary() { return *summary_; }
  static std::string Directory() { return populus::testing::RecordFixtureDir(); }
  static std::string Path(const std::string& file) { return Directory() + "/" + file; }

 private:
  static nlohmann::json* summary_;
};

nlohmann::json* GeneratedIcs::summary_ = nullptr;

TEST_F(GeneratedIcs, ASmallSystemMeetsEveryScaledTarget) {
  const nlohmann::json& r = Summary();
  EXPECT_NEAR(r["registered_at_baseline"].get<double>(), 803000 * kSmall, 803000 * kSmall * 0.005);
  ASSERT_EQ(r["calibration"].size(), 19u);
  for (const auto& c : r["calibration"]) {
    EXPECT_TRUE(c["pass"].get<bool>())
        << c["measure"] << ": " << c["achieved"] << " against " << c["target"];
  }
  // calibration.csv says the same.
  const auto rows = ReadCsv(Path("calibration.csv"));
  ASSERT_EQ(rows.size(), 20u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"measure", "population", "target", "achieved",
                                               "tolerance", "pass"}));
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][5], "pass") << rows[i][0];
    // The eFI measures say whom they count: the configuration's from_age.
    EXPECT_EQ(rows[i][1], rows[i][0].starts_with("efi_") ? "aged 50+" : "registered") << rows[i][0];
  }
}

TEST_F(GeneratedIcs, EveryPersonIsPlausible) {
  const nlohmann::json& r = Summary();
  std::set<std::string> practices;
  for (const auto& row : ReadCsv(Path("organisations.csv"))) {
    if (row[2] == "practice") practices.insert(row[0]);
  }
  ASSERT_EQ(practices.size(), 81u);
  const Date baseline = DaysFromCivil(2019, 6, 30);
  const Date window = DaysFromCivil(2009, 6, 30);
  std::set<uint64_t> numbers;
  uint64_t deaths = 0, registered = 0, care_home_old = 0, old = 0;
  const auto rows = ReadCsv(Path("patients.csv"));
  ASSERT_EQ(rows.size() - 1, r["people"].get<uint64_t>());
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& f = rows[i];
    uint64_t nhs;
    ASSERT_EQ(ParseNhsNumber(f[0], &nhs), NhsNumberCheck::kValid) << f[0];
    ASSERT_EQ(f[0][0], '9');
    ASSERT_TRUE(numbers.insert(nhs).second) << "NHS number repeated: line " << i + 1;
    Date birth, from, to = kNoDate, death = kNoDate;
    ASSERT_EQ(ParseIsoDate(f[1], &birth), DateParse::kOk);
    ASSERT_EQ(ParseIsoDate(f[4], &from), DateParse::kOk);
    if (!f[5].empty()) {
      ASSERT_EQ(ParseIsoDate(f[5], &to), DateParse::kOk);
    }
    if (!f[6].empty()) {
      ASSERT_EQ(ParseIsoDate(f[6], &death), DateParse::kOk);
    }
    ASSERT_TRUE(practices.count(f[3])) << f[3];
    ASSERT_GE(from, birth) << "line " << i + 1;
    ASSERT_LE(from, baseline);
    ASSERT_LE(birth, baseline);
    ASSERT_GE(AgeInYears(birth, baseline), 0);
    ASSERT_LE(AgeInYears(birth, baseline), 115);
    if (to != kNoDate) {
      ASSERT_GE(to, from);
      ASSERT_GE(to, window) << "left before the history window, yet in the extract";
      ASSERT_LE(to, baseline);
    }
    if (death != kNoDate) {
      ++deaths;
      ASSERT_EQ(to, death) << "registration must end at death";
      ASSERT_GE(death, birth);
    }
    const int imd = std::stoi(f[8]);
    ASSERT_GE(imd, 1);
    ASSERT_LE(imd, 10);
    if (to == kNoDate) {
      ++registered;
      if (AgeInYears(birth, baseline) >= 85) {
        ++old;
        care_home_old += f[10] == "1";
      }
    }
  }
  EXPECT_EQ(registered, r["registered_at_baseline"].get<uint64_t>());
  EXPECT_EQ(deaths, r["deaths"].get<uint64_t>());
  // Deaths in ten years: a plausible crude death rate, about 1.1% a year.
  const double death_share = static_cast<double>(deaths) / static_cast<double>(registered);
  EXPECT_GT(death_share, 0.07);
  EXPECT_LT(death_share, 0.16);
  // Care homes are for the old: a real share of the 85+, nobody young.
  EXPECT_GT(static_cast<double>(care_home_old) / static_cast<double>(old), 0.05);
}

TEST_F(GeneratedIcs, TheExtractIngestsWithNothingQuarantined) {
  const nlohmann::json& r = Summary();
  TempDir dir;
  IngestResult ir;
  const Status st = populus::testing::IngestWithTestKey(Directory(), dir / "data",
                                                        DaysFromCivil(2019, 6, 30), &ir);
  ASSERT_TRUE(st.ok()) << st.message();
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &snap).ok());
  EXPECT_EQ(snap->rows("patients"), r["people"].get<uint64_t>());
  EXPECT_EQ(snap->rows("organisations"), 1u + 13 + 18 + 81 + 126 + 148);
  for (const auto& f : ir.files) EXPECT_EQ(f.rows_quarantined, 0u) << f.file;
  // Every row of the record arrives.
  EXPECT_EQ(snap->rows("events"), r["rows"]["events"].get<uint64_t>());
  EXPECT_EQ(snap->rows("medications"), r["rows"]["medications"].get<uint64_t>());
  EXPECT_EQ(snap->rows("appointments"), r["rows"]["appointments"].get<uint64_t>());
  EXPECT_EQ(snap->rows("hospital_activity"), r["rows"]["hospital_activity"].get<uint64_t>());
  EXPECT_GT(r["rows"]["medications"].get<uint64_t>(), 100000u);
  EXPECT_GT(r["rows"]["appointments"].get<uint64_t>(), 100000u);
  EXPECT_GT(r["rows"]["hospital_activity"].get<uint64_t>(), 50000u);
  // Registered at baseline, counted from the snapshot independently.
  auto to = snap->patients().registered_to;
  uint64_t registered = 0;
  for (int32_t d : to) registered += d == kNoDate;
  EXPECT_EQ(registered, r["registered_at_baseline"].get<uint64_t>());
}

// Long-term conditions as a clinician would check them: codes from the
// condition's codelist, never before birth or after the record ends, a
// resolution only after a diagnosis, and the gradients of age and deprivation.
TEST_F(GeneratedIcs, ConditionsAreCodedPlausiblyWithTheirGradients) {
  const std::string codelists = populus::testing::SourceDir() + "/data/codelists/ltc/";
  std::map<std::string, std::string> condition_of;  // code -> condition file
  std::map<std::string, std::string> role_of;
  for (const char* c : {"htn", "copd", "dm", "ast", "dep"}) {
    for (const auto& row : ReadCsv(codelists + c + ".csv")) {
      if (row[0] == "code") continue;
      condition_of[row[0]] = c;
      role_of[row[0]] = row[2];
    }
  }
  struct Patient {
    Date birth, exit;
    int imd;
  };
  std::map<std::string, Patient> patients;
  const Date baseline = DaysFromCivil(2019, 6, 30);
  for (const auto& f : ReadCsv(Path("patients.csv"))) {
    if (f[0] == "nhs_number") continue;
    Patient p;
    ParseIsoDate(f[1], &p.birth);
    p.exit = baseline;
    if (!f[5].empty()) ParseIsoDate(f[5], &p.exit);
    p.imd = std::stoi(f[8]);
    patients[f[0]] = p;
  }
  std::map<std::string, std::set<std::string>> diagnosed;  // patient -> conditions
  uint64_t events = 0;
  for (const auto& f : ReadCsv(Path("events.csv"))) {
    if (f[0] == "patient") continue;
    ++events;
    auto it = patients.find(f[0]);
    ASSERT_NE(it, patients.end()) << "event for an unknown patient";
    Date d;
    ASSERT_EQ(ParseIsoDate(f[1], &d), DateParse::kOk);
    ASSERT_GE(d, it->second.birth);
    ASSERT_LE(d, it->second.exit);
    ASSERT_TRUE(IsSnomedConceptId(f[2])) << f[2];
    auto c = condition_of.find(f[2]);
    if (c == condition_of.end()) continue;
    if (role_of[f[2]] == "diagnosis") {
      diagnosed[f[0]].insert(c->second);
    } else {
      EXPECT_TRUE(diagnosed[f[0]].count(c->second)) << "resolved before diagnosed: " << f[2];
    }
  }
  EXPECT_GT(events, 40000u);
  // Every diagnosis is coded with a code of one simulated condition only.
  std::map<std::string, int> lists_holding;
  std::vector<fs::directory_entry> lists(fs::directory_iterator(codelists), {});
  lists.insert(lists.end(), fs::directory_iterator(fs::path(codelists) / ".." / "efi"),
               fs::directory_iterator());
  for (const auto& entry : lists) {
    const std::string name = entry.path().stem().string();
    if (entry.path().extension() != ".csv" || name == "cyp_ast" || name == "ld_u14" ||
        name == "frail")
      continue;
    for (const auto& row : ReadCsv(entry.path().string())) {
      if (row[0] != "code") ++lists_holding[row[0]];
    }
  }
  // Care processes and observations have codelists of their own, and the
  // frailty review records the FRAIL register's codes.
  std::set<std::string> care_codes;
  for (const char* folder : {"observations", "care-processes"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(codelists) / ".." / folder)) {
      if (entry.path().extension() != ".csv") continue;
      for (const auto& row : ReadCsv(entry.path().string())) care_codes.insert(row[0]);
    }
  }
  for (const auto& row : ReadCsv(codelists + "frail.csv")) care_codes.insert(row[0]);
  for (const auto& f : ReadCsv(Path("events.csv"))) {
    if (f[0] == "patient") continue;
    if (care_codes.count(f[2])) {
      EXPECT_EQ(lists_holding[f[2]], 0) << f[2] << " is both a care code and a diagnosis";
    } else {
      EXPECT_EQ(lists_holding[f[2]], 1) << f[2];
    }
  }
  auto share = [&](const char* condition, auto in_group) {
    double n = 0, with = 0;
    for (const auto& [nhs, p] : patients) {
      if (p.exit != baseline || !in_group(p)) continue;
      ++n;
      with += diagnosed[nhs].count(condition) ? 1 : 0;
    }
    return with / n;
  };
  const auto age = [&](const Patient& p) { return AgeInYears(p.birth, baseline); };
  // Hypertension rises steeply with age.
  EXPECT_GT(share("htn", [&](const Patient& p) { return age(p) >= 70; }),
            3 * share("htn", [&](const Patient& p) { return age(p) >= 40 && age(p) < 50; }));
  // COPD is commoner among adults in the most deprived areas than the least.
  EXPECT_GT(share("copd", [&](const Patient& p) { return age(p) >= 40 && p.imd <= 2; }),
            1.5 * share("copd", [&](const Patient& p) { return age(p) >= 40 && p.imd >= 9; }));
  // Nobody under 16 has COPD.
  EXPECT_EQ(share("copd", [&](const Patient& p) { return age(p) < 16; }), 0);
}

}  // namespace
}  // namespace populus::synth
