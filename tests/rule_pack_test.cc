// The rule pack (data/rules.toml): one manifest of every rule file, the eFI
// age and the disclosure thresholds, read by analyse, generate and project.
#include "rules/rule_pack.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "analysis/table.h"
#include "common/civil_date.h"
#include "synth/generate.h"
#include "synth/project.h"
#include "test_support.h"

namespace populus {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunPopulus;
using testing::TempDir;
using testing::WriteFile;

const std::string kSource = testing::SourceDir();
const std::string kPack = kSource + "/data/rules.toml";

std::string PackCopy(const TempDir& dir, const std::string& from = "", const std::string& to = "") {
  const std::string path = testing::RulePackCopy(dir.path(), from, to);
  EXPECT_FALSE(path.empty()) << from;
  return path;
}

TEST(RulePack, TheShippedPackNamesEveryRuleFile) {
  rules::RulePack pack;
  const Status st = rules::LoadRulePack(kPack, &pack);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(pack.efi.from_age, 65);
  EXPECT_EQ(pack.suppress_up_to, 7);
  EXPECT_EQ(pack.round_to, 5);
  // Relative paths are resolved against the manifest's folder.
  EXPECT_EQ(fs::path(pack.registers), fs::path(kSource) / "data/registers/ltc-registers.csv");
  EXPECT_EQ(fs::path(pack.codelists), fs::path(kSource) / "data/codelists");
  for (const std::string* file :
       {&pack.registers, &pack.efi.definition, &pack.efi.categories, &pack.cambridge_score,
        &pack.segments, &pack.care_model_tiers, &pack.worklists, &pack.indicators,
        &pack.qrisk3.model, &pack.qrisk3.record, &pack.qrisk3.smoking_amounts,
        &pack.qrisk3.ethnicity, &pack.qrisk3.ethnicity_codes}) {
    EXPECT_TRUE(fs::is_regular_file(*file)) << *file;
  }
}

TEST(RulePack, ARelativePathIsTheManifestsFolders) {
  TempDir dir;
  fs::create_directories(dir / "mine");
  WriteFile(dir / "mine/segments.csv", ReadFile(kSource + "/data/segments/bridges-to-health.csv"));
  const std::string path =
      PackCopy(dir, "segments = \"" + kSource + "/data/segments/bridges-to-health.csv\"",
               "segments = \"mine/segments.csv\"");
  rules::RulePack pack;
  const Status st = rules::LoadRulePack(path, &pack);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(fs::path(pack.segments), fs::path(dir / "mine/segments.csv"));
}

TEST(RulePack, AMissingManifestIsAUsageError) {
  TempDir dir;
  rules::RulePack pack;
  const Status st = rules::LoadRulePack(dir / "none.toml", &pack);
  EXPECT_EQ(st.kind(), Status::Kind::kUsage);
  EXPECT_NE(st.message().find("none.toml"), std::string::npos) << st.message();
}

struct BadPack {
  const char* name;
  const char* from;
  const char* to;
  const char* expected;
};

class RulePackRefuses : public ::testing::TestWithParam<BadPack> {};

TEST_P(RulePackRefuses, NamingTheManifestAndTheKey) {
  const BadPack& c = GetParam();
  TempDir dir;
  const std::string path = PackCopy(dir, c.from, c.to);
  rules::RulePack pack;
  const Status st = rules::LoadRulePack(path, &pack);
  EXPECT_EQ(st.kind(), Status::Kind::kData) << st.message();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(c.expected), std::string::npos) << st.message();
}

// clang-format off
const BadPack kBadPacks[] = {
  {"MisspeltKey", "[worklists]\nrules", "[worklists]\nrulez", "key 'worklists.rulez': is not a known key"},
  {"UnknownTable", "[disclosure]", "[disclosure_control]", "key 'disclosure_control': is not a known key"},
  {"MissingKey", "round_to = 5", "", "key 'disclosure.round_to': is missing"},
  {"MissingTable", "[indicators]\ndefinitions =", "#", "key 'indicators': the table is missing"},
  {"AgeTooHigh", "from_age = 65", "from_age = 500", "key 'frailty.from_age': must be at most 110"},
  {"AgeNegative", "from_age = 65", "from_age = -1", "key 'frailty.from_age': must not be negative"},
  {"AgeAsText", "from_age = 65", "from_age = \"65\"", "key 'frailty.from_age': must be a whole number"},
  {"RoundToZero", "round_to = 5", "round_to = 0", "key 'disclosure.round_to': must be from 1 to 1000"},
  {"SuppressTooHigh", "suppress_up_to = 7", "suppress_up_to = 5000", "key 'disclosure.suppress_up_to': must be at most 1000"},
  {"FileMissing", "cambridge-score.csv", "cambridge-scores.csv", "key 'multimorbidity.cambridge_score': "},
  {"FileIsAFolder", "registers/ltc-registers.csv", "registers", "key 'registers.rules': "},
  {"CodelistsNotAFolder", "data/codelists\"\n", "data/rules.toml\"\n", "key 'codelists': "},
  {"UnknownSubTable", "round_to = 5", "round_to = 5\n[worklists.x]", "key 'worklists.x': is not a known key"},
  {"TomlSyntax", "[qrisk3]", "[qrisk3", "line"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Manifests, RulePackRefuses, ::testing::ValuesIn(kBadPacks),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// The frailty counts of generate, project and analyse follow the one age the
// rule pack configures: a pack with the eFI from 70 labels and counts 70+ in
// all three, with no per-command option. The generator's calibration
// targets keep their own published age (frailty.target_from_age).
TEST(RulePack, GenerateProjectAndAnalyseAssessTheEfiFromItsOneAge) {
  TempDir dir;
  const std::string pack = PackCopy(dir, "from_age = 65", "from_age = 70");
  std::string config = ReadFile(kSource + "/data/ics/dorset-like.toml");
  const std::string key = "rules = \"data/rules.toml\"";
  const size_t at = config.find(key);
  ASSERT_NE(at, std::string::npos);
  config.replace(at, key.size(), "rules = \"" + pack + "\"");
  WriteFile(dir / "ics.toml", config);

  synth::GenerateOptions g;
  g.config_path = dir / "ics.toml";
  g.data_root = kSource;
  g.out_dir = dir / "extract";
  g.scale = 0.02;
  g.threads = 2;
  synth::GenerateResult generated;
  Status st = synth::Generate(g, &generated);
  ASSERT_TRUE(st.ok()) << st.message();
  bool efi_target = false;
  for (const auto& c : generated.calibration) {
    if (c.measure == "efi_frail") {
      efi_target = true;
      EXPECT_EQ(c.population, "aged 50+");
    }
  }
  EXPECT_TRUE(efi_target);

  st = testing::IngestWithTestKey(dir / "extract", dir / "data", DaysFromCivil(2019, 6, 30));
  ASSERT_TRUE(st.ok()) << st.message();
  const auto run = RunPopulus({"analyse", dir / "data", "--out", dir / "out", "--rules", pack});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("aged 70+"), std::string::npos) << run.out;
  Table frailty;
  ASSERT_TRUE(ReadTable(dir / "out/frailty.csv", &frailty).ok());
  ASSERT_FALSE(frailty.rows.empty());
  const auto ages = static_cast<size_t>(frailty.Column({"assessed_ages"}));
  for (const auto& row : frailty.rows) EXPECT_EQ(row[ages], "70+");

  // The same pack at 65 assesses more people: the age is really applied.
  const auto at65 = RunPopulus({"analyse", dir / "data", "--out", dir / "out65"});
  ASSERT_EQ(at65.exit_code, 0) << at65.err;
  Table frailty65;
  ASSERT_TRUE(ReadTable(dir / "out65/frailty.csv", &frailty65).ok());
  const auto assessed = static_cast<size_t>(frailty.Column({"assessed"}));
  const auto ics_assessed = [assessed](const Table& t) {
    for (const auto& row : t.rows) {
      if (row[0] == "ics") return std::stod(row[assessed]);
    }
    return -1.0;
  };
  EXPECT_GT(ics_assessed(frailty), 0);
  EXPECT_LT(ics_assessed(frailty), ics_assessed(frailty65));

  synth::ProjectOptions p;
  p.config_path = dir / "ics.toml";
  p.data_root = kSource;
  p.out_dir = dir / "projection";
  p.to_year = 2020;
  p.threads = 2;
  p.scale = 0.02;
  synth::ProjectResult projected;
  st = synth::Project(p, &projected);
  ASSERT_TRUE(st.ok()) << st.message();
  const std::string projection = ReadFile(dir / "projection/frailty.csv");
  EXPECT_NE(projection.find("\n2020,70+,severe,"), std::string::npos) << projection.substr(0, 300);
  EXPECT_EQ(projection.find(",65+,"), std::string::npos);
}

}  // namespace
}  // namespace populus
