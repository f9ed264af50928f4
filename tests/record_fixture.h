// The small generated ICS that the clinical record suites read
// (clinical_record_test.cc, generated_ics_test.cc): made once per ctest run
// by the fixture test in tests/CMakeLists.txt, which runs
// `populus generate --json` and keeps its summary beside the extract.
#pragma once

#include <string>

namespace populus::testing {

inline constexpr double kRecordFixtureScale = 0.0625;  // about 50,000 registered

// The extract's folder, and the file holding what `populus generate --json`
// printed when it made it.
std::string RecordFixtureDir();
std::string RecordFixtureSummary();
// Makes the fixture as ctest's fixture test does, when it is not there (a
// suite run by hand); a test failure when it cannot.
void EnsureRecordFixture();

}  // namespace populus::testing
