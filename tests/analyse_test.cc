// Condition registers and `populus analyse`: register rules on hand-made
// patients a clinician can check by eye, and the whole analysis of a small
// generated ICS against an independent count from its extract.
#include "analysis/analyse.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/disclosure.h"
#include "analysis/frailty_index.h"
#include "analysis/registers.h"
#include "analysis/table.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "synth/generate.h"
#include "test_support.h"

namespace populus::analysis {
namespace {
namespace fs = std::filesystem;
using populus::testing::ExtractFiles;
using populus::testing::RunPopulus;
using populus::testing::RunResult;
using populus::testing::TempDir;
using populus::testing::WriteFile;

const std::string kSource = populus::testing::SourceDir();
const std::string kRules = kSource + "/data/registers/ltc-registers.csv";
const std::string kCodelists = kSource + "/data/codelists";

Status IngestInto(const std::string& extract, const std::string& data, Date extract_date) {
  return populus::testing::IngestWithTestKey(extract, data, extract_date);
}

TEST(Registers, FollowTheRulesForEachPatient) {
  TempDir dir;
  ExtractFiles x;
  // Each patient is told apart by date of birth.
  x.files["patients.csv"] =
      "nhs_number,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death\n"
      "9990000018,1940-01-01,F,J00001,2000-01-01,,\n"            // AF: on AF
      "9990000026,1941-01-01,M,J00001,2000-01-01,,\n"            // asthma, resolved: off
      "9990000034,1942-01-01,F,J00001,2000-01-01,,\n"            // asthma, resolved, back: on
      "9990000042,2015-01-01,M,J00001,2015-02-01,,\n"            // asthma at 4: CYP_AST, not AST
      "9990000050,1943-01-01,F,J00001,2000-01-01,2018-01-01,\n"  // left: not counted
      "9990000069,1944-01-01,M,J00002,2000-01-01,2019-01-01,2019-01-01\n"  // died
      "9990000077,1945-01-01,F,J00002,2000-01-01,,\n"   // AF after the date: not yet
      "9990000085,1946-01-01,M,J00002,2000-01-01,,\n"   // AF, diabetes, hypertension
      "9990000093,1947-01-01,F,J00002,2000-01-01,,\n"   // asthma, no inhaler in the year
      "9990000107,1948-01-01,M,J00002,2000-01-01,,\n"   // depression in 2004 only
      "9990000115,1949-01-01,F,J00002,2000-01-01,,\n";  // depression in 2010
  // QOF's asthma register needs an asthma drug in the last 12 months.
  x.files["medications.csv"] =
      "patient,date,dmd_code,quantity\n"
      "9990000034,2019-03-01,39113611000001102,1\n"
      "9990000093,2017-03-01,39113611000001102,1\n";
  x.files["events.csv"] =
      "patient,date,snomed_code,numeric_value,unit\n"
      "9990000018,2015-01-01,49436004,,\n"
      "9990000026,2010-01-01,195967001,,\n"
      "9990000026,2015-01-01,162660004,,\n"
      "9990000034,2010-01-01,195967001,,\n"
      "9990000034,2012-01-01,162660004,,\n"
      "9990000034,2016-01-01,195967001,,\n"
      "9990000042,2018-01-01,195967001,,\n"
      "9990000050,2010-01-01,49436004,,\n"
      "9990000069,2010-01-01,49436004,,\n"
      "9990000077,2019-12-01,49436004,,\n"
      "9990000085,2011-01-01,49436004,,\n"
      "9990000085,2012-01-01,44054006,,\n"
      "9990000085,2013-01-01,38341003,,\n"
      "9990000093,2010-01-01,195967001,,\n"
      "9990000107,2004-01-01,35489007,,\n"
      "9990000115,2010-01-01,35489007,,\n";
  x.Write(dir / "extract");
  ASSERT_TRUE(IngestInto(dir / "extract", dir / "data", DaysFromCivil(2020, 1, 1)).ok());
  std::unique_ptr<Snapshot> snapshot;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &snapshot).ok());
  std::vector<RegisterRule> rules;
  const Status st = LoadRegisterRules(kRules, kCodelists, &rules);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(rules.size(), 37u);
  auto index = [&](const char* code) {
    for (size_t r = 0; r < rules.size(); ++r) {
      if (rules[r].code == code) return r;
    }
    ADD_FAILURE() << code;
    return size_t{0};
  };
  const RegisterResult result = EvaluateRegisters(*snapshot, rules, DaysFromCivil(2019, 6, 30));
  const auto birth = snapshot->patients().date_of_birth;
  std::map<int, size_t> row_of;  // birth year -> patient row
  for (size_t p = 0; p < birth.size(); ++p) row_of[CivilFromDays(birth[p]).year] = p;
  auto on = [&](int born, const char* reg) {
    return (result.registers[row_of.at(born)] >> index(reg) & 1) != 0;
  };
  auto counted = [&](int born) { return result.in_population[row_of.at(born)] != 0; };
  EXPECT_TRUE(on(1940, "AF"));
  EXPECT_FALSE(on(1941, "AST"));  // resolved
  EXPECT_TRUE(on(1942, "AST"));   // re-diagnosed after the resolution
  EXPECT_FALSE(on(2015, "AST"));  // aged 4: QOF asthma is 6 and over
  EXPECT_TRUE(on(2015, "CYP_AST"));
  EXPECT_FALSE(counted(1943));  // left before the date
  EXPECT_FALSE(counted(1944));  // died before the date
  EXPECT_TRUE(counted(1945));
  EXPECT_FALSE(on(1945, "AF"));  // diagnosed after the date
  EXPECT_TRUE(on(1946, "AF") && on(1946, "DM") && on(1946, "HTN"));
  EXPECT_EQ(result.conditions[row_of.at(1946)], 3);
  // CYP_AST duplicates asthma for children: it does not count twice.
  EXPECT_EQ(result.conditions[row_of.at(2015)], 0);
  EXPECT_EQ(result.conditions[row_of.at(1942)], 1);
  // QOF's further conditions (the register file's qualifier column): asthma
  // with no inhaler in the year is off the register but is still a condition;
  // depression counts from April 2006.
  EXPECT_FALSE(on(1947, "AST"));
  EXPECT_EQ(result.conditions[row_of.at(1947)], 1);
  EXPECT_FALSE(on(1948, "DEP"));
  EXPECT_EQ(result.conditions[row_of.at(1948)], 1);
  EXPECT_TRUE(on(1949, "DEP"));
  // On a later date the AF diagnosis of December 2019 counts.
  const RegisterResult later = EvaluateRegisters(*snapshot, rules, DaysFromCivil(2019, 12, 31));
  EXPECT_TRUE(later.registers[row_of.at(1945)] >> index("AF") & 1);
}

TEST(Efi, CountsDeficitsEverCodedAndRecentPolypharmacy) {
  TempDir dir;
  ExtractFiles x;
  x.files["patients.csv"] =
      "nhs_number,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death\n"
      "9990000018,1939-01-01,F,J00001,2000-01-01,,\n"   // 80: five deficits
      "9990000026,1941-01-01,M,J00001,2000-01-01,,\n"   // 78: four drugs only
      "9990000034,1960-01-01,F,J00001,2000-01-01,,\n";  // 59: not assessed
  std::string events = "patient,date,snomed_code,numeric_value,unit\n";
  for (const char* p : {"9990000018", "9990000026", "9990000034"}) {
    for (const char* code : {"49436004", "161898004", "15188001", "52448006"}) {
      events += std::string(p) + ",2015-01-01," + code + ",,\n";  // AF, falls, hearing, dementia
    }
  }
  x.files["events.csv"] = events;
  // Statin, ACE inhibitor, calcium channel blocker, PPI, levothyroxine.
  const char* drugs[] = {"39733011000001106", "42381211000001101", "39732011000001102", "317291008",
                         "39698611000001106"};
  std::string medications = "patient,date,dmd_code,quantity\n";
  for (int d = 0; d < 5; ++d) {
    medications += std::string("9990000018,2019-03-01,") + drugs[d] + ",28\n";
    // The second patient's fifth drug was more than a year ago.
    medications +=
        std::string("9990000026,") + (d == 4 ? "2018-01-01," : "2019-03-01,") + drugs[d] + ",28\n";
  }
  x.files["medications.csv"] = medications;
  x.Write(dir / "extract");
  ASSERT_TRUE(IngestInto(dir / "extract", dir / "data", DaysFromCivil(2019, 6, 30)).ok());
  std::unique_ptr<Snapshot> snapshot;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &snapshot).ok());
  EfiDefinition efi;
  const Status st =
      LoadEfiDefinition(kSource + "/data/frailty/efi-deficits.csv",
                        kSource + "/data/frailty/efi-categories.csv", kCodelists, &efi);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(efi.deficits.size(), 36u);
  const auto birth = snapshot->patients().date_of_birth;
  const std::vector<uint8_t> everyone(birth.size(), 1);
  const std::vector<int8_t> n =
      EvaluateEfi(*snapshot, efi, everyone, DaysFromCivil(2019, 6, 30), 65);
  std::map<int, int> by_year;
  for (size_t p = 0; p < birth.size(); ++p) by_year[CivilFromDays(birth[p]).year] = n[p];
  // AF, falls, hearing impairment, memory (dementia), polypharmacy.
  EXPECT_EQ(by_year[1939], 5);
  EXPECT_EQ(efi.categories[static_cast<size_t>(efi.Category(5))], "mild");  // 5/36 = 0.139
  EXPECT_EQ(by_year[1941], 4);   // four drugs in the year: no polypharmacy
  EXPECT_EQ(by_year[1960], -1);  // under 65
}

TEST(Registers, BadRulesAreRefusedWithFileAndLine) {
  TempDir dir;
  std::string rules = populus::testing::ReadFile(kRules);
  rules.replace(rules.find("ltc/af.csv"), 10, "ltc/xx.csv");
  WriteFile(dir / "rules.csv", rules);
  std::vector<RegisterRule> out;
  Status st = LoadRegisterRules(dir / "rules.csv", kCodelists, &out);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("rules.csv line 2: codelist"), std::string::npos) << st.message();
  rules = populus::testing::ReadFile(kRules);
  rules.replace(rules.find("ltc/ast.csv,6,"), 14, "ltc/ast.csv,six,");
  WriteFile(dir / "rules.csv", rules);
  st = LoadRegisterRules(dir / "rules.csv", kCodelists, &out);
  EXPECT_NE(st.message().find("line 4 column min_age: 'six' is not a number"), std::string::npos)
      << st.message();
}

// ---- Auditing what analyse published, from its files alone ----

// One published table at every level, read back from an output file, with
// the hierarchy from the extract's organisations.csv.
class PublishedLevels {
 public:
  PublishedLevels(const Table& organisations, size_t categories)
      : organisations_(organisations), categories_(categories) {
    table_.levels.resize(4);
    table_.column_totals.resize(categories);
    codes_.resize(4);
  }
  // Category k of a unit, and the unit's total, as the file shows them.
  void Set(const std::string& level, const std::string& code, size_t k, const std::string& count,
           const std::string& total) {
    const size_t l = kLevel.at(level);
    auto [it, added] = unit_[l].try_emplace(code, codes_[l].size());
    if (added) {
      codes_[l].push_back(code);
      table_.levels[l].cells.emplace_back(categories_, Withheld());
      table_.levels[l].row_totals.push_back(Withheld());
    }
    table_.levels[l].cells[it->second][k] = Cell(count);
    table_.levels[l].row_totals[it->second] = Cell(total);
  }
  void SetGroup(size_t breakdown, const std::string& group, size_t k, const std::string& count,
                const std::string& total) {
    if (groups_.size() <= breakdown) {
      groups_.resize(breakdown + 1);
      table_.breakdowns.resize(breakdown + 1);
    }
    auto [it, added] = groups_[breakdown].try_emplace(group, groups_[breakdown].size());
    ProtectedLevel& b = table_.breakdowns[breakdown];
    if (added) {
      b.cells.emplace_back(categories_, Withheld());
      b.row_totals.push_back(Withheld());
    }
    b.cells[it->second][k] = Cell(count);
    b.row_totals[it->second] = Cell(total);
  }
  ProtectedHierarchy& table() { return table_; }
  // The audit; `written[k]`: whether category k is in the file.
  DisclosureAudit Audit(const std::vector<bool>& written = {}) {
    parent_ = Parents();
    PublishedHierarchy view;
    view.table = &table_;
    view.parent = &parent_;
    view.category_published = written;
    view.column_totals_published = false;  // the ICS row
    return AuditHierarchy(view);
  }
  // A unit's parent: the nearest organisation above it in the file.
  std::vector<std::vector<UnitRef>> Parents() const {
    const int code = organisations_.Column({"code"}), type = organisations_.Column({"type"}),
              parent = organisations_.Column({"parent_code"});
    std::map<std::string, std::pair<std::string, std::string>> org;  // code -> type, parent
    for (const auto& row : organisations_.rows) {
      org[row[static_cast<size_t>(code)]] = {row[static_cast<size_t>(type)],
                                             row[static_cast<size_t>(parent)]};
    }
    std::vector<std::vector<UnitRef>> out(4);
    for (size_t l = 0; l < 4; ++l) {
      for (const std::string& c : codes_[l]) {
        UnitRef ref;
        for (std::string up = org.at(c).second; !up.empty() && ref.level < 0;
             up = org.at(up).second) {
          const auto level = kLevel.find(org.at(up).first);
          if (level == kLevel.end()) continue;
          const auto u = unit_[level->second].find(up);
          if (u != unit_[level->second].end()) {
            ref = {static_cast<int>(level->second), static_cast<int>(u->second)};
          }
        }
        out[l].push_back(ref);
      }
    }
    return out;
  }

 private:
  static ProtectedCell Withheld() { return {0, CellState::kSecondary}; }
  static ProtectedCell Cell(const std::string& s) {
    return s.empty() ? Withheld() : ProtectedCell{std::stoll(s), CellState::kShown};
  }
  inline static const std::map<std::string, size_t> kLevel = {
      {"practice", 0}, {"pcn", 1}, {"locality", 2}, {"ics", 3}};
  const Table& organisations_;
  size_t categories_;
  ProtectedHierarchy table_;
  std::vector<std::vector<std::string>> codes_;
  std::map<std::string, size_t> unit_[4];
  std::vector<std::map<std::string, size_t>> groups_;
  std::vector<std::vector<UnitRef>> parent_;
};

struct TableAudit {
  std::string what;
  size_t withheld = 0, derivable = 0;
  bool consistent = true;
};

// Every table analyse writes by organisation, audited across its levels
// (and, for the indicators, with their inequality groups) from the files.
std::vector<TableAudit> AuditAnalysis(const std::string& extract, const std::string& out) {
  Table organisations;
  EXPECT_TRUE(ReadTable(extract + "/organisations.csv", &organisations).ok());
  std::vector<TableAudit> audits;
  auto record = [&](const std::string& what, const DisclosureAudit& a) {
    audits.push_back({what, a.withheld.size(), a.derivable, a.consistent});
  };
  auto read = [&](const std::string& file) {
    Table t;
    EXPECT_TRUE(ReadTable(out + "/" + file, &t).ok()) << file;
    return t;
  };
  // One table per item: [with it, without it (not written)], population.
  for (const char* file : {"registers.csv", "worklist_counts.csv"}) {
    const Table t = read(file);
    std::map<std::string, PublishedLevels> items;
    for (const auto& row : t.rows) {
      auto it = items.try_emplace(row[3], organisations, 2).first;
      it->second.Set(row[0], row[1], 0, row[5], row[6]);
    }
    for (auto& [item, levels] : items) {
      record(std::string(file) + " " + item, levels.Audit({true, false}));
    }
  }
  // One table per file, the groups as categories.
  for (const char* file : {"segments.csv", "care_model_tiers.csv", "admission_risk_tiers.csv",
                           "qrisk3.csv", "population.csv"}) {
    const Table t = read(file);
    std::map<std::string, size_t> category;
    for (const auto& row : t.rows) {
      const std::string key =
          std::string(file) == "population.csv" ? row[3] + " " + row[4] : row[3];
      category.try_emplace(key, category.size());
    }
    PublishedLevels levels(organisations, category.size());
    for (const auto& row : t.rows) {
      const std::string key =
          std::string(file) == "population.csv" ? row[3] + " " + row[4] : row[3];
      levels.Set(row[0], row[1], category.at(key), row[5], row[6]);
    }
    record(file, levels.Audit());
  }
  // The categories as columns, the total in its own column.
  for (const auto& [file, columns] :
       {std::pair<const char*, std::vector<const char*>>{
            "multimorbidity.csv", {"ltc_0", "ltc_1", "ltc_2", "ltc_3", "ltc_4_plus"}},
        std::pair<const char*, std::vector<const char*>>{"frailty.csv",
                                                         {"fit", "mild", "moderate", "severe"}}}) {
    const Table t = read(file);
    PublishedLevels levels(organisations, columns.size());
    const auto total = static_cast<size_t>(t.Column({"population", "assessed"}));
    for (const auto& row : t.rows) {
      for (size_t k = 0; k < columns.size(); ++k) {
        levels.Set(row[0], row[1], k, row[static_cast<size_t>(t.Column({columns[k]}))], row[total]);
      }
    }
    record(file, levels.Audit());
  }
  // Indicators with their inequality groups: [numerator, the rest],
  // denominator.
  const Table indicators = read("indicators.csv"), inequalities = read("inequalities.csv");
  std::map<std::string, PublishedLevels> items;
  for (const auto& row : indicators.rows) {
    items.try_emplace(row[3], organisations, 2)
        .first->second.Set(row[0], row[1], 0, row[5], row[6]);
  }
  std::map<std::string, size_t> dimension;
  for (const auto& row : inequalities.rows) {
    const size_t d = dimension.try_emplace(row[2], dimension.size()).first->second;
    items.at(row[0]).SetGroup(d, row[3], 0, row[4], row[5]);
  }
  for (auto& [item, levels] : items) {
    record("indicators.csv and inequalities.csv " + item, levels.Audit({true, false}));
  }
  return audits;
}

// The small generated ICS, ingested and analysed once for the tests below.
class Analyse : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    TempDir& dir = *dir_;
    synth::GenerateOptions g;
    g.config_path = kSource + "/data/ics/dorset-like.toml";
    g.data_root = kSource;
    g.out_dir = dir / "extract";
    g.scale = 0.02;
    g.threads = 2;
    generated_ = new synth::GenerateResult;
    ASSERT_TRUE(synth::Generate(g, generated_).ok());
    const Date baseline = DaysFromCivil(2019, 6, 30);
    ASSERT_TRUE(IngestInto(dir / "extract", dir / "data", baseline).ok());
    const auto run = RunPopulus({"analyse", dir / "data", "--out", dir / "out"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ready_ = true;
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete generated_;
  }
  static TempDir* dir_;
  static synth::GenerateResult* generated_;
  static bool ready_;
};
TempDir* Analyse::dir_ = nullptr;
synth::GenerateResult* Analyse::generated_ = nullptr;
bool Analyse::ready_ = false;

TEST_F(Analyse, CountsOnAGeneratedIcsAgreeWithAnIndependentCount) {
  ASSERT_TRUE(ready_);
  const TempDir& dir = *dir_;
  const synth::GenerateResult& gr = *generated_;
  RunResult run;
  // Independently, from the extract's CSV: people registered and alive on
  // the baseline with a dementia code (no resolved codes, no age bounds).
  std::set<std::string> dementia_codes;
  Table codes;
  ASSERT_TRUE(ReadTable(kCodelists + "/ltc/dem.csv", &codes).ok());
  for (const auto& row : codes.rows) dementia_codes.insert(row[0]);
  Table patients, events;
  ASSERT_TRUE(ReadTable(dir / "extract/patients.csv", &patients).ok());
  ASSERT_TRUE(ReadTable(dir / "extract/events.csv", &events).ok());
  std::set<std::string> registered;
  for (const auto& row : patients.rows) {
    if (row[5].empty()) registered.insert(row[0]);  // no registered_to
  }
  std::set<std::string> with_dementia;
  for (const auto& row : events.rows) {
    if (registered.count(row[0]) && dementia_codes.count(row[2]) && row[1] <= "2019-06-30") {
      with_dementia.insert(row[0]);
    }
  }
  ASSERT_GT(with_dementia.size(), 20u);
  Table out;
  ASSERT_TRUE(ReadTable(dir / "out/registers.csv", &out).ok());
  int64_t population = -1, dementia = -1;
  for (size_t r = 0; r < out.rows.size(); ++r) {
    if (out.rows[r][0] != "ics" || out.rows[r][3] != "DEM") continue;
    dementia = std::stoll(out.rows[r][5]);
    population = std::stoll(out.rows[r][6]);
  }
  EXPECT_EQ(dementia, RoundCount(static_cast<int64_t>(with_dementia.size()), 5));
  EXPECT_EQ(population, RoundCount(static_cast<int64_t>(registered.size()), 5));
  // Every count that leaves is withheld or a multiple of 5, never 1-7.
  for (const auto& row : out.rows) {
    for (size_t c : {5, 6}) {
      if (row[c].empty()) continue;
      EXPECT_EQ(std::stoll(row[c]) % 5, 0) << row[c];
    }
  }
  // Segments and tiers: everyone in exactly one, so at ICS level the groups
  // add up to the population (each count rounded to 5).
  for (const auto& [file, groups] :
       {std::pair{"segments.csv", 8}, std::pair{"care_model_tiers.csv", 5},
        std::pair{"admission_risk_tiers.csv", 4}, std::pair{"qrisk3.csv", 4}}) {
    Table t;
    ASSERT_TRUE(ReadTable(dir / "out/" + file, &t).ok()) << file;
    int64_t sum = 0, pop = -1;
    int n = 0;
    for (const auto& row : t.rows) {
      if (row[0] != "ics") continue;
      ++n;
      sum += std::stoll(row[5]);
      pop = std::stoll(row[6]);
    }
    EXPECT_EQ(n, groups) << file;
    EXPECT_NEAR(static_cast<double>(sum), static_cast<double>(pop), 2.5 * groups) << file;
    if (std::string(file) != "qrisk3.csv") {
      EXPECT_EQ(pop, population) << file;
    }
  }
  // The admission risk model was fitted and ranks people better than chance.
  Table evaluation;
  ASSERT_TRUE(ReadTable(dir / "out/admission_risk_evaluation.csv", &evaluation).ok());
  std::map<std::string, std::string> measure;
  for (const auto& row : evaluation.rows) measure[row[0]] = row[1];
  ASSERT_EQ(measure["fitted"], "true") << measure["not_fitted_reason"];
  EXPECT_GT(std::stod(measure["auc"]), 0.65);
  EXPECT_LT(std::stod(measure["auc"]), 0.95);
  // Indicators agree with the registers: diabetes (17+) is the DM register.
  Table indicators;
  ASSERT_TRUE(ReadTable(dir / "out/indicators.csv", &indicators).ok());
  std::string dm_indicator, dm_register;
  for (const auto& row : indicators.rows) {
    if (row[0] == "ics" && row[3] == "DM_PREV") dm_indicator = row[5];
  }
  for (const auto& row : out.rows) {
    if (row[0] == "ics" && row[3] == "DM") dm_register = row[5];
  }
  EXPECT_FALSE(dm_indicator.empty());
  EXPECT_EQ(dm_indicator, dm_register);
  // No aggregate shows a count of 1 to 7, and every count is a multiple of 5.
  for (const char* file :
       {"registers.csv", "multimorbidity.csv", "frailty.csv", "segments.csv",
        "care_model_tiers.csv", "admission_risk_tiers.csv", "qrisk3.csv", "worklist_counts.csv",
        "indicators.csv", "inequalities.csv", "admission_risk_calibration.csv"}) {
    Table t;
    ASSERT_TRUE(ReadTable(dir / "out/" + file, &t).ok()) << file;
    for (size_t c = 0; c < t.header.size(); ++c) {
      const std::string& name = t.header[c];
      const bool count = name == "patients" || name == "population" || name == "numerator" ||
                         name == "denominator" || name == "people" || name == "admitted" ||
                         name == "assessed" || name.rfind("ltc_", 0) == 0 || name == "mild" ||
                         name == "moderate" || name == "severe" || name == "fit";
      if (!count) continue;
      for (const auto& row : t.rows) {
        if (row[c].empty()) continue;
        EXPECT_EQ(std::stoll(row[c]) % 5, 0) << file << " " << name << " " << row[c];
      }
    }
  }
  // Worklists: one file per practice, named by its code, with only the
  // worklists defined, and the frailty list holds only the moderately or
  // severely frail.
  Table organisations;
  ASSERT_TRUE(ReadTable(dir / "extract/organisations.csv", &organisations).ok());
  std::set<std::string> practices;
  for (const auto& row : organisations.rows) {
    if (row[static_cast<size_t>(organisations.Column({"type"}))] == "practice") {
      practices.insert(row[static_cast<size_t>(organisations.Column({"code"}))]);
    }
  }
  int files = 0, frail_rows = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out/worklists")) {
    if (entry.path().extension() == ".json") continue;
    EXPECT_TRUE(fs::exists(fs::path(entry.path()).replace_extension(".json"))) << entry.path();
    ++files;
    EXPECT_TRUE(practices.count(entry.path().stem().string())) << entry.path();
    Table w;
    ASSERT_TRUE(ReadTable(entry.path().string(), &w).ok());
    for (const auto& row : w.rows) {
      EXPECT_EQ(row[0].size(), 64u);  // a keyed pseudonym, never an NHS number
      if (row[1] != "FRAILTY_NO_REVIEW") continue;
      ++frail_rows;
      EXPECT_TRUE(row[6].find("efi=moderate") != std::string::npos ||
                  row[6].find("efi=severe") != std::string::npos)
          << row[6];
    }
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(frail_rows, 0);
  // Every table also as JSON, row for row; counts are numbers, codes strings.
  const auto json = nlohmann::json::parse(populus::testing::ReadFile(dir / "out/registers.json"));
  ASSERT_EQ(json["rows"].size(), out.rows.size());
  EXPECT_EQ(json["columns"][0], "level");
  for (size_t r = 0; r < out.rows.size(); ++r) {
    const auto& row = json["rows"][r];
    EXPECT_EQ(row["organisation_code"], out.rows[r][1]);
    if (out.rows[r][5].empty()) {
      EXPECT_TRUE(row["patients"].is_null());
    } else {
      EXPECT_EQ(row["patients"].get<int64_t>(), std::stoll(out.rows[r][5]));
    }
  }
  // The report opens offline: no scripts and nothing fetched from elsewhere.
  const std::string report = populus::testing::ReadFile(dir / "out/report.html");
  EXPECT_NE(report.find("<svg"), std::string::npos);
  EXPECT_NE(report.find("Prevalence by practice"), std::string::npos);
  EXPECT_NE(report.find("Population pyramid"), std::string::npos);
  EXPECT_EQ(report.find("<script"), std::string::npos);
  EXPECT_EQ(report.find("http://"), std::string::npos);
  EXPECT_EQ(report.find("https://"), std::string::npos);
  EXPECT_EQ(report.find("src="), std::string::npos);
  // The eFI from the record agrees with the simulation's own count of the
  // frail (assessed from 50, the age the generator's targets count from,
  // frailty.target_from_age). Only the edges of the medication window may
  // differ (a course that stopped just inside it).
  run = RunPopulus({"analyse", dir / "data", "--out", dir / "efi", "--efi-from-age", "50"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Table frailty;
  ASSERT_TRUE(ReadTable(dir / "efi/frailty.csv", &frailty).ok());
  double frail = -1;
  for (size_t r = 0; r < frailty.rows.size(); ++r) {
    // Every row says whom it assessed.
    EXPECT_EQ(frailty.rows[r][static_cast<size_t>(frailty.Column({"assessed_ages"}))], "50+");
    if (frailty.rows[r][0] != "ics") continue;
    frail = 0;
    for (const char* category : {"mild", "moderate", "severe"}) {
      frail += std::stod(frailty.rows[r][static_cast<size_t>(frailty.Column({category}))]);
    }
  }
  double simulated = -1;
  for (const auto& c : gr.calibration) {
    if (c.measure == "efi_frail") simulated = c.achieved;
  }
  ASSERT_GT(simulated, 1000);
  EXPECT_NEAR(frail, simulated, 0.02 * simulated + 15);
  // A date outside the data: a usage error, nothing written.
  run = RunPopulus({"analyse", dir / "data", "--out", dir / "never", "--as-of", "2030-01-01"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("outside the data"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "never"));
}

TEST_F(Analyse, NoWithheldCountCanBeWorkedOutAcrossLevelsFromThePublishedFiles) {
  ASSERT_TRUE(ready_);
  const TempDir& dir = *dir_;
  const std::vector<TableAudit> audits = AuditAnalysis(dir / "extract", dir / "out");
  // 37 registers, 5 worklists, 4 segment-like files, the pyramid,
  // multimorbidity, frailty and the indicators.
  EXPECT_GT(audits.size(), 37u + 5 + 4 + 3);
  size_t withheld = 0;
  for (const TableAudit& a : audits) {
    EXPECT_TRUE(a.consistent) << a.what;
    EXPECT_EQ(a.derivable, 0u) << a.what;
    withheld += a.withheld;
  }
  // A small ICS (about 16,000 people in 81 practices): plenty is withheld,
  // so the audit had something to judge.
  EXPECT_GT(withheld, 1000u);
  std::cout << "withheld counts audited: " << withheld << "\n";

  // The audit can fail on these files: a locality with a single PCN shows
  // the PCN's own counts, so withholding a PCN's count while its locality
  // shows it gives nothing away, and the audit must say so.
  Table organisations, registers;
  ASSERT_TRUE(ReadTable(dir / "extract/organisations.csv", &organisations).ok());
  ASSERT_TRUE(ReadTable(dir / "out/registers.csv", &registers).ok());
  std::map<std::string, int> pcns_of;
  std::map<std::string, std::string> parent_of;
  for (const auto& row : organisations.rows) {
    if (row[2] == "pcn") {
      ++pcns_of[row[3]];
      parent_of[row[0]] = row[3];
    }
  }
  PublishedLevels dementia(organisations, 2);
  for (const auto& row : registers.rows) {
    if (row[3] == "DEM") dementia.Set(row[0], row[1], 0, row[5], row[6]);
  }
  ASSERT_TRUE(dementia.Audit({true, false}).ok());
  std::string lone;
  for (const auto& row : registers.rows) {
    if (row[3] == "DEM" && row[0] == "pcn" && pcns_of[parent_of[row[1]]] == 1 && !row[5].empty()) {
      lone = row[1];
      dementia.Set("pcn", row[1], 0, "", row[6]);  // withhold it, and only it
      break;
    }
  }
  ASSERT_FALSE(lone.empty()) << "no locality with a single PCN showing its dementia count";
  EXPECT_EQ(dementia.Audit({true, false}).derivable, 1u) << lone;
}

}  // namespace
}  // namespace populus::analysis
