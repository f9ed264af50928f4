// Helpers shared by the tests: temporary directories, hand-made extracts and
// running the populus binary.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/status.h"
#include "ingest/ingest.h"

namespace populus::testing {

// A fresh directory under the system temporary directory, removed at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);

// Valid NHS numbers in the 999 test range, and one with a bad check digit.
inline constexpr const char* kNhs[] = {"9990000018", "9990000026", "9990000034", "9990000042",
                                       "9990000050", "9990000069", "9990000077", "9990000085"};
inline constexpr const char* kBadCheckDigit = "9990000019";
inline constexpr const char* kTestKey = "populus-test-key-0123456789abcdef0123456789";

// Loads an extract into a data directory with the test key (strict policy,
// no progress bar); `result`, when given, gets the load's summary.
Status IngestWithTestKey(const std::string& extract_dir, const std::string& data_dir,
                         Date extract_date, IngestResult* result = nullptr);

// A small, valid extract: an ICS, a locality, a PCN, two practices and a site;
// three patients (kNhs[0..2]); files may be replaced or added by name.
struct ExtractFiles {
  std::map<std::string, std::string> files;
  ExtractFiles();
  void Write(const std::string& dir) const;
};

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs the populus binary with arguments and extra environment variables.
RunResult RunPopulus(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {});

std::string SourceDir();

// A copy of data/rules.toml written as DIR/rules.toml, every path in it made
// absolute (the source tree's files), with the first `from` replaced by
// `to`; its path, or "" when `from` is not in it.
std::string RulePackCopy(const std::string& dir, const std::string& from = "",
                         const std::string& to = "");
// The shared reference data: $POPULUS_SHARED_DIR, else ../shared beside the repository.
std::string SharedDir();

}  // namespace populus::testing
