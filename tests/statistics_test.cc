// Public health statistics (src/analysis/statistics.h) against
// PHEindicatormethods: every row of the shared reference vectors
// (../shared/reference/phe-indicator-methods/) and the package's DSR, ISR and
// funnel vectors (tests/data/phe-indicator-methods/) to 1e-6 relative; and
// `populus stats` end to end.
#include "analysis/statistics.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "analysis/table.h"
#include "test_support.h"

namespace populus::analysis {
namespace {
namespace fs = std::filesystem;
using populus::testing::ReadFile;
using populus::testing::RunPopulus;
using populus::testing::TempDir;
using populus::testing::WriteFile;

const std::string kShared = populus::testing::SharedDir() + "/reference/phe-indicator-methods/";
const std::string kVectors = populus::testing::SourceDir() + "/tests/data/phe-indicator-methods/";

// Equal to 1e-6 relative (absolutely near 0), or both missing.
void ExpectClose(double actual, double expected, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": expected missing, got " << actual;
    return;
  }
  EXPECT_NEAR(actual, expected, 1e-6 * std::max(1e-9, std::fabs(expected))) << what;
}

Table Load(const std::string& path) {
  Table t;
  const Status st = ReadTable(path, &t);
  EXPECT_TRUE(st.ok()) << st.message();
  return t;
}

double Cell(const Table& t, size_t row, const char* column) {
  const int c = t.Column({column});
  EXPECT_GE(c, 0) << column << " in " << t.path;
  double v = 0;
  const Status st = t.Number(row, c, true, &v);
  EXPECT_TRUE(st.ok()) << st.message();
  return v;
}

#define REQUIRE_SHARED() \
  if (!fs::is_directory(kShared)) GTEST_SKIP() << "no reference data at " << kShared

TEST(Statistics, QuantilesMatchTheirKnownValues) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-15);
  EXPECT_NEAR(NormalQuantile(0.999), 3.090232306167813, 1e-15);
  EXPECT_NEAR(NormalQuantile(0.5), 0, 1e-15);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-12);
  // Gamma with shape 1 is the exponential: the quantile is -ln(1 - p).
  EXPECT_NEAR(GammaQuantile(0.975, 1), -std::log(0.025), 1e-12);
  // Shape 2: P(X <= t) = 1 - e^-t (1 + t), checked at the quantile found.
  const double t = GammaQuantile(0.3, 2);
  EXPECT_NEAR(1 - std::exp(-t) * (1 + t), 0.3, 1e-13);
  EXPECT_EQ(GammaQuantile(0.5, 0), 0);
}

TEST(Statistics, ByarAndWilsonLimitsMatchThePackage) {
  REQUIRE_SHARED();
  const Table t = Load(kShared + "testdata_Byars_Wilson__testdata_B_W.csv");
  size_t checked = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& method = t.rows[r][static_cast<size_t>(t.Column({"method"}))];
    const double confidence =
        t.rows[r][static_cast<size_t>(t.Column({"confidence"}))] == "95%" ? 0.95 : 0.998;
    const double x = Cell(t, r, "x");
    const Limits l = method == "Byars" ? ByarLimits(x, confidence)
                                       : WilsonLimits(x, Cell(t, r, "n"), confidence);
    const std::string what = "line " + std::to_string(t.lines[r]);
    ExpectClose(l.lower, Cell(t, r, "lowercl"), what + " lower");
    ExpectClose(l.upper, Cell(t, r, "uppercl"), what + " upper");
    ++checked;
  }
  EXPECT_EQ(checked, 13u);
}

// The proportion and rate files: two levels, multiplier per row.
void CheckTwoLevelFile(const std::string& file, bool rate) {
  const Table t = Load(kShared + file);
  ASSERT_GT(t.rows.size(), 10u);
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const double m = Cell(t, r, "multiplier");
    const Estimate e =
        rate ? Rate(Cell(t, r, "Numerator"), Cell(t, r, "Denominator"), {0.95, 0.998}, m)
             : Proportion(Cell(t, r, "Numerator"), Cell(t, r, "Denominator"), {0.95, 0.998}, m);
    const std::string what = file + " line " + std::to_string(t.lines[r]);
    ExpectClose(e.value, Cell(t, r, "value"), what + " value");
    ExpectClose(e.limits[0].lower, Cell(t, r, "lower95_0cl"), what + " lower95_0cl");
    ExpectClose(e.limits[0].upper, Cell(t, r, "upper95_0cl"), what + " upper95_0cl");
    ExpectClose(e.limits[1].lower, Cell(t, r, "lower99_8cl"), what + " lower99_8cl");
    ExpectClose(e.limits[1].upper, Cell(t, r, "upper99_8cl"), what + " upper99_8cl");
    const std::string method = t.rows[r][static_cast<size_t>(t.Column({"method"}))];
    if (!method.empty() && !std::isnan(e.value)) {
      EXPECT_EQ(e.method, method) << what;
    }
  }
}

TEST(Statistics, ProportionsAndRatesMatchThePackage) {
  REQUIRE_SHARED();
  CheckTwoLevelFile("testdata_Proportion__testdata_Prop.csv", false);
  CheckTwoLevelFile("testdata_Rate__testdata_Rate.csv", true);
}

TEST(Statistics, GroupedProportionsAndRatesMatchThroughTheCommand) {
  REQUIRE_SHARED();
  TempDir dir;
  for (const auto& [file, kind] :
       {std::pair{"testdata_Proportion__testdata_Prop_g.csv", "proportion"},
        std::pair{"testdata_Rate__testdata_Rate_g.csv", "rate"}}) {
    const Table expected = Load(kShared + file);
    // The grouped vectors sum each area's two input rows; feed them back in
    // split in halves, so the command's grouping does the summing.
    std::string input = "Area,Numerator,Denominator\n";
    for (size_t r = 0; r < expected.rows.size(); ++r) {
      const double x = Cell(expected, r, "Numerator"), n = Cell(expected, r, "Denominator");
      const std::string area = expected.rows[r][0];
      for (int half = 0; half < 2; ++half) {
        input += area + "," + FormatValue(x / 2) + "," + FormatValue(n / 2) + "\n";
      }
    }
    WriteFile(dir / "in.csv", input);
    // One output file for every run: replaced only because --overwrite says so.
    const auto run =
        RunPopulus({"stats", kind, "--input", dir / "in.csv", "--output", dir / "out.csv",
                    "--overwrite", "--group-by", "Area", "--multiplier",
                    std::string(kind) == std::string("rate") ? "100000" : "1"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Table got = Load(dir / "out.csv");
    ASSERT_EQ(got.rows.size(), expected.rows.size()) << file;
    for (size_t r = 0; r < got.rows.size(); ++r) {
      for (const char* c : {"value", "lowercl", "uppercl"}) {
        ExpectClose(Cell(got, r, c), Cell(expected, r, c), std::string(file) + " " + c);
      }
      EXPECT_EQ(got.rows[r][static_cast<size_t>(got.Column({"confidence"}))], "95%");
    }
  }
}

// One area's bands from the multi-area vectors.
struct Bands {
  std::vector<double> count, pop, refcount, refpop;
};
std::map<std::string, Bands> ReadBands(const std::string& file) {
  const Table t = Load(kVectors + file);
  std::map<std::string, Bands> areas;
  const bool reference = t.Column({"refcount"}) >= 0;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    Bands& b = areas[t.rows[r][0]];
    b.count.push_back(Cell(t, r, "count"));
    b.pop.push_back(Cell(t, r, "pop"));
    if (reference) {
      b.refcount.push_back(Cell(t, r, "refcount"));
      b.refpop.push_back(Cell(t, r, "refpop"));
    }
  }
  return areas;
}

void ExpectLimits(const Estimate& e, const Table& t, size_t r, const std::string& what) {
  ExpectClose(e.value, Cell(t, r, "value"), what + " value");
  ExpectClose(e.limits[0].lower, Cell(t, r, "lower95_0cl"), what + " lower95");
  ExpectClose(e.limits[0].upper, Cell(t, r, "upper95_0cl"), what + " upper95");
  ExpectClose(e.limits[1].lower, Cell(t, r, "lower99_8cl"), what + " lower99.8");
  ExpectClose(e.limits[1].upper, Cell(t, r, "upper99_8cl"), what + " upper99.8");
}

TEST(Statistics, DirectlyStandardisedRatesMatchThePackage) {
  const auto areas = ReadBands("dsr_isr_multiarea.csv");
  const Table expected = Load(kVectors + "dsr_results.csv");
  ASSERT_EQ(expected.rows.size(), 6u);
  const auto& esp = EuropeanStandardPopulation2013();
  const std::vector<double> standard(esp.begin(), esp.end());
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    const Bands& b = areas.at(expected.rows[r][0]);
    const double m = r < 3 ? 10000 : 100000;
    const Dsr d = DirectlyStandardisedRate(b.count, b.pop, standard, {0.95, 0.998}, m);
    const std::string what = "dsr row " + std::to_string(r + 1);
    ExpectClose(d.total_count, Cell(expected, r, "total_count"), what + " total_count");
    ExpectClose(d.total_pop, Cell(expected, r, "total_pop"), what + " total_pop");
    ExpectLimits(d.estimate, expected, r, what);
  }
}

TEST(Statistics, IndirectlyStandardisedRatesAndRatiosMatchThePackage) {
  const auto areas = ReadBands("isr_multiarea.csv");
  const Table expected = Load(kVectors + "isr_results.csv");
  ASSERT_EQ(expected.rows.size(), 12u);
  const double multiplier[4] = {100000, 1000, 1, 100};
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    const Bands& b = areas.at(expected.rows[r][0]);
    const bool ratio = r >= 6;
    const Isr s = IndirectlyStandardised(b.count, b.pop, b.refcount, b.refpop, {0.95, 0.998},
                                         multiplier[r / 3], ratio);
    const std::string what = "isr row " + std::to_string(r + 1);
    ExpectClose(s.observed, Cell(expected, r, "observed"), what + " observed");
    ExpectClose(s.expected, Cell(expected, r, "expected"), what + " expected");
    if (!ratio) ExpectClose(s.reference_rate, Cell(expected, r, "ref_rate"), what + " ref_rate");
    ExpectLimits(s.estimate, expected, r, what);
  }
}

FunnelInput Inputs(const Table& t, const char* numerator, const char* denominator,
                   const char* rate = nullptr) {
  FunnelInput in;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    in.numerator.push_back(Cell(t, r, numerator));
    if (denominator != nullptr) in.denominator.push_back(Cell(t, r, denominator));
    if (rate != nullptr) in.rate.push_back(Cell(t, r, rate));
  }
  return in;
}

TEST(Statistics, ProportionFunnelLimitsAndSignificanceMatchThePackage) {
  const Table inputs = Load(kVectors + "funnel_prop_inputs.csv");
  const FunnelInput in = Inputs(inputs, "numerator", "denominator");
  FunnelOptions o;
  o.statistic = FunnelStatistic::kProportion;
  o.multiplier = 100;
  FunnelLimits limits;
  std::string error;
  ASSERT_TRUE(CalculateFunnelLimits(in, o, &limits, &error)) << error;
  const Table expected = Load(kVectors + "funnel_prop_outputs.csv");
  ASSERT_EQ(limits.points.size(), 100u);
  ASSERT_EQ(expected.rows.size(), 100u);
  for (size_t r = 0; r < 100; ++r) {
    const FunnelPoint& p = limits.points[r];
    const std::string what = "proportion funnel point " + std::to_string(r + 1);
    EXPECT_EQ(p.x, Cell(expected, r, "Population")) << what;
    ExpectClose(p.lower[0], Cell(expected, r, "Lower2s0025limit"), what + " lower 2s");
    ExpectClose(p.upper[0], Cell(expected, r, "Upper2s0025limit"), what + " upper 2s");
    ExpectClose(p.lower[1], Cell(expected, r, "Lower3s0001limit"), what + " lower 3s");
    ExpectClose(p.upper[1], Cell(expected, r, "Upper3s0001limit"), what + " upper 3s");
    ExpectClose(limits.baseline, Cell(expected, r, "Baseline"), what + " baseline");
  }
  const std::vector<std::string> labels = FunnelSignificance(in, o);
  const int sig = inputs.Column({"significance"});
  for (size_t r = 0; r < inputs.rows.size(); ++r) {
    EXPECT_EQ(labels[r], inputs.rows[r][static_cast<size_t>(sig)]) << "row " << r + 1;
  }
}

TEST(Statistics, RatioFunnelLimitsAndSignificanceMatchThePackage) {
  const Table inputs = Load(kVectors + "funnel_ratio_inputs.csv");
  const FunnelInput in = Inputs(inputs, "obs", "expected");
  const Table expected = Load(kVectors + "funnel_ratio_outputs.csv");
  ASSERT_EQ(expected.rows.size(), 100u);
  for (RatioType type : {RatioType::kCount, RatioType::kIsr}) {
    FunnelOptions o;
    o.statistic = FunnelStatistic::kRatio;
    o.ratio_type = type;
    FunnelLimits limits;
    std::string error;
    ASSERT_TRUE(CalculateFunnelLimits(in, o, &limits, &error)) << error;
    const std::string suffix = type == RatioType::kCount ? "count" : "isr";
    for (size_t r = 0; r < 100; ++r) {
      const FunnelPoint& p = limits.points[r];
      const std::string what = "ratio funnel (" + suffix + ") point " + std::to_string(r + 1);
      double x = 0;
      ASSERT_TRUE(expected.Number(r, 0, false, &x).ok());
      EXPECT_EQ(p.x, x) << what;
      const std::string s[2] = {"2s", "3s"};
      for (int k = 0; k < 2; ++k) {
        ExpectClose(p.lower_denominator[k],
                    Cell(expected, r, ("lower_" + s[k] + "_exp_events").c_str()), what);
        ExpectClose(p.upper_denominator[k],
                    Cell(expected, r, ("upper_" + s[k] + "_exp_events").c_str()), what);
        ExpectClose(p.lower[k], Cell(expected, r, ("lower_" + s[k] + "_" + suffix).c_str()), what);
        ExpectClose(p.upper[k], Cell(expected, r, ("upper_" + s[k] + "_" + suffix).c_str()), what);
      }
    }
  }
  FunnelOptions o;
  o.statistic = FunnelStatistic::kRatio;
  const std::vector<std::string> labels = FunnelSignificance(in, o);
  const int sig = inputs.Column({"significance"});
  for (size_t r = 0; r < inputs.rows.size(); ++r) {
    EXPECT_EQ(labels[r], inputs.rows[r][static_cast<size_t>(sig)]) << "row " << r + 1;
  }
}

TEST(Statistics, RateFunnelLimitsMatchThePackage) {
  const Table inputs = Load(kVectors + "funnel_rate_input_funnels.csv");
  const FunnelInput in = Inputs(inputs, "ev", nullptr, "rate");
  FunnelOptions o;
  o.statistic = FunnelStatistic::kRate;
  o.rate_type = RateType::kDsr;
  o.multiplier = 100000;
  o.years_of_data = 3;
  FunnelLimits limits;
  std::string error;
  ASSERT_TRUE(CalculateFunnelLimits(in, o, &limits, &error)) << error;
  const Table expected = Load(kVectors + "funnel_rate_outputs.csv");
  ASSERT_EQ(expected.rows.size(), 100u);
  for (size_t r = 0; r < 100; ++r) {
    const FunnelPoint& p = limits.points[r];
    const std::string what = "rate funnel point " + std::to_string(r + 1);
    EXPECT_EQ(p.x, Cell(expected, r, "Events")) << what;
    const std::string s[2] = {"2s", "3s"};
    for (int k = 0; k < 2; ++k) {
      ExpectClose(p.lower_denominator[k],
                  Cell(expected, r, ("lower_" + s[k] + "_population_1_year").c_str()), what);
      ExpectClose(p.upper_denominator[k],
                  Cell(expected, r, ("upper_" + s[k] + "_population_1_year").c_str()), what);
      ExpectClose(p.lower[k], Cell(expected, r, ("lower_" + s[k] + "_limit").c_str()), what);
      ExpectClose(p.upper[k], Cell(expected, r, ("upper_" + s[k] + "_limit").c_str()), what);
    }
    ExpectClose(limits.baseline, Cell(expected, r, "baseline"), what + " baseline");
  }
}

TEST(Statistics, TheFunnelCommandWritesLimitsAndSignificance) {
  TempDir dir;
  const auto run = RunPopulus({"stats", "funnel", "--statistic", "proportion", "--multiplier",
                               "100", "--input", kVectors + "funnel_prop_inputs.csv", "--output",
                               dir / "limits.csv", "--significance", dir / "flagged.csv"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Table limits = Load(dir / "limits.csv");
  const Table expected = Load(kVectors + "funnel_prop_outputs.csv");
  ASSERT_EQ(limits.rows.size(), 100u);
  EXPECT_EQ(limits.header[0], "Population");
  for (size_t r = 0; r < 100; r += 9) {
    ExpectClose(Cell(limits, r, "lower_2s_limit"), Cell(expected, r, "Lower2s0025limit"),
                "lower_2s_limit");
    ExpectClose(Cell(limits, r, "upper_3s_limit"), Cell(expected, r, "Upper3s0001limit"),
                "upper_3s_limit");
  }
  // Each input row comes back with its significance, as the package judged it.
  const Table flagged = Load(dir / "flagged.csv");
  const int got = flagged.Column({"significance"});
  ASSERT_GE(got, 0);
  const Table inputs = Load(kVectors + "funnel_prop_inputs.csv");
  ASSERT_EQ(flagged.rows.size(), inputs.rows.size());
  ASSERT_EQ(flagged.header.size(), inputs.header.size());
  size_t high = 0;
  for (size_t r = 0; r < flagged.rows.size(); ++r) {
    // The input's own significance column is replaced by populus's.
    EXPECT_EQ(flagged.rows[r].back(),
              inputs.rows[r][static_cast<size_t>(inputs.Column({"significance"}))]);
    high += flagged.rows[r].back().starts_with("High") ? 1 : 0;
  }
  EXPECT_GT(high, 10u);
  // A funnel needs its multiplier.
  EXPECT_EQ(RunPopulus({"stats", "funnel", "--statistic", "proportion", "--input",
                        kVectors + "funnel_prop_inputs.csv"})
                .exit_code,
            1);
}

TEST(Statistics, TheCommandWritesDsrAndIsrTablesAndRefusesBadInput) {
  TempDir dir;
  auto run = RunPopulus({"stats", "dsr", "--input", kVectors + "dsr_isr_multiarea.csv", "--output",
                         dir / "dsr.csv", "--confidence", "0.95,0.998"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Table dsr = Load(dir / "dsr.csv");
  const Table expected = Load(kVectors + "dsr_results.csv");
  ASSERT_EQ(dsr.rows.size(), 3u);
  for (size_t r = 0; r < 3; ++r) {  // per 100,000: rows 4-6 of the expected file
    ExpectClose(Cell(dsr, r, "value"), Cell(expected, r + 3, "value"), "dsr value");
    ExpectClose(Cell(dsr, r, "upper99_8cl"), Cell(expected, r + 3, "upper99_8cl"), "dsr upper");
    EXPECT_EQ(dsr.rows[r][static_cast<size_t>(dsr.Column({"statistic"}))],
              expected.rows[r + 3][static_cast<size_t>(expected.Column({"statistic"}))]);
  }
  run = RunPopulus({"stats", "isr", "--ratio", "--multiplier", "100", "--input",
                    kVectors + "isr_multiarea.csv", "--confidence", "0.95,0.998"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("indirectly standardised ratio x 100"), std::string::npos) << run.out;
  // Bad input: a name, file, line and reason; nothing written.
  WriteFile(dir / "bad.csv", "area,numerator,denominator\nA,5,100\nB,five,100\n");
  run = RunPopulus(
      {"stats", "proportion", "--input", dir / "bad.csv", "--output", dir / "never.csv"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("bad.csv line 3 column numerator: 'five' is not a number"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(dir / "never.csv"));
  WriteFile(dir / "bad.csv", "area,numerator,denominator\nA,105,100\n");
  run = RunPopulus({"stats", "proportion", "--input", dir / "bad.csv"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("line 2"), std::string::npos) << run.err;
  run = RunPopulus(
      {"stats", "rate", "--input", kVectors + "dsr_isr_multiarea.csv", "--confidence", "0.9,0.99"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
}

// populus stats reads populus analyse's own tables: --columns says which
// columns are the numerator and denominator, withheld counts give no value,
// and numbers are written to a stated precision (issue 11, item 12).
TEST(Statistics, ReadsAnalysesOwnTablesWithAColumnMapping) {
  TempDir dir;
  WriteFile(dir / "registers.csv",
            "level,organisation_code,register,patients,population,per_100\n"
            "practice,J1,DM,25,100,25.000\n"
            "practice,J2,DM,,40,\n"
            "ics,QVV,DM,80,1000,8.000\n");
  auto run = RunPopulus({"stats", "proportion", "--input", dir / "registers.csv", "--columns",
                         "numerator=patients,denominator=population", "--multiplier", "100",
                         "--output", dir / "out.csv"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Table t = Load(dir / "out.csv");
  ASSERT_EQ(t.rows.size(), 3u);
  // The analyst's column names are kept in the output.
  EXPECT_EQ(t.header[3], "patients");
  EXPECT_EQ(t.header[4], "population");
  const int value = t.Column({"value"}), lower = t.Column({"lowercl"}),
            upper = t.Column({"uppercl"});
  ASSERT_GE(value, 0);
  ASSERT_GE(lower, 0);
  // 25 of 100: 25%, Wilson 95% limits 17.5452% to 34.3045% (by hand:
  // (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), z = 1.959964).
  EXPECT_EQ(t.rows[0][static_cast<size_t>(value)], "25");
  EXPECT_NEAR(std::stod(t.rows[0][static_cast<size_t>(lower)]), 17.5452, 1e-3);
  EXPECT_NEAR(std::stod(t.rows[0][static_cast<size_t>(upper)]), 34.3045, 1e-3);
  // Ten significant digits at most: no float noise such as 8.0000000000000018.
  EXPECT_EQ(t.rows[2][static_cast<size_t>(value)], "8");
  for (const auto& row : t.rows) {
    for (int c : {lower, upper}) {
      const std::string& cell = row[static_cast<size_t>(c)];
      std::string digits;
      for (char ch : cell) {
        if (ch >= '0' && ch <= '9') digits += ch;
      }
      EXPECT_LE(digits.size(), 11u) << cell;
    }
  }
  // A withheld count: no value and no limits.
  EXPECT_EQ(t.rows[1][static_cast<size_t>(value)], "");
  EXPECT_EQ(t.rows[1][static_cast<size_t>(lower)], "");
  // --digits states the precision.
  run = RunPopulus({"stats", "proportion", "--input", dir / "registers.csv", "--columns",
                    "numerator=patients,denominator=population", "--multiplier", "100", "--digits",
                    "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(",25,17.5,34.3,"), std::string::npos) << run.out;
  // A mapping to a column the table lacks, or to a role stats has not.
  run = RunPopulus({"stats", "proportion", "--input", dir / "registers.csv", "--columns",
                    "numerator=patiens,denominator=population"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("has no column 'patiens'"), std::string::npos) << run.err;
  run = RunPopulus(
      {"stats", "proportion", "--input", dir / "registers.csv", "--columns", "top=patients"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("ROLE=COLUMN"), std::string::npos) << run.err;
  // A role stats has, but not the command asked for: it would be ignored.
  run = RunPopulus({"stats", "proportion", "--input", dir / "registers.csv", "--columns",
                    "numerator=patients,denominator=population,refpop=population"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("stats proportion reads no refpop column (it reads numerator, "
                         "denominator)"),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace populus::analysis
