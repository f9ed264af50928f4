// The synthetic ICS: determinism, the codelists it codes from, and refusal of
// bad configurations. Its calibration, its people and the round trip into
// ingest are checked on the generated system the record suites share
// (generated_ics_test.cc), made once per run.
#include "synth/generate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/nhs_number.h"
#include "common/snomed_id.h"
#include "extract/csv_reader.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "synth/synthetic_ics.h"
#include "test_support.h"

namespace populus::synth {
namespace {
namespace fs = std::filesystem;
using populus::testing::ReadFile;
using populus::testing::TempDir;
using populus::testing::WriteFile;

const std::string kConfig = populus::testing::SourceDir() + "/data/ics/dorset-like.toml";
constexpr double kSmall = 0.0625;  // about 50,000 people
constexpr double kTiny = 0.005;    // about 4,000 people, for what the size does not matter to

GenerateOptions Small(const std::string& out, int threads = 2) {
  GenerateOptions o;
  o.config_path = kConfig;
  o.data_root = populus::testing::SourceDir();
  o.out_dir = out;
  o.threads = threads;
  o.scale = kSmall;
  return o;
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  CsvReader reader;
  EXPECT_TRUE(reader.Open(path).ok());
  std::vector<std::vector<std::string>> rows;
  CsvRecord rec;
  while (reader.Next(&rec)) rows.emplace_back(rec.fields.begin(), rec.fields.end());
  return rows;
}

TEST(Generate, OutputIsByteIdenticalWhateverTheThreadCount) {
  TempDir dir;
  GenerateResult r1, r4;
  ASSERT_TRUE(Generate(Small(dir / "one", 1), &r1).ok());
  ASSERT_TRUE(Generate(Small(dir / "four", 4), &r4).ok());
  for (const char* file : {"organisations.csv", "patients.csv", "calibration.csv", "events.csv",
                           "medications.csv", "appointments.csv", "hospital_activity.csv"}) {
    const std::string a = ReadFile(dir / (std::string("one/") + file));
    EXPECT_FALSE(a.empty());
    EXPECT_TRUE(a == ReadFile(dir / (std::string("four/") + file))) << file;
  }
  // A different seed makes a different population (shown on a smaller
  // system, which is quicker to make twice).
  GenerateOptions same = Small(dir / "same");
  same.scale = kTiny;
  GenerateOptions other = same;
  other.out_dir = dir / "other";
  other.seed = 7;
  GenerateResult rs, r7;
  ASSERT_TRUE(Generate(same, &rs).ok());
  ASSERT_TRUE(Generate(other, &r7).ok());
  EXPECT_NE(ReadFile(dir / "same/patients.csv"), ReadFile(dir / "other/patients.csv"));
}

TEST(Codelists, EveryRegisterHasAValidCodelist) {
  // ../shared/reference/ltc/ltc_register_rules.csv lists the registers.
  const std::string rules = populus::testing::SharedDir() + "/reference/ltc/ltc_register_rules.csv";
  if (!fs::exists(rules)) GTEST_SKIP() << "no reference data at " << rules;
  size_t registers = 0;
  for (const auto& row : ReadCsv(rules)) {
    if (row[0] == "condition_code") continue;
    ++registers;
    std::string file = row[0];
    for (char& ch : file) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const auto codes =
        ReadCsv(populus::testing::SourceDir() + "/data/codelists/ltc/" + file + ".csv");
    ASSERT_GT(codes.size(), 1u) << row[0];
    EXPECT_EQ(codes[0], (std::vector<std::string>{"code", "term", "role"})) << row[0];
    for (size_t i = 1; i < codes.size(); ++i) {
      EXPECT_TRUE(IsSnomedConceptId(codes[i][0])) << file << ": " << codes[i][0];
      EXPECT_TRUE(codes[i][2] == "diagnosis" || codes[i][2] == "resolved") << file;
    }
  }
  EXPECT_EQ(registers, 37u);
}

TEST(Generate, PractisesDifferInDeprivation) {
  IcsConfig config;
  ASSERT_TRUE(LoadIcsConfig(kConfig, populus::testing::SourceDir(), &config).ok());
  const SyntheticIcs ics = BuildOrganisations(config);
  double lowest = 10, highest = 1;
  for (const Practice& p : ics.practices) {
    double mean = 0;
    for (uint32_t a : p.areas) mean += ics.areas[a].imd_decile;
    mean /= static_cast<double>(p.areas.size());
    lowest = std::min(lowest, mean);
    highest = std::max(highest, mean);
  }
  EXPECT_LT(lowest, 3.5);
  EXPECT_GT(highest, 8.0);
}

struct BadConfig {
  const char* name;
  const char* from;  // text in the default configuration
  const char* to;    // what it becomes
  const char* expected;
};

class GenerateRefuses : public ::testing::TestWithParam<BadConfig> {};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

TEST_P(GenerateRefuses, ABadConfigurationNamingFileKeyAndReason) {
  const BadConfig& c = GetParam();
  TempDir dir;
  std::string text = ReadFile(kConfig);
  const size_t at = text.find(c.from);
  ASSERT_NE(at, std::string::npos) << c.from;
  text.replace(at, std::string(c.from).size(), c.to);
  WriteFile(dir / "bad.toml", text);
  GenerateOptions o = Small(dir / "out");
  o.config_path = dir / "bad.toml";
  GenerateResult r;
  const Status st = Generate(o, &r);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("bad.toml"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(c.expected), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "out.partial"));
}

// clang-format off
const BadConfig kBad[] = {
  {"UnknownKey", "history_years = 10", "history_years = 10\nhistroy = 3", "key 'ics.histroy': is not a known key"},
  {"NegativeRate", "migration_out_rate = [0.040,", "migration_out_rate = [-0.040,", "key 'demography.migration_out_rate': value 1 is negative"},
  {"NotSummingToOne", "age_band_share = [0.048,", "age_band_share = [0.058,", "key 'population.age_band_share': the proportions sum to"},
  {"LocalityWithoutPractices", "pcns = 1\npractices = 5\nrural = false\nimd_mean = 5.0", "pcns = 1\npractices = 0\nrural = false\nimd_mean = 5.0", "a locality needs at least one practice"},
  {"PopulationsDoNotAddUp", "population = 88000", "population = 88001", "the localities' populations sum to 803001"},
  {"WrongLength", "care_home_share = [0.0, ", "care_home_share = [", "has 18 values; it needs 19"},
  {"UnknownMeasure", "measure = \"pharmacies\"", "measure = \"pharmacists\"", "'pharmacists' is not a measure"},
  {"BadDate", "baseline_date = \"2019-06-30\"", "baseline_date = \"2019-06-31\"", "key 'ics.baseline_date'"},
  {"TomlSyntax", "[practices]", "[practices", "line"},
  {"NotANumber", "imd_mean = 7.6", "imd_mean = nan", "key 'localities[1].imd_mean'"},
  {"Infinite", "list_size_spread = 0.8", "list_size_spread = inf", "key 'practices.list_size_spread': must be a finite number"},
  {"UnmeetableListSizes", "min_list_size = 2000", "min_list_size = 20000", "key 'localities[1].population': 88000 people cannot be shared among 8 practices"},
  {"TooLarge", "history_years = 10", "history_years = 4294967297", "key 'ics.history_years': is too large"},
  {"MissingCodelists", "codelists = \"data/codelists/ltc\"", "codelists = \"data/codelists/none\"", "key 'conditions.codelists': 'data/codelists/none' is not a directory"},
  {"UnknownStaffRole", "dietitian = 0.003", "dietician = 0.003", "key 'activity.staff_role_share.dietician': is not a staff role"},
  {"StaffRoleTwice", "dietitian = 0.003", "dietitian = 0.003\nGP = 0.0", "is the same role as"},
  {"StaffRolesNotSummingToOne", "dietitian = 0.003", "dietitian = 0.103", "key 'activity.staff_role_share': the shares sum to"},
  {"NoProviders", "providers = [\"R9Z01\", \"R9Z02\", \"R9Z03\"]", "providers = []", "key 'activity.providers': needs at least one provider"},
  {"EndOfLifeShare", "end_of_life_recognition = 0.45", "end_of_life_recognition = 1.45", "key 'care.end_of_life_recognition'"},
  {"UnknownTrendCondition", "DM = 0.01,", "DIABETES = 0.01,", "key 'projection.incidence_change_per_year.DIABETES': not a condition"},
  {"FrailtyTargetAgeTooHigh", "target_from_age = 50", "target_from_age = 500", "key 'frailty.target_from_age': must be at most 110"},
  {"FrailtyAgeIsTheRulePacks", "target_from_age = 50", "target_from_age = 50\nfrom_age = 65", "key 'frailty.from_age': is not a known key"},
  {"MissingRulePack", "rules = \"data/rules.toml\"", "rules = \"data/none.toml\"", "key 'frailty.rules': the rule pack 'data/none.toml' is not a file"},
  {"IcsCodeIngestWouldRefuse", "code = \"QVV\"", "code = \"Q V V\"", "key 'ics.code': 'Q V V' is not an organisation code"},
  {"NameLikeAnNhsNumber", "name = \"East Dorset\"", "name = \"East Dorset 9434765919\"", "key 'localities[1].name': holds what looks like an NHS number"},
  {"NameWithAControlCharacter", "name = \"Dorset-like", "name = \"\\u0007Dorset-like", "key 'ics.name': holds a control character"},
  {"BaselineIngestWouldRefuse", "baseline_date = \"2019-06-30\"", "baseline_date = \"1800-06-30\"", "key 'ics.baseline_date': 1800-06-30 is not from 1980-01-01"},
  {"MissingDeficitTable", "deficit_table = \"data/frailty/deficit-prevalence.csv\"", "deficit_table = \"data/frailty/none.csv\"", "key 'frailty.deficit_table'"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Configs, GenerateRefuses, ::testing::ValuesIn(kBad),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// A bad data file behind the configuration (care processes, prescribing
// rules, the eFI definition, the deficit table) is refused with its file, line
// and reason, before anything is written.
struct BadDataFile {
  const char* name;
  const char* file;  // under the source directory; the configuration names it so
  const char* from;
  const char* to;
  const char* expected;
};

class GenerateRefusesData : public ::testing::TestWithParam<BadDataFile> {};

TEST_P(GenerateRefusesData, NamingFileLineAndReason) {
  const BadDataFile& c = GetParam();
  TempDir dir;
  std::string data = ReadFile(populus::testing::SourceDir() + "/" + c.file);
  const size_t at = data.find(c.from);
  ASSERT_NE(at, std::string::npos) << c.from;
  data.replace(at, std::string(c.from).size(), c.to);
  const std::string copy = dir / fs::path(c.file).filename().string();
  WriteFile(copy, data);
  std::string config = ReadFile(kConfig);
  const std::string quoted = std::string("\"") + c.file + "\"";
  if (config.find(quoted) == std::string::npos) {
    // A file of the rule pack (the eFI's): a copy of the pack names it, with
    // its other paths pointing back at the source tree.
    const std::string named = "\"" + populus::testing::SourceDir() + "/" + c.file + "\"";
    const std::string pack = populus::testing::RulePackCopy(dir.path(), named, "\"" + copy + "\"");
    ASSERT_FALSE(pack.empty()) << named;
    const std::string rules = "\"data/rules.toml\"";
    config.replace(config.find(rules), rules.size(), "\"" + pack + "\"");
  } else {
    config.replace(config.find(quoted), quoted.size(), "\"" + copy + "\"");
  }
  WriteFile(dir / "ics.toml", config);
  GenerateOptions o = Small(dir / "out");
  o.config_path = dir / "ics.toml";
  GenerateResult r;
  const Status st = Generate(o, &r);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find(copy), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(c.expected), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "out.partial"));
}

// clang-format off
const BadDataFile kBadData[] = {
  {"ProcessAgeNotANumber", "data/care/processes.csv", "age:65 DM", "age:abc DM", "line 19: 'age:abc' needs an age in whole years"},
  {"ProcessEligibleEmpty", "data/care/processes.csv", "nhs_health_check,nhs_health_check,no-ltc,", "nhs_health_check,nhs_health_check,,", "line 18: 'eligible' is empty"},
  {"ProcessUnknownRecord", "data/care/processes.csv", "pulse_rate systolic_bp", "pulse systolic_bp", "line 15: record 'pulse' is not an observation"},
  {"ProcessUnknownCondition", "data/care/processes.csv", ",SMI,18,", ",SMI2,18,", "line 10: 'SMI2' is not a simulated condition"},
  {"ProcessCompletion", "data/care/processes.csv", "DM,12,120,0.85,", "DM,12,120,1.85,", "line 2: completion must be between 0 and 1"},
  {"RuleUnknownTrigger", "data/medicines/rules.csv", "HTN,ace_inhibitors", "HYPERTENSION,ace_inhibitors", "line 2: trigger 'HYPERTENSION' is not a simulated condition"},
  {"RuleProbability", "data/medicines/rules.csv", "THY,levothyroxine,repeat,0.95", "THY,levothyroxine,repeat,1.95", "value must be a probability"},
  {"RuleUnknownClass", "data/medicines/rules.csv", "THY,levothyroxine", "THY,thyroxine", "thyroxine.csv"},
  {"RuleClassInTwoGroups", "data/medicines/rules.csv", "CKD,ace_inhibitors,repeat,0.35,0.5,18,raas", "CKD,ace_inhibitors,repeat,0.35,0.5,18,other", "class 'ace_inhibitors' is already in another group"},
  {"DeficitConditionWithoutItsCodelist", "data/frailty/efi-deficits.csv", "coded,AF,ltc/af.csv", "coded,AF HF,ltc/af.csv", "condition 'HF' counts towards 'atrial_fibrillation' but its codelist ltc/hf.csv is not listed"},
  {"DeficitUnknownRule", "data/frailty/efi-deficits.csv", "Falls,coded", "Falls,counted", "rule 'counted' is not coded or polypharmacy"},
  {"DeficitPrevalenceNotANumber", "data/frailty/deficit-prevalence.csv", "falls,1.5,", "falls,1.5x,", "column female_ratio: '1.5x' is not a number"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(DataFiles, GenerateRefusesData, ::testing::ValuesIn(kBadData),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Generate, NeverWritesOverTheWorkingDirectoryOrItsParents) {
  TempDir dir;
  const auto cwd = fs::current_path();
  fs::current_path(dir.path());
  WriteFile(dir / "keep.txt", "precious");
  for (const char* out : {".", "./", "..", "/"}) {
    GenerateOptions o = Small(out);
    o.overwrite = true;
    GenerateResult r;
    EXPECT_EQ(Generate(o, &r).kind(), Status::Kind::kUsage) << out;
  }
  fs::current_path(cwd);
  EXPECT_EQ(ReadFile(dir / "keep.txt"), "precious");
  // A trailing slash names the same folder, written whole.
  GenerateOptions o = Small(dir / "ics/");
  o.scale = kTiny;
  GenerateResult r;
  ASSERT_TRUE(Generate(o, &r).ok());
  o.overwrite = true;
  ASSERT_TRUE(Generate(o, &r).ok());
  EXPECT_TRUE(fs::exists(dir / "ics/patients.csv"));
  EXPECT_FALSE(fs::exists(dir / "ics/.partial"));
  EXPECT_FALSE(fs::exists(dir / "ics.partial"));
  EXPECT_FALSE(fs::exists(dir / "ics.old"));
}

// Each part of the simulation is optional: without frailty, medicines and
// care processes, appointments and admissions still follow conditions.
TEST(Generate, WorksWithoutFrailtyMedicinesOrCareProcesses) {
  TempDir dir;
  std::string config = ReadFile(kConfig);
  auto cut = [&](const std::string& from, const std::string& to) {
    const size_t a = config.find(from), b = config.find(to, a);
    ASSERT_NE(a, std::string::npos) << from;
    ASSERT_NE(b, std::string::npos) << to;
    config.erase(a, b - a);
  };
  cut("# The electronic Frailty Index", "# What brings people");  // frailty and medicines
  cut("# Care processes", "# Running on past");
  config.erase(config.find("# eFI frailty:"));  // the efi targets run to the end
  WriteFile(dir / "ics.toml", config);
  ASSERT_EQ(config.find("[frailty]"), std::string::npos);
  GenerateOptions o = Small(dir / "out");
  o.config_path = dir / "ics.toml";
  o.scale = 0.02;
  GenerateResult r;
  const Status st = Generate(o, &r);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_GT(r.records.appointments, 10000u);
  EXPECT_GT(r.records.hospital, 5000u);
  EXPECT_EQ(r.records.medications, 0u);
  for (const auto& c : r.calibration) EXPECT_FALSE(c.measure.starts_with("efi_")) << c.measure;
}

TEST(Generate, RefusesATargetWhoseConditionIsNotModelled) {
  TempDir dir;
  const std::string source = populus::testing::SourceDir();
  std::string table = ReadFile(source + "/data/conditions/england-ltc-prevalence.csv");
  const size_t dm = table.find("\nDM,");
  ASSERT_NE(dm, std::string::npos);
  table.erase(dm + 1, table.find('\n', dm + 1) - dm);
  WriteFile(dir / "table.csv", table);
  std::string config = ReadFile(kConfig);
  const std::string from = "prevalence_table = \"data/conditions/england-ltc-prevalence.csv\"";
  config.replace(config.find(from), from.size(),
                 "prevalence_table = \"" + (dir / "table.csv") + "\"");
  WriteFile(dir / "ics.toml", config);
  GenerateOptions o = Small(dir / "out");
  o.config_path = dir / "ics.toml";
  GenerateResult r;
  const Status st = Generate(o, &r);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("target diabetes_16_plus_share needs condition DM"),
            std::string::npos)
      << st.message();
}

TEST(Generate, RefusesToWriteOverAnExistingExtract) {
  TempDir dir;
  WriteFile(dir / "ics/keep.txt", "precious");
  GenerateResult r;
  EXPECT_EQ(Generate(Small(dir / "ics"), &r).kind(), Status::Kind::kUsage);
  EXPECT_EQ(ReadFile(dir / "ics/keep.txt"), "precious");
}

TEST(SyntheticNhsNumbers, ValidDistinctAndOutsideIssuedRanges) {
  SyntheticNhsNumbers numbers(20190630);
  std::set<uint64_t> seen;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t n = numbers.Next();
    ASSERT_GE(n, 9000000000u);
    ASSERT_TRUE(seen.insert(n).second);
    ASSERT_EQ(NhsCheckDigit(n / 10), static_cast<int>(n % 10));
  }
}

}  // namespace
}  // namespace populus::synth
