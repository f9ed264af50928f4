// QRISK3-2017 (src/analysis/qrisk3.h) against the 48 published test rows
// (../shared/reference/qrisk3/qrisk3_2017_test.csv), through the library and
// through `populus qrisk3`.
#include "analysis/qrisk3.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "analysis/table.h"
#include "test_support.h"

namespace populus::analysis {
namespace {
namespace fs = std::filesystem;
using populus::testing::RunPopulus;
using populus::testing::TempDir;
using populus::testing::WriteFile;

const std::string kModel = populus::testing::SourceDir() + "/data/risk/qrisk3-2017.toml";
const std::string kVectors =
    populus::testing::SharedDir() + "/reference/qrisk3/qrisk3_2017_test.csv";

TEST(Qrisk3, EveryPublishedTestRowMatchesToOneDecimal) {
  if (!fs::exists(kVectors)) GTEST_SKIP() << "no reference data at " << kVectors;
  TempDir dir;
  const auto run = RunPopulus({"qrisk3", "--input", kVectors, "--output", dir / "out.csv"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Table t;
  ASSERT_TRUE(ReadTable(dir / "out.csv", &t).ok());
  ASSERT_EQ(t.rows.size(), 48u);
  const int expected = t.Column({"QRISK_C_algorithm_score"}), got = t.Column({"qrisk3_score"});
  ASSERT_GE(expected, 0);
  ASSERT_GE(got, 0);
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double e = 0, g = 0;
    ASSERT_TRUE(t.Number(r, expected, false, &e).ok());
    ASSERT_TRUE(t.Number(r, got, false, &g).ok());
    EXPECT_NEAR(g, e, 1e-9) << "line " << t.lines[r];
  }
}

class Qrisk3Model_ : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(model.Load(kModel).ok()); }
  Qrisk3Input Typical() const {
    Qrisk3Input in;
    in.female = true;
    in.age = 64;
    in.ethrisk = 2;
    in.bmi = 25.25;
    in.rati = 4;
    in.sbp = 180;
    in.sbps5 = 20;
    return in;
  }
  Qrisk3Model model;
};

TEST_F(Qrisk3Model_, RiskRisesWithWhatShouldRaiseIt) {
  double base = 0, with = 0;
  std::string reason;
  Qrisk3Input in = Typical();
  ASSERT_TRUE(model.Score(in, &base, &reason)) << reason;
  EXPECT_NEAR(base, 17.2, 0.05);  // the first published row
  in.flags["b_AF"] = true;
  ASSERT_TRUE(model.Score(in, &with, &reason));
  EXPECT_GT(with, base);
  in = Typical();
  in.smoke_cat = 4;
  ASSERT_TRUE(model.Score(in, &with, &reason));
  EXPECT_GT(with, base);
  in = Typical();
  in.age = 74;
  ASSERT_TRUE(model.Score(in, &with, &reason));
  EXPECT_GT(with, base);
}

TEST_F(Qrisk3Model_, RefusesWhatTheModelDoesNotCover) {
  double score = 0;
  std::string reason;
  Qrisk3Input in = Typical();
  in.age = 85;
  EXPECT_FALSE(model.Score(in, &score, &reason));
  EXPECT_NE(reason.find("outside 25-84"), std::string::npos);
  in = Typical();
  in.ethrisk = 10;
  EXPECT_FALSE(model.Score(in, &score, &reason));
  in = Typical();
  in.rati = 0;
  EXPECT_FALSE(model.Score(in, &score, &reason));
  // And the command names the file and line.
  TempDir dir;
  WriteFile(dir / "in.csv",
            "age,gender,ethrisk,smoke_cat,rati,sbp,sbps5,town,bmi\n"
            "64,1,2,1,4,180,20,0,25\n"
            "90,1,2,1,4,180,20,0,25\n");
  const auto run = RunPopulus({"qrisk3", "--input", dir / "in.csv"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("in.csv line 3: age 90 is outside 25-84"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace populus::analysis
