#include "analysis/statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

namespace populus::analysis {
namespace {

// Regularised lower incomplete gamma P(a, x): the series below a + 1, the
// continued fraction for Q = 1 - P above (Numerical Recipes' split).
double LowerRegularisedGamma(double a, double x) {
  if (x <= 0) return 0;
  const double log_prefix = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {
    double term = 1 / a, sum = term;
    for (double n = a + 1; n < a + 10000; n += 1) {
      term *= x / n;
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-17) break;
    }
    return std::min(1.0, sum * std::exp(log_prefix));
  }
  // Lentz's method for the continued fraction of Q(a, x).
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-17) break;
  }
  return std::max(0.0, 1 - std::exp(log_prefix) * h);
}

// R's round(): halves to even.
double RoundHalfEven(double x) { return std::nearbyint(x); }

// The number of characters R prints for a whole number by default: fixed
// notation unless scientific is strictly shorter.
int RPrintedLength(double v) {
  if (v == 0) return 1;
  const bool negative = v < 0;
  v = std::fabs(v);
  char fixed[64], sci[64];
  std::snprintf(fixed, sizeof fixed, "%.0f", v);
  std::snprintf(sci, sizeof sci, "%.14e", v);
  std::string mantissa(sci, std::strchr(sci, 'e'));
  while (!mantissa.empty() && mantissa.back() == '0') mantissa.pop_back();
  if (!mantissa.empty() && mantissa.back() == '.') mantissa.pop_back();
  const int exponent = std::atoi(std::strchr(sci, 'e') + 1);
  const int digits =
      static_cast<int>(mantissa.size()) - (mantissa.find('.') == std::string::npos ? 0 : 1);
  const int sci_width = (digits == 1 ? 1 : digits + 1) + (std::abs(exponent) < 100 ? 4 : 5);
  const int fixed_width = static_cast<int>(std::strlen(fixed));
  return (fixed_width > sci_width ? sci_width : fixed_width) + (negative ? 1 : 0);
}

// The funnel axis's rounded ends: 95% of the smallest denominator rounded
// down, 105% of the largest rounded up, to their leading digits.
double AxisFloor(double x) {
  if (x == 0) return 0;
  const double k = RPrintedLength(std::floor(0.95 * x)) - 1;
  return std::floor(0.95 * x / std::pow(10.0, k)) * std::pow(10.0, k);
}
double AxisCeiling(double x) {
  if (x == 0) return 0;
  const double k = RPrintedLength(std::ceil(1.05 * x)) - 2;
  return std::ceil(1.05 * x / std::pow(10.0, k)) * std::pow(10.0, k);
}

// P(a <= X <= b) for X Poisson(mu), by direct summation as the funnel method
// does it (its truncation decides the limits to the last digit).
double PoissonRange(double mu, double a, double b) {
  double q = 1, total = 0, sum = 0;
  for (double k = 0; k <= mu || q > total * 1e-10;) {
    total += q;
    if (a <= k && k <= b) sum += q;
    if (total > 1e30) {
      sum /= 1e30;
      total /= 1e30;
      q /= 1e30;
    }
    k += 1;
    q = q * mu / k;
  }
  return sum / total;
}

// The Poisson mean at which the observed count sits at tail probability p:
// `low` solves P(X >= O) = p, otherwise P(X <= O) = p; 23 halvings of a
// bisection over mu = (1 + O) v / (1 - v).
double PoissonFunnel(double observed, double p, bool low) {
  double v = 0.5, dv = 0.5;
  while (dv > 1e-7) {
    dv /= 2;
    const double mu = (1 + observed) * v / (1 - v);
    const bool down =
        low ? PoissonRange(mu, observed, 1e10) > p : PoissonRange(mu, 0, observed) < p;
    v += down ? -dv : dv;
  }
  return (1 + observed) * v / (1 - v);
}

// Proportion funnel limit at population N: the observed proportion whose
// Wilson interval at one-sided quantile q just reaches the average.
double ProportionControlLimit(double q, double n, double average, bool low, double multiplier) {
  const double z = NormalQuantile(q);
  const double z2 = z * z;
  const double a = n / z2 + 1;
  const double b = 1 / z2 + 1 / n;
  const double root =
      std::sqrt(64 * average * average * a * a -
                64 * b * average * (n * (average * (n / z2 + 2) - 1) + z2 * (average - 1)));
  return (average * a + (low ? -root : root) / 8) / b / n * multiplier;
}

// The one-sided test limit on a count for the funnel significance of ratios
// and rates (per unit of denominator): exact below 10, Byar's from 10.
double SignificanceLimit(double observed, double denominator, double confidence, bool low) {
  double limit;
  if (low && observed == 0) {
    limit = 0;
  } else if (observed < 10) {
    const Limits exact = ExactPoissonLimits(observed, confidence);
    limit = low ? exact.lower : exact.upper;
  } else {
    const Limits byar = ByarLimits(observed, confidence);
    limit = low ? byar.lower : byar.upper;
  }
  return limit / denominator;
}

std::string Classify(double reference, double low_3s, double low_2s, double high_3s,
                     double high_2s) {
  if (reference < low_3s) return "High (0.001)";
  if (reference < low_2s) return "High (0.025)";
  if (reference > high_3s) return "Low (0.001)";
  if (reference > high_2s) return "Low (0.025)";
  return "Not significant";
}

// Denominators as the funnel methods derive them: rates from events and
// rate (a DSR with no events has none).
std::vector<double> FunnelDenominators(const FunnelInput& input, const FunnelOptions& options) {
  if (options.statistic != FunnelStatistic::kRate) return input.denominator;
  std::vector<double> d(input.numerator.size(), kMissing);
  for (size_t i = 0; i < d.size(); ++i) {
    const double x = input.numerator[i];
    if (x != 0) {
      d[i] = options.multiplier * x / input.rate[i];
    } else if (options.rate_type == RateType::kCrude && i < input.denominator.size()) {
      d[i] = input.denominator[i];
    }
  }
  return d;
}

}  // namespace

double NormalQuantile(double p) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q *
           (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) *
                    r +
                45921.953931549871457) *
                   r +
               13731.693765509461125) *
                  r +
              1971.5909503065514427) *
                 r +
             133.14166789178437745) *
                r +
            3.387132872796366608) /
           (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) *
                    r +
                21213.794301586595867) *
                   r +
               5394.1960214247511077) *
                  r +
              687.1870074920579083) *
                 r +
             42.313330701600911252) *
                r +
            1.0);
  }
  double r = std::sqrt(-std::log(q < 0 ? p : 1 - p));
  double value;
  if (r <= 5) {
    r -= 1.6;
    value = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                  0.24178072517745061177) *
                     r +
                 1.27045825245236838258) *
                    r +
                3.64784832476320460504) *
                   r +
               5.7694972214606914055) *
                  r +
              4.6303378461565452959) *
                 r +
             1.42343711074968357734) /
            (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                  0.0151986665636164571966) *
                     r +
                 0.14810397642748007459) *
                    r +
                0.68976733498510000455) *
                   r +
               1.6763848301838038494) *
                  r +
              2.05319162663775882187) *
                 r +
             1.0);
  } else {
    r -= 5;
    value = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                  0.0012426609473880784386) *
                     r +
                 0.026532189526576123093) *
                    r +
                0.29656057182850489123) *
                   r +
               1.7848265399172913358) *
                  r +
              5.4637849111641143699) *
                 r +
             6.6579046435011037772) /
            (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                  1.8463183175100546818e-5) *
                     r +
                 7.868691311456132591e-4) *
                    r +
                0.0148753612908506148525) *
                   r +
               0.13692988092273580531) *
                  r +
              0.59983220655588793769) *
                 r +
             1.0);
  }
  return q < 0 ? -value : value;
}

double GammaQuantile(double p, double shape) {
  if (shape <= 0 || p <= 0) return 0;
  if (p >= 1) return std::numeric_limits<double>::infinity();
  // Bracket, then Newton steps kept inside the bracket (bisection if not).
  double lo = 0, hi = std::max(1.0, shape);
  while (LowerRegularisedGamma(shape, hi) < p) hi *= 2;
  double x = std::clamp(shape, lo, hi);
  for (int i = 0; i < 200; ++i) {
    const double f = LowerRegularisedGamma(shape, x) - p;
    if (f == 0) break;
    (f < 0 ? lo : hi) = x;
    const double density = std::exp((shape - 1) * std::log(x) - x - std::lgamma(shape));
    double next = density > 0 ? x - f / density : (lo + hi) / 2;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (std::fabs(next - x) <= 1e-15 * std::max(1.0, x)) {
      x = next;
      break;
    }
    x = next;
  }
  return x;
}

double CriticalValue(double confidence) { return NormalQuantile((1 + confidence) / 2); }

Limits ByarLimits(double count, double confidence) {
  const double z = CriticalValue(confidence);
  Limits l;
  const double lower = count * std::pow(1 - 1 / (9 * count) - z / (3 * std::sqrt(count)), 3);
  l.lower = lower < 0 || std::isnan(lower) ? kMissing : lower;
  const double o = count + 1;
  l.upper = o * std::pow(1 - 1 / (9 * o) + z / (3 * std::sqrt(o)), 3);
  return l;
}

Limits ExactPoissonLimits(double count, double confidence) {
  Limits l;
  l.lower = count == 0 ? 0.0 : GammaQuantile((1 - confidence) / 2, count);
  l.upper = GammaQuantile((1 + confidence) / 2, count + 1);
  return l;
}

Limits CountLimits(double count, double confidence, bool* exact) {
  const bool small = count < 10;
  if (exact != nullptr) *exact = small;
  return small ? ExactPoissonLimits(count, confidence) : ByarLimits(count, confidence);
}

Limits WilsonLimits(double x, double n, double confidence) {
  if (confidence == 1) return {0, 1};
  const double z = CriticalValue(confidence);
  const double root = z * std::sqrt(z * z + 4 * x * (1 - x / n));
  const double denominator = 2 * (n + z * z);
  return {(2 * x + z * z - root) / denominator, (2 * x + z * z + root) / denominator};
}

const std::array<double, 19>& EuropeanStandardPopulation2013() {
  static const std::array<double, 19> kWeights = {5000, 5500, 5500, 5500, 6000, 6000, 6500,
                                                  7000, 7000, 7000, 7000, 6500, 6000, 5500,
                                                  5000, 4000, 2500, 1500, 1000};
  return kWeights;
}

Estimate Proportion(double x, double n, const std::vector<double>& confidence, double multiplier) {
  Estimate e;
  e.method = "Wilson";
  const bool known = !std::isnan(x) && !std::isnan(n);
  e.value = known ? x / n * multiplier : kMissing;
  for (double c : confidence) {
    Limits l;
    if (known) {
      l = WilsonLimits(x, n, c);
      l.lower *= multiplier;
      l.upper *= multiplier;
    }
    e.limits.push_back(l);
  }
  return e;
}

Estimate Rate(double x, double n, const std::vector<double>& confidence, double multiplier) {
  Estimate e;
  if (!std::isnan(x)) e.method = x < 10 ? "Exact" : "Byars";
  const bool known = !std::isnan(x) && !std::isnan(n);
  e.value = known ? x / n * multiplier : kMissing;
  for (double c : confidence) {
    Limits l;
    if (known) {
      l = CountLimits(x, c);
      l.lower = l.lower / n * multiplier;
      l.upper = l.upper / n * multiplier;
    }
    e.limits.push_back(l);
  }
  return e;
}

Dsr DirectlyStandardisedRate(const std::vector<double>& count, const std::vector<double>& pop,
                             const std::vector<double>& standard,
                             const std::vector<double>& confidence, double multiplier) {
  Dsr d;
  d.estimate.method = "Dobson";
  double weights = 0, weighted = 0, variance = 0;
  for (size_t i = 0; i < count.size(); ++i) {
    const double x = std::isnan(count[i]) ? 0.0 : count[i];
    d.total_count += x;
    d.total_pop += pop[i];
    weights += standard[i];
    weighted += x * standard[i] / pop[i];
    variance += x * (standard[i] / pop[i]) * (standard[i] / pop[i]);
  }
  variance /= weights * weights;
  const double dsr = weighted / weights;
  for (double c : confidence) {
    Limits l;
    if (d.total_count >= 10) {
      const Limits byar = ByarLimits(d.total_count, c);
      const double spread = std::sqrt(variance / d.total_count);
      l.lower = (dsr + spread * (byar.lower - d.total_count)) * multiplier;
      l.upper = (dsr + spread * (byar.upper - d.total_count)) * multiplier;
    }
    d.estimate.limits.push_back(l);
  }
  d.estimate.value = d.total_count >= 10 ? dsr * multiplier : kMissing;
  return d;
}

Isr IndirectlyStandardised(const std::vector<double>& count, const std::vector<double>& pop,
                           const std::vector<double>& reference_count,
                           const std::vector<double>& reference_pop,
                           const std::vector<double>& confidence, double multiplier, bool ratio) {
  Isr r;
  double reference_events = 0, reference_people = 0;
  for (size_t i = 0; i < count.size(); ++i) {
    const double x = std::isnan(count[i]) ? 0.0 : count[i];
    const double n = std::isnan(pop[i]) ? 0.0 : pop[i];
    const double ref = std::isnan(reference_count[i]) ? 0.0 : reference_count[i];
    r.observed += x;
    r.expected += ref / reference_pop[i] * n;
    reference_events += ref;
    reference_people += reference_pop[i];
  }
  double scale = multiplier;  // the ratio's reference value
  if (!ratio) {
    r.reference_rate = reference_events / reference_people * multiplier;
    scale = r.reference_rate;
  }
  r.estimate.value = r.observed / r.expected * scale;
  r.estimate.method = r.observed < 10 ? "Exact" : "Byars";
  for (double c : confidence) {
    Limits l = CountLimits(r.observed, c);
    l.lower = l.lower / r.expected * scale;
    l.upper = l.upper / r.expected * scale;
    r.estimate.limits.push_back(l);
  }
  return r;
}

bool CalculateFunnelLimits(const FunnelInput& input, const FunnelOptions& options,
                           FunnelLimits* out, std::string* error) {
  *out = FunnelLimits();
  const size_t n = input.numerator.size();
  if (n == 0) {
    *error = "there are no rows";
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(input.numerator[i]) || input.numerator[i] < 0) {
      *error = "every numerator must be a number, 0 or more";
      return false;
    }
  }
  if (options.statistic == FunnelStatistic::kRate) {
    if (input.rate.size() != n) {
      *error = "a rate funnel needs a rate on every row";
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      if (input.numerator[i] == 0 &&
          (options.rate_type == RateType::kCrude
               ? (i >= input.denominator.size() || !(input.denominator[i] > 0))
               : false)) {
        *error = "a crude rate with no events needs a denominator above 0";
        return false;
      }
    }
  } else if (input.denominator.size() != n) {
    *error = "a denominator is needed on every row";
    return false;
  }
  const std::vector<double> d = FunnelDenominators(input, options);
  double events = 0, people = 0, lowest = std::numeric_limits<double>::infinity(), highest = 0;
  for (size_t i = 0; i < n; ++i) {
    events += input.numerator[i];
    if (std::isnan(d[i])) continue;
    if (!(d[i] > 0)) {
      *error = "every denominator must be above 0";
      return false;
    }
    people += d[i];
    lowest = std::min(lowest, d[i]);
    highest = std::max(highest, d[i]);
  }
  if (!(people > 0)) {
    *error = "no row has a denominator";
    return false;
  }
  const double average = events / people;
  const bool rate = options.statistic == FunnelStatistic::kRate;
  const double years = options.years_of_data;
  double axis_min = highest > 2 * lowest ? 0.0
                    : rate               ? AxisFloor(lowest / years) * years
                                         : AxisFloor(lowest);
  double axis_max = rate ? AxisCeiling(highest / years) * years : AxisCeiling(highest);
  if (rate) {
    axis_min = std::floor(axis_min * average);
    axis_max = std::ceil(axis_max * average);
  }
  std::vector<double> xs = {std::max(1.0, axis_min)};
  for (int j = 2; j <= 100; ++j) {
    const int offset = options.statistic == FunnelStatistic::kRatio ? j - 1 : j;
    const double last = xs.back();
    xs.push_back(
        std::max(RoundHalfEven(std::pow(axis_max / last, 1.0 / (101 - offset)) * last), last + 1));
  }
  const double tails[2] = {0.025, 0.001};  // 2s (95%), 3s (99.8%)
  for (double x : xs) {
    FunnelPoint point;
    point.x = x;
    for (int s = 0; s < 2; ++s) {
      switch (options.statistic) {
        case FunnelStatistic::kProportion: {
          const double q = 1 - tails[s];
          const double low = ProportionControlLimit(q, x, average, true, options.multiplier);
          const double high = ProportionControlLimit(q, x, average, false, options.multiplier);
          // As the package does: 0 and 100 bound the limits whatever the
          // multiplier, and NaN stays NaN.
          point.lower[s] = std::isnan(low) ? low : std::max(0.0, low);
          point.upper[s] = std::isnan(high) ? high : std::min(100.0, high);
          break;
        }
        case FunnelStatistic::kRatio: {
          const double lower_expected = PoissonFunnel(x, tails[s], false);
          const double upper_expected = PoissonFunnel(x, tails[s], true);
          point.lower_denominator[s] = lower_expected;
          point.upper_denominator[s] = upper_expected;
          const double low = x / lower_expected, high = x / upper_expected;
          point.lower[s] = options.ratio_type == RatioType::kCount ? low - 1 : low * 100;
          point.upper[s] = options.ratio_type == RatioType::kCount ? high - 1 : high * 100;
          break;
        }
        case FunnelStatistic::kRate: {
          const double low_pop = PoissonFunnel(x, tails[s], false) / average;
          const double high_pop = PoissonFunnel(x, tails[s], true) / average;
          point.lower_denominator[s] = low_pop / years;
          point.upper_denominator[s] = high_pop / years;
          point.lower[s] = x / low_pop * options.multiplier;
          point.upper[s] = x / high_pop * options.multiplier;
          break;
        }
      }
    }
    out->points.push_back(point);
  }
  if (options.statistic != FunnelStatistic::kRatio) out->baseline = average * options.multiplier;
  return true;
}

std::vector<std::string> FunnelSignificance(const FunnelInput& input,
                                            const FunnelOptions& options) {
  const size_t n = input.numerator.size();
  std::vector<std::string> out(n);
  if (options.statistic == FunnelStatistic::kProportion) {
    double events = 0, people = 0;
    for (size_t i = 0; i < n; ++i) {
      events += input.numerator[i];
      people += input.denominator[i];
    }
    const double average = events / people;
    for (size_t i = 0; i < n; ++i) {
      const double p = input.numerator[i] / input.denominator[i];
      const double d = input.denominator[i];
      if (p < ProportionControlLimit(0.999, d, average, true, 1)) {
        out[i] = "Low (0.001)";
      } else if (p < ProportionControlLimit(0.975, d, average, true, 1)) {
        out[i] = "Low (0.025)";
      } else if (p > ProportionControlLimit(0.999, d, average, false, 1)) {
        out[i] = "High (0.001)";
      } else if (p > ProportionControlLimit(0.975, d, average, false, 1)) {
        out[i] = "High (0.025)";
      } else {
        out[i] = "Not significant";
      }
    }
    return out;
  }
  // Ratios against 1; rates against the weighted average, on derived
  // denominators.
  const std::vector<double> d = FunnelDenominators(input, options);
  double reference = 1;
  if (options.statistic == FunnelStatistic::kRate) {
    double events = 0, people = 0;
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(d[i])) continue;
      events += input.numerator[i];
      people += d[i];
    }
    reference = events / people;
  }
  for (size_t i = 0; i < n; ++i) {
    const double o = input.numerator[i];
    out[i] = Classify(
        reference, SignificanceLimit(o, d[i], 0.998, true), SignificanceLimit(o, d[i], 0.95, true),
        SignificanceLimit(o, d[i], 0.998, false), SignificanceLimit(o, d[i], 0.95, false));
    if (options.statistic == FunnelStatistic::kRate && options.rate_type == RateType::kDsr &&
        o < 10) {
      out[i] = "Not applicable for events less than 10 for dsrs";
    }
  }
  return out;
}

}  // namespace populus::analysis
