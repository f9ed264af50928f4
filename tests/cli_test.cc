// The populus command as a user runs it: exit codes, output, crash safety.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/snapshot.h"
#include "test_support.h"

namespace populus {
namespace {
namespace fs = std::filesystem;
using testing::ExtractFiles;
using testing::RunPopulus;
using testing::RunResult;
using testing::TempDir;

const std::map<std::string, std::string> kKeyEnv = {{"POPULUS_PSEUDO_KEY", testing::kTestKey}};

TEST(Cli, ExitCodesFollowTheContract) {
  EXPECT_EQ(RunPopulus({}).exit_code, 1);
  EXPECT_EQ(RunPopulus({"frobnicate"}).exit_code, 1);
  EXPECT_EQ(RunPopulus({"ingest"}).exit_code, 1);
  EXPECT_EQ(RunPopulus({"--help"}).exit_code, 0);
  RunResult help = RunPopulus({"ingest", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--max-errors"), std::string::npos);
  TempDir empty;
  RunResult info = RunPopulus({"info", empty.path()});
  EXPECT_EQ(info.exit_code, 2);
  EXPECT_NE(info.err.find("no published snapshot"), std::string::npos);
}

TEST(Cli, IngestThenInfo) {
  TempDir extract, data;
  ExtractFiles x;
  x.files["events.csv"] =
      "patient,date,snomed_code,numeric_value,unit\n"
      "9990000018,2015-01-01,38341003,,\n"
      "9990000018,2019-13-01,38341003,,\n";
  x.Write(extract.path());
  RunResult r = RunPopulus(
      {"ingest", extract.path(), "--into", data.path(), "--extract-date", "2019-06-30"}, kKeyEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("published snapshot v000001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("invalid-date"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("events.csv line 3, date: date '2019-13-01' is not a valid date"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.err, "");  // not a terminal: no progress bar

  RunResult info = RunPopulus({"info", data.path()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("snapshot v000001"), std::string::npos);
  EXPECT_NE(info.out.find("1 ics, 1 locality, 1 pcn, 2 practice, 1 site"), std::string::npos)
      << info.out;
  RunResult json = RunPopulus({"info", data.path(), "--json"});
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["tables"]["patients"]["rows"], 3);
  EXPECT_EQ(j["tables"]["events"]["rows"], 1);
  EXPECT_EQ(j["tables"]["events"]["date_range"]["min"], "2015-01-01");

  RunResult ingest_json = RunPopulus(
      {"ingest", extract.path(), "--into", data.path(), "--extract-date", "2019-06-30", "--json"},
      kKeyEnv);
  ASSERT_EQ(ingest_json.exit_code, 0);
  auto ij = nlohmann::json::parse(ingest_json.out);
  EXPECT_EQ(ij["version"], "v000002");
  EXPECT_EQ(ij["files"]["events.csv"]["quarantined_by_rule"]["invalid-date"], 1);
}

TEST(Cli, ProgressIsShownWhenAskedAndNeverOnStdout) {
  TempDir extract, data;
  ExtractFiles().Write(extract.path());
  RunResult r =
      RunPopulus({"ingest", extract.path(), "--into", data.path(), "--progress"}, kKeyEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("reading patients.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("MB/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("100%"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("reading patients.csv"), std::string::npos);
  RunResult quiet =
      RunPopulus({"ingest", extract.path(), "--into", data.path(), "--no-progress"}, kKeyEnv);
  EXPECT_EQ(quiet.err, "");
}

TEST(Cli, BadInputExitsTwoAndUsageExitsOne) {
  TempDir extract, data;
  ExtractFiles x;
  x.files["patients.csv"] += "9990000019,1950-01-01,F,J00001,2000-01-01,,,,,,\n";
  x.Write(extract.path());
  RunResult r = RunPopulus({"ingest", extract.path(), "--into", data.path()}, kKeyEnv);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("load rejected"), std::string::npos);
  EXPECT_NE(r.err.find("patient row(s) failed validation"), std::string::npos);
  RunResult no_key = RunPopulus({"ingest", extract.path(), "--into", data.path()});
  EXPECT_EQ(no_key.exit_code, 1);
  RunResult bad_date = RunPopulus(
      {"ingest", extract.path(), "--into", data.path(), "--extract-date", "2019-02-30"}, kKeyEnv);
  EXPECT_EQ(bad_date.exit_code, 1);
}

TEST(Cli, AFlippedByteInAColumnIsReportedNotUsed) {
  TempDir extract, data;
  ExtractFiles().Write(extract.path());
  ASSERT_EQ(RunPopulus({"ingest", extract.path(), "--into", data.path()}, kKeyEnv).exit_code, 0);
  const std::string column = data / "versions/v000001/patients/date_of_birth.col";
  std::string bytes = testing::ReadFile(column);
  bytes[bytes.size() - 3] ^= 0x01;
  testing::WriteFile(column, bytes);
  RunResult r = RunPopulus({"info", data.path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("date_of_birth.col"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;

  // A damaged manifest or CURRENT pointer is caught too.
  testing::WriteFile(column,
                     std::string(bytes).replace(bytes.size() - 3, 1, 1,
                                                static_cast<char>(bytes[bytes.size() - 3] ^ 0x01)));
  ASSERT_EQ(RunPopulus({"info", data.path()}).exit_code, 0);
  std::string manifest = testing::ReadFile(data / "versions/v000001/manifest.json");
  manifest[manifest.find("\"rows\"") + 9] ^= 0x02;
  testing::WriteFile(data / "versions/v000001/manifest.json", manifest);
  RunResult m = RunPopulus({"info", data.path()});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("manifest.json"), std::string::npos) << m.err;
}

// Ingests a second extract with the process killed by SIGKILL at a named
// point; the first snapshot must still be current, complete and verified, and
// the next load must succeed and clear the debris.
class CrashTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CrashTest, KillingIngestLosesNothing) {
  TempDir extract, data;
  ExtractFiles x;
  x.files["events.csv"] =
      "patient,date,snomed_code,numeric_value,unit\n"
      "9990000018,2015-01-01,38341003,,\n";
  x.Write(extract.path());
  ASSERT_EQ(RunPopulus({"ingest", extract.path(), "--into", data.path()}, kKeyEnv).exit_code, 0);
  const std::string before = testing::ReadFile(data / "CURRENT");

  x.files["events.csv"] += "9990000026,2016-01-01,73211009,,\n";
  x.Write(extract.path());
  auto env = kKeyEnv;
  env["POPULUS_CRASH_AT"] = GetParam();
  RunResult crashed = RunPopulus({"ingest", extract.path(), "--into", data.path()}, env);
  ASSERT_EQ(crashed.exit_code, 128 + SIGKILL) << "the crash point was not reached";

  std::unique_ptr<Snapshot> snap;
  const Status st = Snapshot::Open(data.path(), &snap);
  ASSERT_TRUE(st.ok()) << st.message();
  const bool published = std::string(GetParam()) == "publish-after-current";
  EXPECT_EQ(snap->version(), published ? "v000002" : "v000001");
  EXPECT_EQ(snap->rows("events"), published ? 2u : 1u);
  if (!published) {
    EXPECT_EQ(testing::ReadFile(data / "CURRENT"), before);
  }
  ASSERT_EQ(RunPopulus({"info", data.path()}).exit_code, 0);

  RunResult again = RunPopulus({"ingest", extract.path(), "--into", data.path()}, kKeyEnv);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(fs::is_empty(data / "tmp"));
  ASSERT_TRUE(Snapshot::Open(data.path(), &snap).ok());
  EXPECT_EQ(snap->rows("events"), 2u);
}

INSTANTIATE_TEST_SUITE_P(Points, CrashTest,
                         ::testing::Values("after-events", "write-organisations", "write-patients",
                                           "write-events", "write-all-tables",
                                           "publish-before-rename", "publish-before-current",
                                           "publish-after-current"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Kills a real load of a larger extract at a spread of moments, not only at
// named points.
TEST(CrashTiming, SigkillAtArbitraryMomentsLosesNothing) {
  TempDir extract, data;
  ExtractFiles x;
  std::string events = "patient,date,snomed_code,numeric_value,unit\n";
  for (int i = 0; i < 200000; ++i) {
    events += testing::kNhs[i % 3];
    events += ",2015-01-";
    events += std::to_string(10 + i % 19);
    events += ",72313002,";
    events += std::to_string(100 + i % 80);
    events += ",mmHg\n";
  }
  x.files["events.csv"] = events;
  x.Write(extract.path());
  ASSERT_EQ(RunPopulus({"ingest", extract.path(), "--into", data.path()}, kKeyEnv).exit_code, 0);
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(data.path(), &snap).ok());
  const uint64_t rows = snap->rows("events");
  ASSERT_EQ(rows, 200000u);

  for (int delay_ms : {5, 20, 40, 80, 120, 200, 300}) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("POPULUS_PSEUDO_KEY", testing::kTestKey, 1);
      const std::string binary = POPULUS_BINARY;
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl(binary.c_str(), binary.c_str(), "ingest", extract.path().c_str(), "--into",
              data.path().c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    const Status st = Snapshot::Open(data.path(), &snap);
    ASSERT_TRUE(st.ok()) << "after a kill at " << delay_ms << " ms: " << st.message();
    EXPECT_EQ(snap->rows("events"), rows);
  }
}

}  // namespace
}  // namespace populus
