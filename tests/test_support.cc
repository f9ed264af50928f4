#include "test_support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace populus::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "populus-test-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ExtractFiles::ExtractFiles() {
  files["organisations.csv"] =
      "code,name,type,parent_code,postcode\n"
      "QVV,Test ICS,ics,,\n"
      "LOC01,Poole Bay,locality,QVV,\n"
      "U00001,Poole Bay PCN,pcn,LOC01,\n"
      "J00001,Harbour Surgery,practice,U00001,BH15 1AA\n"
      "J00002,Quay Medical Centre,practice,U00001,BH15 2BB\n"
      "J00001-S1,Harbour Surgery main site,site,J00001,BH15 1AA\n";
  files["patients.csv"] =
      "nhs_number,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death,"
      "lsoa,imd_decile,ethnicity,care_home\n"
      "9990000018,1940-05-01,F,J00001,1990-01-01,,,E01015432,3,494131000000105,1\n"
      "9990000026,1975-11-30,M,J00002,2000-06-01,,2019-03-01,E01015433,8,,0\n"
      "9990000034,2010-02-14,F,J00001,2010-02-14,2018-12-31,,,,,\n";
}

void ExtractFiles::Write(const std::string& dir) const {
  for (const auto& [name, contents] : files) WriteFile(dir + "/" + name, contents);
}

RunResult RunPopulus(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env) {
  TempDir capture;
  const std::string out_path = capture / "out";
  const std::string err_path = capture / "err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::unsetenv("POPULUS_PSEUDO_KEY");
    ::unsetenv("POPULUS_CRASH_AT");
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = POPULUS_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copies(args);
    for (auto& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

std::string SourceDir() { return POPULUS_SOURCE_DIR; }
std::string SharedDir() {
  if (const char* dir = std::getenv("POPULUS_SHARED_DIR"); dir != nullptr && *dir != '\0')
    return dir;
  return (fs::path(POPULUS_SOURCE_DIR).parent_path() / "shared").string();
}

std::string RulePackCopy(const std::string& dir, const std::string& from, const std::string& to) {
  const std::string data = SourceDir() + "/data/";
  std::string pack = ReadFile(data + "rules.toml");
  // Every quoted value in the manifest is a path.
  for (size_t q = pack.find("= \""); q != std::string::npos; q = pack.find("= \"", q + 3)) {
    pack.insert(q + 3, data);
  }
  if (!from.empty()) {
    const size_t at = pack.find(from);
    if (at == std::string::npos) return std::string();
    pack.replace(at, from.size(), to);
  }
  const std::string path = dir + "/rules.toml";
  WriteFile(path, pack);
  return path;
}

Status IngestWithTestKey(const std::string& extract_dir, const std::string& data_dir,
                         Date extract_date, IngestResult* result) {
  ::setenv("POPULUS_PSEUDO_KEY", kTestKey, 1);
  IngestOptions o;
  o.extract_dir = extract_dir;
  o.data_dir = data_dir;
  o.extract_date = extract_date;
  o.progress = ProgressBar::Mode::kNever;
  IngestResult r;
  const Status st = Ingest(o, result ? result : &r);
  ::unsetenv("POPULUS_PSEUDO_KEY");
  return st;
}

}  // namespace populus::testing
