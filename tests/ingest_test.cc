// End-to-end ingestion of hand-made extracts whose right answers can be
// checked by eye.
#include "ingest/ingest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "common/vocabulary.h"
#include "ingest/pseudonymiser.h"
#include "store/snapshot.h"
#include "test_support.h"

namespace populus {
namespace {
namespace fs = std::filesystem;
using testing::ExtractFiles;
using testing::kNhs;
using testing::kTestKey;
using testing::TempDir;

ExtractFiles FullExtract() {
  ExtractFiles x;
  x.files["events.csv"] =
      "patient,date,snomed_code,numeric_value,unit\n"
      "9990000018,2015-03-01,38341003,,\n"                   // hypertension
      "9990000018,2012-07-09,73211009,,\n"                   // diabetes, earlier date
      "9990000018,2018-01-10,999791000000106,53,mmol/mol\n"  // HbA1c
      "9990000026,2018-11-30,72313002,142,mmHg\n"            // systolic BP
      "9990000018,2018-01-10,72313002,150,mmHg\n";
  x.files["medications.csv"] =
      "patient,date,dmd_code,quantity\n"
      "9990000018,2018-02-01,42109611000001109,56\n"
      "9990000026,2018-03-01,39695211000001102,\n";
  x.files["appointments.csv"] =
      "practice_code,patient,date,booked_date,staff_role,mode,status,duration_minutes\n"
      "J00001,9990000018,2019-01-07,2019-01-02,gp,face-to-face,attended,10\n"
      "J00001,,2019-01-06,,nurse,telephone,did-not-attend,\n"
      "J00002,9990000026,2019-01-03,2019-01-03,clinical-pharmacist,video,cancelled,20\n";
  x.files["hospital_activity.csv"] =
      "patient,date,setting,provider,length_of_stay_days\n"
      "9990000018,2018-12-24,emergency-admission,RBD,6\n"
      "9990000018,2018-12-23,ae,RBD,\n";
  return x;
}

IngestOptions Options(const std::string& extract, const std::string& data) {
  IngestOptions o;
  o.extract_dir = extract;
  o.data_dir = data;
  o.extract_date = DaysFromCivil(2019, 6, 30);
  o.progress = ProgressBar::Mode::kNever;
  return o;
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("POPULUS_PSEUDO_KEY", kTestKey, 1); }
  void TearDown() override { ::unsetenv("POPULUS_PSEUDO_KEY"); }
  TempDir extract_, data_;
};

TEST_F(IngestTest, PublishesASnapshotThatReadsBackRowForRow) {
  FullExtract().Write(extract_.path());
  IngestResult result;
  const Status st = Ingest(Options(extract_.path(), data_.path()), &result);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(result.published);
  EXPECT_EQ(result.version, "v000001");

  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &snap).ok());
  EXPECT_EQ(snap->rows("organisations"), 6u);
  ASSERT_EQ(snap->rows("patients"), 3u);
  EXPECT_EQ(snap->rows("events"), 5u);
  EXPECT_EQ(snap->rows("medications"), 2u);
  EXPECT_EQ(snap->rows("appointments"), 3u);
  EXPECT_EQ(snap->rows("hospital_activity"), 2u);

  // Patients are stored in pseudonym order; pseudonyms are the keyed HMACs.
  Pseudonymiser p;
  ASSERT_TRUE(Pseudonymiser::FromKey(kTestKey, &p).ok());
  std::vector<std::string> expected = {p.Pseudonym(9990000018), p.Pseudonym(9990000026),
                                       p.Pseudonym(9990000034)};
  const ColumnFile& pseudonyms = snap->column("patients", "pseudonym");
  std::vector<std::string> stored;
  for (uint64_t i = 0; i < 3; ++i) stored.emplace_back(pseudonyms.string(i));
  std::vector<std::string> sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(stored, sorted);

  const auto row_of = [&](uint64_t nhs) {
    const std::string key = p.Pseudonym(nhs);
    return static_cast<uint32_t>(std::find(stored.begin(), stored.end(), key) - stored.begin());
  };
  const uint32_t alice = row_of(9990000018), bob = row_of(9990000026), carol = row_of(9990000034);

  auto births = snap->patients().date_of_birth;
  EXPECT_EQ(births[alice], DaysFromCivil(1940, 5, 1));
  EXPECT_EQ(snap->patients().sex[bob], static_cast<uint8_t>(Sex::kMale));
  EXPECT_EQ(snap->patients().date_of_death[bob], DaysFromCivil(2019, 3, 1));
  EXPECT_EQ(snap->patients().date_of_death[alice], kNoDate);
  EXPECT_EQ(snap->patients().registered_to[carol], DaysFromCivil(2018, 12, 31));
  EXPECT_EQ(snap->patients().imd_decile[alice], 3);
  EXPECT_EQ(snap->patients().care_home[alice], 1);
  EXPECT_EQ(snap->patients().lsoa.value(alice), "E01015432");
  EXPECT_EQ(snap->patients().lsoa.value(carol), "");
  EXPECT_EQ(snap->patients().ethnicity.value(alice), "494131000000105");
  const ColumnFile& org_code = snap->column("organisations", "code");
  EXPECT_EQ(org_code.string(snap->patients().practice[bob]), "J00002");

  // Alice's events are contiguous and in date order; values sit with their events.
  auto [first, last] = snap->events().range(alice);
  ASSERT_EQ(last - first, 4u);
  auto dates = snap->events().date;
  CodeColumn codes = snap->events().code;
  EXPECT_EQ(dates[first], DaysFromCivil(2012, 7, 9));
  EXPECT_EQ(codes.value(first), "73211009");
  EXPECT_EQ(codes.value(first + 1), "38341003");
  // Two events on 2018-01-10 keep the extract's order: HbA1c then BP.
  EXPECT_EQ(codes.value(first + 2), "999791000000106");
  EXPECT_EQ(codes.value(first + 3), "72313002");
  const ColumnFile& present = snap->column("events", "value_present");
  auto rank = snap->events().value_rank;
  auto values = snap->events().value;
  CodeColumn units = snap->events().unit;
  auto value_at = [&](uint64_t row) {
    const uint64_t word = row >> 6;
    const uint64_t below = present.values<uint64_t>()[word] & ((uint64_t{1} << (row & 63)) - 1);
    return rank[word] + static_cast<uint32_t>(__builtin_popcountll(below));
  };
  EXPECT_FALSE(present.bit(first));
  ASSERT_TRUE(present.bit(first + 2));
  EXPECT_EQ(values[value_at(first + 2)], 53);
  EXPECT_EQ(units.value(value_at(first + 2)), "mmol/mol");
  EXPECT_EQ(values[value_at(first + 3)], 150);
  auto [bf, bl] = snap->events().range(bob);
  ASSERT_EQ(bl - bf, 1u);
  EXPECT_EQ(values[value_at(bf)], 142);
  auto [cf, cl] = snap->events().range(carol);
  EXPECT_EQ(cf, cl);

  auto quantity = snap->medications().quantity;
  auto [mf, ml] = snap->medications().range(bob);
  ASSERT_EQ(ml - mf, 1u);
  EXPECT_TRUE(std::isnan(quantity[mf]));

  // Hospital activity in date order: A&E on the 23rd, admission on the 24th.
  auto [hf, hl] = snap->hospital_activity().range(alice);
  ASSERT_EQ(hl - hf, 2u);
  EXPECT_EQ(snap->hospital_activity().setting[hf], static_cast<uint8_t>(HospitalSetting::kAe));
  EXPECT_EQ(snap->hospital_activity().length_of_stay_days[hf + 1], 6);

  // Appointments by practice then date; the one without a patient keeps kNoRow.
  auto appt_patient = snap->appointments().patient;
  auto appt_date = snap->appointments().date;
  EXPECT_EQ(appt_date[0], DaysFromCivil(2019, 1, 6));
  EXPECT_EQ(appt_patient[0], kNoRow);
  EXPECT_EQ(appt_patient[1], alice);
  EXPECT_EQ(appt_patient[2], bob);

  EXPECT_EQ(snap->manifest()["date_ranges"]["events"]["min"], "2012-07-09");
  EXPECT_EQ(snap->manifest()["organisations_by_type"]["practice"], 2);
  EXPECT_EQ(snap->manifest()["key_fingerprint"], p.Fingerprint());
}

TEST_F(IngestTest, NoNhsNumberIsWrittenAnywhere) {
  ExtractFiles x = FullExtract();
  // Add bad rows so the quarantine has identifiers to mask too.
  x.files["events.csv"] += "9990000019,2018-01-01,38341003,,\n";  // bad check digit
  x.files["events.csv"] += "9990000042,2018-01-01,38341003,,\n";  // valid but unknown
  // A misaligned row carries a second NHS number in another column.
  x.files["events.csv"] += "9990000018,2018-01-01,72313002,,mmHg,9990000034\n";
  x.files["events.csv"] += "9990000018,2018-01-01,\"38341003,,\n";  // unterminated quote
  // An NHS number typed into the wrong field: quoted in the reason as well.
  x.files["appointments.csv"] += "J00001,,2019-01-07,,gp,telephone,attended,9990000026\n";
  x.Write(extract_.path());
  IngestResult result;
  ASSERT_TRUE(Ingest(Options(extract_.path(), data_.path()), &result).ok());
  EXPECT_EQ(result.files[2].rows_quarantined, 4u);
  EXPECT_EQ(result.files[4].rows_quarantined, 1u);
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data_.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = testing::ReadFile(entry.path().string());
    for (const char* nhs : {"9990000018", "9990000026", "9990000034", "9990000019", "9990000042"}) {
      EXPECT_EQ(bytes.find(nhs), std::string::npos) << nhs << " found in " << entry.path();
    }
  }
  EXPECT_GT(files, 30u);
}

TEST_F(IngestTest, TheLoadReportDescribesThePublishedLoad) {
  FullExtract().Write(extract_.path());
  IngestResult result;
  ASSERT_TRUE(Ingest(Options(extract_.path(), data_.path()), &result).ok());
  const auto report =
      nlohmann::json::parse(testing::ReadFile(data_ / "versions/v000001/load-report.json"));
  EXPECT_EQ(report["published"], true);
  EXPECT_EQ(report["version"], "v000001");
  EXPECT_EQ(report["quarantine"], result.quarantine_file);
  EXPECT_GT(report["write_seconds"].get<double>(), 0);
  EXPECT_EQ(report["files"]["events.csv"]["rows_loaded"], 5);
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &snap).ok());
  EXPECT_EQ(snap->manifest()["load"]["version"], "v000001");
  // Any kept version can be opened and verified, not only the current one.
  ASSERT_TRUE(Snapshot::OpenVersion(data_.path(), "v000001", &snap).ok());
  testing::WriteFile(data_ / "versions/v000001/manifest.checksum", "0000000000000000\n");
  EXPECT_EQ(Snapshot::OpenVersion(data_.path(), "v000001", &snap).kind(),
            Status::Kind::kCorruption);
}

TEST_F(IngestTest, LenientLoadsQuarantineWholeBranchesNotOrphans) {
  ExtractFiles x = FullExtract();
  // A PCN of an unknown type: its practice and that practice's patients go too.
  x.files["organisations.csv"] += "U00002,Broken PCN,network,LOC01,\n";
  x.files["organisations.csv"] += "J00003,Orphan Surgery,practice,U00002,\n";
  x.files["organisations.csv"] += "J00003-S1,Orphan branch,site,J00003,\n";
  x.files["patients.csv"] += "9990000042,1950-01-01,F,J00003,2000-01-01,,,,,,\n";
  x.Write(extract_.path());
  IngestOptions o = Options(extract_.path(), data_.path());
  o.lenient = true;
  IngestResult r;
  ASSERT_TRUE(Ingest(o, &r).ok());
  EXPECT_EQ(r.files[0].rows_quarantined, 3u);
  EXPECT_EQ(r.files[0].quarantined_by_rule["invalid-organisation-type"], 1u);
  EXPECT_EQ(r.files[0].quarantined_by_rule["unknown-parent"], 2u);
  EXPECT_EQ(r.files[1].quarantined_by_rule["unknown-practice"], 1u);
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &snap).ok());
  EXPECT_EQ(snap->rows("organisations"), 6u);
  for (uint32_t parent : snap->organisations().parent) {
    if (parent != kNoRow) {
      EXPECT_LT(parent, 6u);
    }
  }
  const std::string q = testing::ReadFile(r.quarantine_file);
  EXPECT_NE(q.find("parent J00003 is itself quarantined"), std::string::npos) << q;
}

TEST_F(IngestTest, SameExtractInAnyRowOrderGivesTheSameSnapshot) {
  ExtractFiles x = FullExtract();
  x.Write(extract_.path());
  IngestResult r1;
  ASSERT_TRUE(Ingest(Options(extract_.path(), data_.path()), &r1).ok());
  // Reverse the data rows of every file except where order within a day matters.
  TempDir reversed, data2;
  for (auto& [name, text] : x.files) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    std::string out = lines[0] + "\n";
    for (size_t i = lines.size(); i-- > 1;) out += lines[i] + "\n";
    if (name == "events.csv") out = text;  // two events share a date: order is kept
    testing::WriteFile(reversed / name, out);
  }
  IngestResult r2;
  ASSERT_TRUE(Ingest(Options(reversed.path(), data2.path()), &r2).ok());
  std::unique_ptr<Snapshot> a, b;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &a).ok());
  ASSERT_TRUE(Snapshot::Open(data2.path(), &b).ok());
  for (const auto& [table, tinfo] : a->manifest()["tables"].items()) {
    for (const auto& [column, cinfo] : tinfo["columns"].items()) {
      EXPECT_EQ(cinfo["checksum"], b->manifest()["tables"][table]["columns"][column]["checksum"])
          << table << "." << column;
    }
  }
}

TEST_F(IngestTest, NewLoadsMakeNewVersionsAndOldOnesArePruned) {
  FullExtract().Write(extract_.path());
  IngestOptions o = Options(extract_.path(), data_.path());
  o.keep_versions = 2;
  for (int i = 1; i <= 3; ++i) {
    IngestResult r;
    ASSERT_TRUE(Ingest(o, &r).ok());
    EXPECT_EQ(r.version, VersionName(static_cast<uint32_t>(i)));
  }
  EXPECT_FALSE(fs::exists(data_ / "versions/v000001"));
  EXPECT_TRUE(fs::exists(data_ / "versions/v000002"));
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &snap).ok());
  EXPECT_EQ(snap->version(), "v000003");
  EXPECT_TRUE(fs::is_empty(data_ / "tmp"));
}

TEST_F(IngestTest, ARejectedLoadLeavesThePublishedSnapshotUntouched) {
  FullExtract().Write(extract_.path());
  IngestResult first;
  ASSERT_TRUE(Ingest(Options(extract_.path(), data_.path()), &first).ok());
  const std::string current = testing::ReadFile(data_ / "CURRENT");

  ExtractFiles bad = FullExtract();
  bad.files["patients.csv"] += "9990000042,1950-01-01,X,J00001,2000-01-01,,,,,,\n";
  TempDir bad_extract;
  bad.Write(bad_extract.path());
  IngestResult second;
  const Status st = Ingest(Options(bad_extract.path(), data_.path()), &second);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("patient row(s) failed validation"), std::string::npos);
  EXPECT_FALSE(second.published);
  EXPECT_EQ(testing::ReadFile(data_ / "CURRENT"), current);
  EXPECT_FALSE(fs::exists(data_ / "versions/v000002"));
  // The rejected load keeps its quarantine for the analyst, with the row's reason.
  const std::string q = testing::ReadFile(second.quarantine_file);
  EXPECT_NE(q.find("patients.csv,5,sex,unknown-sex"), std::string::npos) << q;
  EXPECT_TRUE(fs::exists(second.rejected_dir + "/load-report.json"));
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &snap).ok());
  EXPECT_EQ(snap->version(), "v000001");

  // --lenient loads the rest.
  IngestOptions lenient = Options(bad_extract.path(), data_.path());
  lenient.lenient = true;
  IngestResult third;
  ASSERT_TRUE(Ingest(lenient, &third).ok());
  EXPECT_EQ(third.files[1].rows_quarantined, 1u);
  EXPECT_EQ(third.files[1].rows_loaded, 3u);
}

TEST_F(IngestTest, MaxErrorsCapsQuarantinedEventRows) {
  ExtractFiles x = FullExtract();
  x.files["events.csv"] += "9990000018,2019-13-01,38341003,,\n";
  x.files["medications.csv"] += "9990000018,2018-01-01,42109611000001109,two\n";
  x.Write(extract_.path());
  IngestOptions o = Options(extract_.path(), data_.path());
  o.max_errors = 1;
  IngestResult r;
  const Status st = Ingest(o, &r);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("more than --max-errors 1"), std::string::npos);
  EXPECT_FALSE(fs::exists(data_ / "CURRENT"));
  o.max_errors = 2;
  IngestResult r2;
  EXPECT_TRUE(Ingest(o, &r2).ok());
}

TEST_F(IngestTest, FutureAppointmentsLoadWhenBookedOrCancelled) {
  ExtractFiles x = FullExtract();
  x.files["appointments.csv"] += "J00001,9990000018,2019-07-15,2019-06-20,gp,telephone,booked,10\n";
  x.files["appointments.csv"] +=
      "J00001,9990000018,2019-07-16,2019-06-20,gp,telephone,cancelled,\n";
  x.files["appointments.csv"] += "J00001,9990000018,2019-07-17,2019-06-20,gp,telephone,attended,\n";
  x.Write(extract_.path());
  IngestResult r;
  ASSERT_TRUE(Ingest(Options(extract_.path(), data_.path()), &r).ok());
  EXPECT_EQ(r.files[4].rows_loaded, 5u);
  EXPECT_EQ(r.files[4].quarantined_by_rule["invalid-value"], 1u);
}

TEST_F(IngestTest, RejectedLoadsAreNumberedAndTheTenNewestKept) {
  ExtractFiles bad = FullExtract();
  bad.files["patients.csv"] += "9990000019,1950-01-01,F,J00001,2000-01-01,,,,,,\n";
  bad.Write(extract_.path());
  std::string last_quarantine;
  for (int i = 0; i < 12; ++i) {
    IngestResult r;
    ASSERT_EQ(Ingest(Options(extract_.path(), data_.path()), &r).kind(), Status::Kind::kData);
    last_quarantine = r.quarantine_file;
    ASSERT_TRUE(fs::exists(last_quarantine)) << last_quarantine;
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(data_ / "rejected")) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names.front().substr(0, 8), "r000003-");
  EXPECT_EQ(names.back().substr(0, 8), "r000012-");
}

TEST_F(IngestTest, AKeyChangeIsReportedEvenAcrossAPatientIdLoad) {
  FullExtract().Write(extract_.path());
  IngestResult first;
  ASSERT_TRUE(Ingest(Options(extract_.path(), data_.path()), &first).ok());
  EXPECT_TRUE(first.warnings.empty());
  TempDir ids;
  ExtractFiles y;
  y.files["patients.csv"] =
      "patient_id,date_of_birth,sex,practice_code,registered_from\n"
      "p-1,1950-01-01,F,J00001,1990-01-01\n";
  y.Write(ids.path());
  IngestResult second;
  ASSERT_TRUE(Ingest(Options(ids.path(), data_.path()), &second).ok());
  EXPECT_TRUE(second.warnings.empty());
  ::setenv("POPULUS_PSEUDO_KEY", "another-key-0123456789abcdef0123456789abcdef", 1);
  IngestResult third;
  ASSERT_TRUE(Ingest(Options(extract_.path(), data_.path()), &third).ok());
  ASSERT_EQ(third.warnings.size(), 1u);
  EXPECT_NE(third.warnings[0].find("differs from the one that made v000001"), std::string::npos);
}

TEST_F(IngestTest, NhsNumbersNeedAKey) {
  ::unsetenv("POPULUS_PSEUDO_KEY");
  FullExtract().Write(extract_.path());
  IngestResult r;
  const Status st = Ingest(Options(extract_.path(), data_.path()), &r);
  EXPECT_EQ(st.kind(), Status::Kind::kUsage);
  EXPECT_NE(st.message().find("--key-file"), std::string::npos);
  EXPECT_FALSE(fs::exists(data_ / "CURRENT"));
  IngestOptions demo = Options(extract_.path(), data_.path());
  demo.demo = true;
  ASSERT_TRUE(Ingest(demo, &r).ok());
  EXPECT_TRUE(fs::exists(data_ / "pseudo.key"));
}

TEST_F(IngestTest, PrePseudonymisedIdentifiersNeedNoKey) {
  ::unsetenv("POPULUS_PSEUDO_KEY");
  ExtractFiles x;
  x.files["patients.csv"] =
      "patient_id,date_of_birth,sex,practice_code,registered_from\n"
      "p-001,1950-01-01,F,J00001,1990-01-01\n"
      "p-002,1960-01-01,M,J00002,1990-01-01\n";
  x.files["events.csv"] = "patient,date,snomed_code\np-002,2010-01-01,73211009\n";
  // An NHS number in the patient_id column is refused, and masked in the quarantine.
  x.files["patients.csv"] += "9990000042,1970-01-01,M,J00001,1990-01-01\n";
  x.Write(extract_.path());
  IngestResult r;
  IngestOptions o = Options(extract_.path(), data_.path());
  o.lenient = true;
  ASSERT_TRUE(Ingest(o, &r).ok());
  EXPECT_EQ(r.files[1].quarantined_by_rule["identifier-is-nhs-number"], 1u);
  EXPECT_EQ(testing::ReadFile(r.quarantine_file).find("9990000042"), std::string::npos);
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(data_.path(), &snap).ok());
  EXPECT_EQ(snap->patients().pseudonym[1], "p-002");
  EXPECT_EQ(snap->events().range(1), (std::pair<uint64_t, uint64_t>{0, 1}));
  EXPECT_EQ(snap->manifest()["patient_identifier"], "patient-id");
}

TEST_F(IngestTest, UnknownFilesAndColumnsAreRefusedNotIgnored) {
  ExtractFiles x = FullExtract();
  x.files["event.csv"] = "patient,date,snomed_code\n";
  x.Write(extract_.path());
  IngestResult r;
  Status st = Ingest(Options(extract_.path(), data_.path()), &r);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("event.csv"), std::string::npos);

  TempDir other;
  ExtractFiles y = FullExtract();
  y.files["events.csv"] = "patient,date,snomed_code,value\n";
  y.Write(other.path());
  st = Ingest(Options(other.path(), data_.path()), &r);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("'value' is not a column of events.csv"), std::string::npos);
  EXPECT_NE(st.message().find("line 1 column 4"), std::string::npos);
}

}  // namespace
}  // namespace populus
