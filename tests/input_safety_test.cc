// Bad input is refused with its file, line and reason and never silently
// loses rows (issue 11, items 2, 3 and 7): a stray quote cannot swallow the
// rest of a file, only regular files are read, and data files are checked
// against their declared columns.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "analysis/codelist.h"
#include "analysis/cohorts.h"
#include "analysis/criteria.h"
#include "analysis/frailty_index.h"
#include "analysis/indicators.h"
#include "analysis/registers.h"
#include "analysis/table.h"
#include "common/file_io.h"
#include "common/nhs_number.h"
#include "extract/csv_reader.h"
#include "ingest/quarantine.h"
#include "store/snapshot.h"
#include "test_support.h"

namespace populus {
namespace {
namespace fs = std::filesystem;
using testing::ExtractFiles;
using testing::ReadFile;
using testing::RunPopulus;
using testing::TempDir;
using testing::WriteFile;

const std::string kSource = testing::SourceDir();
const std::string kCodelists = kSource + "/data/codelists";
const Date kExtractDate = DaysFromCivil(2019, 6, 30);

// events.csv with `rows` good rows after the header.
std::string Events(int rows) {
  std::string text = "patient,date,snomed_code,numeric_value,unit\n";
  for (int i = 0; i < rows; ++i) {
    text += fmt::format("{},2019-01-{:02d},38341003,,\n", testing::kNhs[i % 3], 1 + i % 28);
  }
  return text;
}

TEST(StrayQuote, StopsTheReadAtTheLineWhereTheQuoteOpened) {
  TempDir dir;
  std::string text = Events(500);
  // Line 3 (the second row) opens a quote that never closes properly.
  const size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  text.insert(line3 + std::string("9990000018,2019-01-02,").size(), "\"");
  WriteFile(dir / "f.csv", text);
  CsvReader reader;
  ASSERT_TRUE(reader.Open(dir / "f.csv").ok());
  CsvRecord rec;
  int records = 0;
  while (reader.Next(&rec)) ++records;
  EXPECT_EQ(records, 2);  // the header and the first row
  EXPECT_EQ(reader.status().kind(), Status::Kind::kData);
  EXPECT_NE(reader.status().message().find("f.csv line 3: a quoted field opened on this line"),
            std::string::npos)
      << reader.status().message();
}

TEST(StrayQuote, AQuotedFieldOverSeveralLinesWithinTheBoundStillReads) {
  TempDir dir;
  std::string lines;
  for (uint64_t i = 0; i < kMaxQuotedFieldLineBreaks; ++i) lines += "x\n";
  WriteFile(dir / "f.csv", "a,b\n\"" + lines + "end\",2\n3,4\n");
  CsvReader reader;
  ASSERT_TRUE(reader.Open(dir / "f.csv").ok());
  CsvRecord rec;
  std::vector<uint64_t> starts;
  while (reader.Next(&rec)) {
    EXPECT_EQ(rec.problem, CsvProblem::kNone);
    starts.push_back(rec.line);
  }
  EXPECT_TRUE(reader.status().ok()) << reader.status().message();
  EXPECT_EQ(starts, (std::vector<uint64_t>{1, 2, 3 + kMaxQuotedFieldLineBreaks}));
  // One line break more is a stray quote; so is one very long line.
  WriteFile(dir / "g.csv", "a,b\n\"x\n" + lines + "end\",2\n");
  CsvReader more;
  ASSERT_TRUE(more.Open(dir / "g.csv").ok());
  while (more.Next(&rec)) {
  }
  EXPECT_NE(more.status().message().find("g.csv line 2:"), std::string::npos)
      << more.status().message();
  WriteFile(dir / "h.csv", "a,b\n1,\"" + std::string(kMaxQuotedFieldBytes + 10, 'y') + "\n");
  CsvReader wide;
  ASSERT_TRUE(wide.Open(dir / "h.csv").ok());
  while (wide.Next(&rec)) {
  }
  EXPECT_NE(wide.status().message().find("h.csv line 2:"), std::string::npos)
      << wide.status().message();
}

TEST(StrayQuote, NearTheEndOfTheFileStopsTheReadToo) {
  TempDir dir;
  // A quote opened three lines before the end: it would swallow two rows.
  WriteFile(dir / "f.csv", "a,b\n1,2\n3,\"4\n5,6\n7,8\n");
  CsvReader reader;
  ASSERT_TRUE(reader.Open(dir / "f.csv").ok());
  CsvRecord rec;
  int records = 0;
  while (reader.Next(&rec)) ++records;
  EXPECT_EQ(records, 2);
  EXPECT_NE(reader.status().message().find("f.csv line 3: a quoted field opened on this line is "
                                           "never closed"),
            std::string::npos)
      << reader.status().message();
  // On the last line it swallows nothing else: that record is quarantined.
  WriteFile(dir / "g.csv", "a,b\n1,2\n3,\"4\n");
  CsvReader last;
  ASSERT_TRUE(last.Open(dir / "g.csv").ok());
  std::vector<CsvProblem> problems;
  while (last.Next(&rec)) problems.push_back(rec.problem);
  EXPECT_TRUE(last.status().ok()) << last.status().message();
  EXPECT_EQ(problems.back(), CsvProblem::kUnterminatedQuote);
}

TEST(StrayQuote, FailsTheLoadAndKeepsThePublishedSnapshot) {
  TempDir dir;
  ExtractFiles x;
  x.files["events.csv"] = Events(300);
  x.Write(dir / "good");
  ASSERT_TRUE(testing::IngestWithTestKey(dir / "good", dir / "data", kExtractDate).ok());
  std::string bad = Events(300);
  bad.insert(bad.find('\n') + 1 + std::string("9990000018,2019-01-01,").size(), "\"");
  x.files["events.csv"] = bad;
  x.Write(dir / "bad");
  IngestResult result;
  const Status st = testing::IngestWithTestKey(dir / "bad", dir / "data", kExtractDate, &result);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("events.csv line 2"), std::string::npos) << st.message();
  EXPECT_FALSE(result.published);
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &snap).ok());
  EXPECT_EQ(snap->version(), "v000001");
  EXPECT_EQ(snap->rows("events"), 300u);
}

// Only regular files are read: what stands in a table's place and is not one
// is an error, never an absent table, a hang or a crash.
TEST(OnlyRegularFiles, ADanglingLinkAFifoAndADeviceAreRefused) {
  TempDir dir;
  ExtractFiles x;
  x.Write(dir / "x");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  const std::map<std::string, std::pair<std::string, std::string>> cases = {
      {"dangling", {dir / "nowhere.csv", "symbolic link to nothing"}},
      {"fifo", {dir / "fifo", "named pipe"}},
      {"device", {"/dev/zero", "a device"}},
      {"directory", {dir.path(), "a directory"}},
  };
  for (const auto& [name, target] : cases) {
    SCOPED_TRACE(name);
    fs::remove(dir / "x/events.csv");
    fs::create_symlink(target.first, dir / "x/events.csv");
    const auto run =
        RunPopulus({"ingest", dir / "x", "--into", dir / "data", "--extract-date", "2019-06-30"},
                   {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("events.csv"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(target.second), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("populus reads only regular files"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(dir / "data/CURRENT"));
  }
  // A dangling link in place of a file every extract needs says so too.
  fs::remove(dir / "x/events.csv");
  fs::remove(dir / "x/patients.csv");
  fs::create_symlink(dir / "gone.csv", dir / "x/patients.csv");
  const auto run =
      RunPopulus({"ingest", dir / "x", "--into", dir / "data", "--extract-date", "2019-06-30"},
                 {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("symbolic link to nothing"), std::string::npos) << run.err;
  // A link to a regular file is read like the file.
  fs::remove(dir / "x/patients.csv");
  WriteFile(dir / "real/patients.csv", x.files.at("patients.csv"));
  fs::create_symlink(dir / "real/patients.csv", dir / "x/patients.csv");
  ASSERT_TRUE(testing::IngestWithTestKey(dir / "x", dir / "data", kExtractDate).ok());
}

TEST(OnlyRegularFiles, FhirInputsToo) {
  TempDir dir;
  fs::create_directory(dir / "fhir");
  fs::create_symlink(dir / "gone.ndjson", dir / "fhir/Patient.000.ndjson");
  auto run = RunPopulus({"ingest", "--format", "fhir", dir / "fhir", "--into", dir / "data",
                         "--extract-date", "2019-06-30"},
                        {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("Patient.000.ndjson is a symbolic link to nothing"), std::string::npos)
      << run.err;
  fs::remove(dir / "fhir/Patient.000.ndjson");
  ASSERT_EQ(::mkfifo((dir / "fhir/Bundle.json").c_str(), 0644), 0);
  run = RunPopulus({"ingest", "--format", "fhir", dir / "fhir", "--into", dir / "data",
                    "--extract-date", "2019-06-30"},
                   {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("named pipe"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "data/CURRENT"));
}

TEST(OnlyRegularFiles, AFifoOrDeviceGivenAsTheFhirInputIsRefused) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "top.ndjson").c_str(), 0644), 0);
  for (const std::string& input : {dir / "top.ndjson", std::string("/dev/zero")}) {
    SCOPED_TRACE(input);
    const auto run = RunPopulus({"ingest", "--format", "fhir", input, "--into", dir / "data",
                                 "--extract-date", "2019-06-30"},
                                {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("populus reads only regular files"), std::string::npos) << run.err;
  }
  // In a FHIR input folder, what populus would not read is refused, not skipped.
  fs::create_directory(dir / "in");
  WriteFile(dir / "in/Patient.NDJSON", "");
  for (const std::string name : {"Condition.ndjson.gz", "Observation.json.zip"}) {
    SCOPED_TRACE(name);
    WriteFile(dir / ("in/" + name), "x");
    const auto run = RunPopulus({"ingest", "--format", "fhir", dir / "in", "--into", dir / "data",
                                 "--extract-date", "2019-06-30"},
                                {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find(name), std::string::npos) << run.err;
    fs::remove(dir / ("in/" + name));
  }
  WriteFile(dir / "in/more/Condition.000.ndjson", "");
  const auto run = RunPopulus({"ingest", "--format", "fhir", dir / "in", "--into", dir / "data",
                               "--extract-date", "2019-06-30"},
                              {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("a folder inside a FHIR input is not read"), std::string::npos) << run.err;
}

TEST(DataDirectory, AnEmptyOrRootIntoIsRefusedAndOnlyPopulusLoadFoldersAreCleared) {
  TempDir dir;
  ExtractFiles x;
  x.Write(dir / "x");
  for (const std::string& into : {std::string(""), std::string("/")}) {
    SCOPED_TRACE(into);
    const auto run =
        RunPopulus({"ingest", dir / "x", "--into", into, "--extract-date", "2019-06-30"},
                   {{"POPULUS_PSEUDO_KEY", testing::kTestKey}});
    EXPECT_EQ(run.exit_code, 1) << run.err;
  }
  EXPECT_FALSE(fs::exists("/versions"));
  EXPECT_FALSE(fs::exists("/.lock"));
  // The staging area: a dead load's folder is removed, anything else stays.
  ASSERT_TRUE(testing::IngestWithTestKey(dir / "x", dir / "data", kExtractDate).ok());
  WriteFile(dir / "data/tmp/load-20190101T000000Z-1/junk", "from a load that died");
  WriteFile(dir / "data/tmp/someone-elses.txt", "precious");
  ASSERT_TRUE(testing::IngestWithTestKey(dir / "x", dir / "data", kExtractDate).ok());
  EXPECT_FALSE(fs::exists(dir / "data/tmp/load-20190101T000000Z-1"));
  EXPECT_EQ(ReadFile(dir / "data/tmp/someone-elses.txt"), "precious");
}

TEST(OnlyRegularFiles, SmallFilesAndMappedFilesToo) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  std::string text;
  EXPECT_EQ(ReadSmallFile(dir / "fifo", &text).kind(), Status::Kind::kData);
  MappedFile mapped;
  EXPECT_EQ(mapped.Open("/dev/zero").kind(), Status::Kind::kData);
  EXPECT_EQ(mapped.Open(dir.path()).kind(), Status::Kind::kData);
  WriteFile(dir / "real", "abc");
  ASSERT_TRUE(ReadSmallFile(dir / "real", &text).ok());
  EXPECT_EQ(text, "abc");
}

// A row of a rule file short of its columns is refused with its line, never
// padded with empty fields (a lost criterion would silently widen a rule);
// an analyst's own table (populus stats) is still padded.
TEST(DeclaredColumns, AShortRowOfARuleFileIsRefusedNotPadded) {
  TempDir dir;
  const std::string registers = ReadFile(kSource + "/data/registers/ltc-registers.csv");
  const size_t second = registers.find('\n', registers.find('\n') + 1);
  std::string truncated = registers.substr(0, second);
  truncated = truncated.substr(0, truncated.rfind(',')) + registers.substr(second);
  WriteFile(dir / "rules.csv", truncated);
  std::vector<analysis::RegisterRule> rules;
  const Status st = analysis::LoadRegisterRules(dir / "rules.csv", kCodelists, &rules);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("rules.csv line 2: "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("fields, the header has"), std::string::npos) << st.message();

  WriteFile(dir / "mine.csv", "a,b,c\n1,2\n");
  Table t;
  ASSERT_TRUE(ReadTable(dir / "mine.csv", &t).ok());
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2", ""}));
  const Status declared = ReadTable(dir / "mine.csv", {{"a", "b", "c"}}, &t);
  EXPECT_EQ(declared.message(), dir / "mine.csv" + " line 2: 2 fields, the header has 3");
}

// A rule file with a column populus does not know, without one it needs, or
// with one twice is refused naming the file, so a misspelt column never
// silently drops what it holds.
TEST(DeclaredColumns, RuleFilesWithUnknownMissingOrDuplicatedColumnsAreRefused) {
  TempDir dir;
  const std::string registers = ReadFile(kSource + "/data/registers/ltc-registers.csv");
  const std::string header = registers.substr(0, registers.find('\n'));
  ASSERT_NE(header.find(",qualifier"), std::string::npos);
  auto load = [&](const std::string& new_header) {
    WriteFile(dir / "rules.csv", new_header + registers.substr(registers.find('\n')));
    std::vector<analysis::RegisterRule> rules;
    return analysis::LoadRegisterRules(dir / "rules.csv", kCodelists, &rules);
  };
  std::string misspelt = header;
  misspelt.replace(misspelt.find("qualifier"), 9, "qualifer");
  Status st = load(misspelt);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("rules.csv line 1: 'qualifer' is not a column of this file"),
            std::string::npos)
      << st.message();
  WriteFile(dir / "list.csv", "term\nDiabetes mellitus\n");
  analysis::Codelist list;
  st = analysis::ReadCodelist(dir / "list.csv", false, &list);
  EXPECT_NE(st.message().find("list.csv line 1: the column 'code' is missing"), std::string::npos)
      << st.message();
  st = load(header + ",Name");
  EXPECT_NE(st.message().find("column 'Name' appears twice"), std::string::npos) << st.message();
  EXPECT_TRUE(load(header).ok());

  // The other rule files are checked the same way.
  const std::pair<std::string, std::string> files[] = {
      {"data/indicators/indicators.csv", "multiplier"},
      {"data/segments/bridges-to-health.csv", "criterion"},
      {"data/multimorbidity/cambridge-score.csv", "weight"},
      {"data/worklists/worklists.csv", "show"},
      {"data/frailty/efi-deficits.csv", "window_days"},
      {"data/codelists/ltc/dm.csv", "term"},
  };
  for (const auto& [file, column] : files) {
    SCOPED_TRACE(file);
    std::string text = ReadFile(kSource + "/" + file);
    text.replace(text.find(column), column.size(), column + "s");
    const std::string copy = dir / fs::path(file).filename().string();
    WriteFile(copy, text);
    analysis::CriteriaContext context;
    context.codelist_root = kCodelists;
    analysis::CriteriaSet set(context);
    if (file.find("indicators") != std::string::npos) {
      std::vector<analysis::Indicator> out;
      st = analysis::LoadIndicators(copy, &set, &out);
    } else if (file.find("bridges") != std::string::npos) {
      analysis::Segmentation out;
      st = analysis::LoadSegmentation(copy, &set, &out);
    } else if (file.find("cambridge") != std::string::npos) {
      analysis::WeightedScore out;
      st = analysis::LoadWeightedScore(copy, &set, &out);
    } else if (file.find("worklists") != std::string::npos) {
      std::vector<analysis::Worklist> out;
      st = analysis::LoadWorklists(copy, &set, &out);
    } else if (file.find("efi") != std::string::npos) {
      analysis::EfiDefinition out;
      st = analysis::LoadEfiDefinition(copy, kSource + "/data/frailty/efi-categories.csv",
                                       kCodelists, &out);
    } else {
      analysis::Codelist out;
      st = analysis::ReadCodelist(copy, false, &out);
    }
    EXPECT_EQ(st.kind(), Status::Kind::kData);
    EXPECT_NE(st.message().find(copy + " line 1: '" + column + "s' is not a column"),
              std::string::npos)
        << st.message();
  }
}

TEST(DeclaredColumns, CodelistPathsStayInsideTheCodelistFolder) {
  TempDir dir;
  const std::string registers = ReadFile(kSource + "/data/registers/ltc-registers.csv");
  for (const std::string& path :
       {std::string("../registers/ltc-registers.csv"),
        std::string("ltc/../../codelists/ltc/af.csv"), kCodelists + "/ltc/af.csv"}) {
    SCOPED_TRACE(path);
    std::string text = registers;
    text.replace(text.find("ltc/af.csv"), 10, path);
    WriteFile(dir / "rules.csv", text);
    std::vector<analysis::RegisterRule> rules;
    const Status st = analysis::LoadRegisterRules(dir / "rules.csv", kCodelists, &rules);
    EXPECT_EQ(st.kind(), Status::Kind::kData);
    EXPECT_NE(st.message().find("rules.csv line 2: codelist '" + path + "'"), std::string::npos)
        << st.message();
  }
  // In a criterion too.
  analysis::CriteriaContext context;
  context.codelist_root = kCodelists;
  analysis::CriteriaSet set(context);
  int id = 0;
  const Status st = set.Add("coded:../registers/ltc-registers.csv", "test line 1", &id);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("climbs out of the folder"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace populus

namespace populus {
namespace {

// Every option is checked before any work: a bad value is a usage error
// (exit 1) naming the option, and nothing is written (issue 11, item 8).
TEST(OptionValues, BadValuesAreUsageErrorsNamingTheOption) {
  TempDir dir;
  const std::string out = dir / "out";
  const std::vector<std::vector<std::string>> bad = {
      {"generate", "--out", out, "--scale", "nan"},
      {"generate", "--out", out, "--scale", "inf"},
      {"generate", "--out", out, "--scale", "1e300"},
      {"generate", "--out", out, "--scale", "1e12"},
      {"generate", "--out", out, "--scale", "0"},
      {"generate", "--out", out, "--scale", "-0.5"},
      {"generate", "--out", out, "--scale", "1e-300"},
      {"generate", "--out", out, "--seed", "-1"},
      {"generate", "--out", out, "--seed", "18446744073709551616"},
      {"generate", "--out", out, "--seed", "12abc"},
      {"generate", "--out", out, "--threads", "600"},
      {"generate", "--out", out, "--threads", "0"},
      {"project", "--out", out, "--scale", "nan"},
      {"project", "--out", out, "--to", "99999"},
      {"project", "--out", out, "--threads", "-2"},
      {"analyse", dir / "data", "--out", out, "--as-of", ""},
      {"analyse", dir / "data", "--out", out, "--as-of", "2019-02-30"},
      {"ingest", dir / "x", "--into", dir / "data", "--extract-date", ""},
      {"ingest", dir / "x", "--into", dir / "data", "--max-errors", "-5"},
      {"ingest", dir / "x", "--into", dir / "data", "--keep-versions", "-1"},
  };
  for (const auto& args : bad) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(args, " ")));
    const auto run = RunPopulus(args);
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find("--"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(dir / "data"));
  }
  const std::string props = kSource + "/tests/data/phe-indicator-methods/funnel_prop_inputs.csv";
  for (const char* multiplier : {"inf", "1e400", "nan", "-100", "0"}) {
    SCOPED_TRACE(multiplier);
    const auto run = RunPopulus({"stats", "proportion", "--input", props, "--multiplier",
                                 multiplier, "--output", dir / "p.csv"});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find("--multiplier"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(dir / "p.csv"));
  }
}

// Bad values inside the tables stats and qrisk3 are given, and inside a
// scenario, are data errors naming the file, line and column.
TEST(OptionValues, BadValuesInInputTablesNameFileLineAndColumn) {
  TempDir dir;
  auto expect = [&](const std::vector<std::string>& args, const std::string& message) {
    SCOPED_TRACE(message);
    const auto run = RunPopulus(args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
  };
  WriteFile(dir / "dsr.csv", "area,count,pop\nA,-3,100\n");
  expect({"stats", "dsr", "--input", dir / "dsr.csv"},
         "dsr.csv line 2: count must be 0 or more, not -3");
  std::string bands = "area,count,pop\n";
  for (int b = 0; b < 19; ++b) bands += fmt::format("A,{},1000\n", b + 1);
  WriteFile(dir / "bands.csv", bands);
  WriteFile(
      dir / "zeros.csv", "stdpop\n" + [] {
        std::string z;
        for (int b = 0; b < 19; ++b) z += "0\n";
        return z;
      }());
  expect({"stats", "dsr", "--input", dir / "bands.csv", "--stdpop", dir / "zeros.csv"},
         "zeros.csv: every weight is 0");
  WriteFile(dir / "funnel.csv", "numerator,denominator\n-1,10\n");
  expect({"stats", "funnel", "--statistic", "proportion", "--multiplier", "100", "--input",
          dir / "funnel.csv"},
         "funnel.csv line 2: numerator must be 0 or more");

  // QRISK3: the published first test row, then one field spoilt at a time.
  const std::string vectors = testing::SourceDir() + "/tests/data/qrisk3/qrisk3_2017_test.csv";
  const std::string text = ReadFile(vectors);
  const size_t end_of_row = text.find('\n', text.find('\n') + 1);
  const std::string header = text.substr(0, text.find('\n'));
  const std::string row = text.substr(text.find('\n') + 1, end_of_row - text.find('\n') - 1);
  auto spoil = [&](const std::string& column, const std::string& value) {
    std::vector<std::string> names, fields;
    for (size_t from = 0, to; from <= header.size(); from = to + 1) {
      to = std::min(header.find(',', from), header.size());
      names.push_back(header.substr(from, to - from));
    }
    for (size_t from = 0, to; from <= row.size(); from = to + 1) {
      to = std::min(row.find(',', from), row.size());
      fields.push_back(row.substr(from, to - from));
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == column) fields[i] = value;
    }
    WriteFile(dir / "q.csv", header + "\n" + fmt::format("{}", fmt::join(fields, ",")) + "\n");
    return dir / "q.csv";
  };
  expect({"qrisk3", "--input", spoil("ethrisk", "3.5")},
         "q.csv line 2 column ethrisk: '3.5' is not a whole number from 1 to 9");
  expect({"qrisk3", "--input", spoil("height", "-170")},
         "q.csv line 2 column height: '-170' must be above 0");
  expect({"qrisk3", "--input", spoil("smoke_cat", "6")},
         "q.csv line 2 column smoke_cat: '6' is not a whole number from 1 to 5");
  expect({"qrisk3", "--input", spoil("smoke_cat", "5"), "--smoke-cat-from", "0"},
         "q.csv line 2 column smoke_cat: '5' is not a whole number from 0 to 4");
  const auto good = RunPopulus({"qrisk3", "--input", spoil("ethrisk", "2")});
  EXPECT_EQ(good.exit_code, 0) << good.err;

  // A scenario multiplier that is not a number.
  WriteFile(dir / "s.toml",
            "name = \"x\"\ndescription = \"x\"\n[[incidence]]\ncondition = \"DM\"\n"
            "multiplier = nan\nfrom = \"2020-04-01\"\n");
  expect({"project", "--scale", "0.001", "--to", "2020", "--scenario", dir / "s.toml", "--out",
          dir / "p"},
         "multiplier");
  EXPECT_FALSE(fs::exists(dir / "p"));
}

// Twelve digits are no NHS number; ten are (issue 11, item 9).
TEST(NhsNumberShapes, OnlyTenDigitRunsAndTheSpacedFormAreMasked) {
  EXPECT_EQ(MaskNhsNumberRuns("Poole Bay 123456789012"), "Poole Bay 123456789012");
  EXPECT_EQ(MaskNhsNumberRuns("Poole Bay 12345678901"), "Poole Bay 12345678901");
  EXPECT_EQ(MaskNhsNumberRuns("ref 9434765919 seen"), "ref ********** seen");
  EXPECT_EQ(MaskNhsNumberRuns("ref 943 476 5919"), "ref *** *** ****");
  EXPECT_FALSE(ContainsNhsNumberShape("Poole Bay 123456789012"));
  EXPECT_TRUE(ContainsNhsNumberShape("Poole Bay 9434765919"));
}

TEST(NhsNumberShapes, ALongNumberInAnOrganisationNameLoadsAndControlBytesDoNot) {
  TempDir dir;
  ExtractFiles x;
  std::string& orgs = x.files["organisations.csv"];
  orgs.replace(orgs.find("Poole Bay,"), 10, "Poole Bay 123456789012,");
  x.Write(dir / "x");
  IngestResult result;
  ASSERT_TRUE(testing::IngestWithTestKey(dir / "x", dir / "data", kExtractDate, &result).ok());
  // A NUL byte in an event's unit is quarantined, named, and never stored.
  x.files["events.csv"] = "patient,date,snomed_code,numeric_value,unit\n" +
                          std::string(testing::kNhs[0]) + ",2019-01-01,271649006,140,mm" +
                          std::string(1, '\0') + "Hg\n" + testing::kNhs[0] +
                          ",2019-01-02,271649006,141,mm\x1bHg\n" + testing::kNhs[0] +
                          ",2019-01-03,271649006,142,mm[Hg]\n";
  x.Write(dir / "y");
  ASSERT_TRUE(testing::IngestWithTestKey(dir / "y", dir / "data", kExtractDate, &result).ok());
  const std::string quarantine = ReadFile(result.quarantine_file);
  EXPECT_NE(quarantine.find("events.csv,2,unit,control-character"), std::string::npos)
      << quarantine;
  EXPECT_NE(quarantine.find("events.csv,3,unit,control-character"), std::string::npos)
      << quarantine;
  EXPECT_EQ(quarantine.find('\0'), std::string::npos);
  std::unique_ptr<Snapshot> snap;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &snap).ok());
  EXPECT_EQ(snap->rows("events"), 1u);
  // In an organisation's name it rejects the load, as any bad organisation.
  orgs.replace(orgs.find("Harbour Surgery,"), 16, std::string("Harbour\x01Surgery,"));
  x.Write(dir / "z");
  EXPECT_EQ(testing::IngestWithTestKey(dir / "z", dir / "data", kExtractDate).kind(),
            Status::Kind::kData);
}

}  // namespace
}  // namespace populus
