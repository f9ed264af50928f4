// Public health statistics as England's Fingertips profiles compute them.
//
// The methods of the R package PHEindicatormethods (UKHSA), so an analyst
// moving from R gets the same numbers (tested against the package's test
// vectors to 1e-6 relative; docs/statistics.md):
//   - proportions with Wilson score limits;
//   - crude rates with exact Poisson limits below 10 events and Byar's
//     approximation from 10;
//   - directly standardised rates with Dobson's limits (suppressed below 10
//     events), by default on the 19-band European Standard Population 2013;
//   - indirectly standardised ratios and rates;
//   - funnel plot control limits (proportions, ratios, rates) and the
//     significance of each unit against them.
// Limits are for a two-sided confidence level (0.95 or 0.998); a limit that
// does not exist (a negative Byar lower limit) is NaN.
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace populus::analysis {

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// The standard normal quantile (Wichura's AS241), and the lower-tail
// quantile of the gamma distribution with unit scale.
double NormalQuantile(double p);
double GammaQuantile(double p, double shape);

// The two-sided critical value for a confidence level: NormalQuantile((1+c)/2).
double CriticalValue(double confidence);

struct Limits {
  double lower = kMissing, upper = kMissing;
};

// Poisson limits on a count: Byar's approximation, exact (chi-square), and
// the selector the rate, ISR and funnel methods share (exact below 10).
Limits ByarLimits(double count, double confidence);
Limits ExactPoissonLimits(double count, double confidence);
Limits CountLimits(double count, double confidence, bool* exact = nullptr);

// Wilson score limits of x out of n, as proportions.
Limits WilsonLimits(double x, double n, double confidence);

// The 19-band European Standard Population 2013 (0-4, 5-9, ..., 85-89, 90+).
const std::array<double, 19>& EuropeanStandardPopulation2013();

// A value with limits at each confidence level asked for.
struct Estimate {
  double value = kMissing;
  std::vector<Limits> limits;  // one per confidence level, in the order given
  std::string method;          // "Wilson", "Exact", "Byars", "Dobson", ...
};

Estimate Proportion(double x, double n, const std::vector<double>& confidence, double multiplier);
Estimate Rate(double x, double n, const std::vector<double>& confidence, double multiplier);

// Directly standardised rate of one area: counts and populations by band,
// with the standard population's weights for the same bands. NaN value and
// limits when the total count is below 10.
struct Dsr {
  double total_count = 0, total_pop = 0;
  Estimate estimate;
};
Dsr DirectlyStandardisedRate(const std::vector<double>& count, const std::vector<double>& pop,
                             const std::vector<double>& standard,
                             const std::vector<double>& confidence, double multiplier);

// Indirectly standardised ratio (times `multiplier`, 1 or 100) or rate (per
// `multiplier` people, from the reference's crude rate) of one area, with
// the reference's counts and populations by band.
struct Isr {
  double observed = 0, expected = 0, reference_rate = kMissing;  // rate only
  Estimate estimate;
};
Isr IndirectlyStandardised(const std::vector<double>& count, const std::vector<double>& pop,
                           const std::vector<double>& reference_count,
                           const std::vector<double>& reference_pop,
                           const std::vector<double>& confidence, double multiplier, bool ratio);

// Funnel plots. The limits table has 100 points along the x axis
// (population for proportions, observed events for ratios, events for
// rates), as calculate_funnel_limits makes it.
enum class FunnelStatistic { kProportion, kRatio, kRate };
enum class RatioType { kCount, kIsr };  // limits as ratio - 1, or x 100
enum class RateType { kDsr, kCrude };

struct FunnelInput {
  std::vector<double> numerator;
  std::vector<double> denominator;  // proportion: population; ratio: expected; rate: optional
  std::vector<double> rate;         // rate only
};

struct FunnelOptions {
  FunnelStatistic statistic = FunnelStatistic::kProportion;
  RatioType ratio_type = RatioType::kCount;
  RateType rate_type = RateType::kDsr;
  double multiplier = 100;
  double years_of_data = 1;
};

struct FunnelPoint {
  double x = 0;  // population, observed events or events
  // [2s, 3s]: lower and upper limits, and (ratio: expected events; rate:
  // population over one year) at each.
  std::array<double, 2> lower{}, upper{}, lower_denominator{}, upper_denominator{};
};

struct FunnelLimits {
  std::vector<FunnelPoint> points;  // 100
  double baseline = kMissing;       // proportions and rates
};

// Fails (returns false, with a reason) on inputs the method cannot use.
bool CalculateFunnelLimits(const FunnelInput& input, const FunnelOptions& options,
                           FunnelLimits* out, std::string* error);

// "High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)", "Not
// significant" (and for DSRs under 10 events "Not applicable for events less
// than 10 for dsrs"), for each input row.
std::vector<std::string> FunnelSignificance(const FunnelInput& input, const FunnelOptions& options);

}  // namespace populus::analysis
