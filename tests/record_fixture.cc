#include "record_fixture.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace populus::testing {

std::string RecordFixtureDir() { return POPULUS_RECORD_FIXTURE; }
std::string RecordFixtureSummary() { return std::string(POPULUS_RECORD_FIXTURE) + ".json"; }

void EnsureRecordFixture() {
  namespace fs = std::filesystem;
  if (fs::exists(RecordFixtureDir() + "/calibration.csv") && fs::exists(RecordFixtureSummary())) {
    return;
  }
  // The command of the fixture test in tests/CMakeLists.txt.
  const RunResult run = RunPopulus(
      {"generate", "--config", SourceDir() + "/data/ics/dorset-like.toml", "--scale", "0.0625",
       "--threads", "2", "--overwrite", "--out", RecordFixtureDir(), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  WriteFile(RecordFixtureSummary(), run.out);
}

}  // namespace populus::testing
