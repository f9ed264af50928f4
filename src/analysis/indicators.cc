#include "analysis/indicators.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "analysis/statistics.h"
#include "analysis/table.h"

namespace populus::analysis {
namespace {

struct Dimension {
  const char* name;
  std::vector<const char*> groups;
};

const std::vector<Dimension>& Dimensions() {
  static const std::vector<Dimension> kDimensions = {
      {"imd_quintile",
       {"not recorded", "1 (most deprived 20%: Core20)", "2", "3", "4", "5 (least deprived)"}},
      {"age_band", {"0-17", "18-39", "40-64", "65-74", "75-84", "85+"}},
      {"sex", {"female", "male", "other or not known"}},
      {"ethnic_group",
       {"not recorded", "White", "Mixed or multiple", "Asian or Asian British",
        "Black, Black British, Caribbean or African", "Other ethnic group"}},
  };
  return kDimensions;
}

int AgeGroup(int age) {
  if (age < 18) return 0;
  if (age < 40) return 1;
  if (age < 65) return 2;
  if (age < 75) return 3;
  if (age < 85) return 4;
  return 5;
}

double Sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// The value columns of one row: the proportion with 95% and 99.8% limits,
// and the age-standardised rate with 95% limits; empty when not shown.
constexpr size_t kValueColumns = 8;
// The proportion uses the published (rounded) counts, so it reveals no more
// than they do; the standardised rate needs the counts by age band, which
// are not published.
std::vector<std::string> Values(const std::vector<double>& numerator,
                                const std::vector<double>& denominator,
                                const std::vector<bool>& bands, double multiplier,
                                const ProtectedCell& published_x,
                                const ProtectedCell& published_n) {
  const double x = static_cast<double>(published_x.value),
               n = static_cast<double>(published_n.value);
  if (!published_x.shown() || !published_n.shown() || n <= 0) {
    return std::vector<std::string>(kValueColumns);
  }
  const Estimate e = Proportion(x, n, {0.95, 0.998}, multiplier);
  std::vector<double> count, pop, standard;
  for (size_t b = 0; b < bands.size(); ++b) {
    if (!bands[b]) continue;
    count.push_back(numerator[b]);
    pop.push_back(denominator[b]);
    standard.push_back(EuropeanStandardPopulation2013()[b]);
  }
  // A band with no one in this group leaves its rate unknown: no DSR.
  Dsr d;
  d.estimate.limits.resize(1);
  if (std::find(pop.begin(), pop.end(), 0.0) == pop.end()) {
    d = DirectlyStandardisedRate(count, pop, standard, {0.95}, multiplier);
  }
  return {FormatFixed(e.value),
          FormatFixed(e.limits[0].lower),
          FormatFixed(e.limits[0].upper),
          FormatFixed(e.limits[1].lower),
          FormatFixed(e.limits[1].upper),
          FormatFixed(d.estimate.value),
          FormatFixed(d.estimate.limits[0].lower),
          FormatFixed(d.estimate.limits[0].upper)};
}

}  // namespace

Status LoadIndicators(const std::string& path, CriteriaSet* set, std::vector<Indicator>* out) {
  out->clear();
  Table t;
  POPULUS_RETURN_IF_ERROR(
      ReadTable(path, {{"indicator", "name", "numerator", "denominator", "multiplier"}}, &t));
  int code = 0, name = 0, numerator = 0, denominator = 0, multiplier = 0;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"indicator"}, &code));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"name"}, &name));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"numerator"}, &numerator));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"denominator"}, &denominator));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"multiplier"}, &multiplier));
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& f = t.rows[r];
    const std::string where = fmt::format("{} line {}", path, t.lines[r]);
    Indicator k;
    k.code = f[static_cast<size_t>(code)];
    k.name = f[static_cast<size_t>(name)];
    if (k.code.empty()) return Status::Data(where + ": the indicator has no code");
    for (const Indicator& other : *out) {
      if (other.code == k.code) {
        return Status::Data(fmt::format("{}: indicator {} appears twice", where, k.code));
      }
    }
    POPULUS_RETURN_IF_ERROR(set->Add(f[static_cast<size_t>(numerator)], where, &k.numerator));
    if (!f[static_cast<size_t>(denominator)].empty()) {
      POPULUS_RETURN_IF_ERROR(set->Add(f[static_cast<size_t>(denominator)], where, &k.denominator));
    }
    POPULUS_RETURN_IF_ERROR(t.Number(r, multiplier, false, &k.multiplier));
    if (!(k.multiplier > 0)) return Status::Data(where + ": the multiplier must be positive");
    out->push_back(std::move(k));
  }
  if (out->size() > 32) return Status::Data(fmt::format("{}: more than 32 indicators", path));
  return Status::Ok();
}

IndicatorTally::IndicatorTally(const std::vector<Indicator>& indicators,
                               const std::vector<size_t>& units)
    : indicators_(indicators) {
  by_unit_.resize(indicators.size());
  by_group_.resize(indicators.size());
  bands_used_.assign(indicators.size(), std::vector<bool>(19, false));
  for (size_t k = 0; k < indicators.size(); ++k) {
    for (size_t n : units) by_unit_[k].emplace_back(n);
    for (const Dimension& d : Dimensions()) by_group_[k].emplace_back(d.groups.size());
  }
}

void IndicatorTally::Add(size_t k, const std::vector<int>& unit, const PersonGroups& g,
                         bool numerator) {
  const auto band = static_cast<size_t>(g.age_band_19);
  bands_used_[k][band] = true;
  auto count = [&](Counts& c) {
    c.denominator[band] += 1;
    if (numerator) c.numerator[band] += 1;
  };
  for (size_t l = 0; l < unit.size(); ++l) {
    if (unit[l] >= 0) count(by_unit_[k][l][static_cast<size_t>(unit[l])]);
  }
  const int groups[] = {g.imd_quintile, AgeGroup(g.age), g.sex, g.ethnic_group};
  for (size_t d = 0; d < 4; ++d) count(by_group_[k][d][static_cast<size_t>(groups[d])]);
}

HierarchicalCounts IndicatorTally::DisclosureCounts(size_t k,
                                                    const std::vector<std::vector<UnitRef>>& parent,
                                                    bool breakdowns) const {
  auto row = [](const Counts& c) {
    const double x = Sum(c.numerator), n = Sum(c.denominator);
    return std::vector<int64_t>{static_cast<int64_t>(x), static_cast<int64_t>(n - x)};
  };
  HierarchicalCounts out;
  out.parent = parent;
  for (const auto& units : by_unit_[k]) {
    out.counts.emplace_back();
    for (const Counts& c : units) out.counts.back().push_back(row(c));
  }
  if (breakdowns) {
    for (const auto& groups : by_group_[k]) {
      out.breakdowns.emplace_back();
      for (const Counts& c : groups) out.breakdowns.back().push_back(row(c));
    }
  }
  return out;
}

bool IndicatorTally::BreakdownsAddUp(size_t k) const {
  if (by_unit_[k].empty()) return false;
  double x = 0, n = 0;
  for (const Counts& c : by_unit_[k].back()) {
    x += Sum(c.numerator);
    n += Sum(c.denominator);
  }
  for (const auto& groups : by_group_[k]) {
    double gx = 0, gn = 0;
    for (const Counts& c : groups) {
      gx += Sum(c.numerator);
      gn += Sum(c.denominator);
    }
    if (gx != x || gn != n) return false;
  }
  return true;
}

std::string IndicatorTally::IndicatorsCsv(
    const std::function<std::vector<std::string>(size_t, size_t)>& lead,
    const std::vector<ProtectedHierarchy>& by_unit) const {
  std::string out =
      "level,organisation_code,organisation_name,indicator,indicator_name,numerator,denominator,"
      "value,lower95_0cl,upper95_0cl,lower99_8cl,upper99_8cl,dsr,dsr_lower95_0cl,"
      "dsr_upper95_0cl,significance_against_ics\n";
  for (size_t k = 0; k < indicators_.size(); ++k) {
    for (size_t l = 0; l < by_unit_[k].size(); ++l) {
      const auto& units = by_unit_[k][l];
      FunnelInput funnel;
      for (const Counts& c : units) {
        funnel.numerator.push_back(Sum(c.numerator));
        funnel.denominator.push_back(Sum(c.denominator));
      }
      const ProtectedLevel& t = by_unit[k].levels[l];
      FunnelOptions options;
      options.multiplier = indicators_[k].multiplier;
      // Practices and PCNs against the ICS: the weighted average of all.
      std::vector<std::string> significance(units.size());
      if (l <= 1) significance = FunnelSignificance(funnel, options);
      for (size_t u = 0; u < units.size(); ++u) {
        const bool shown = t.cells[u][0].shown() && t.row_totals[u].shown();
        std::vector<std::string> row = lead(l, u);
        row.insert(row.end(), {indicators_[k].code, indicators_[k].name, ShownCount(t.cells[u][0]),
                               ShownCount(t.row_totals[u])});
        for (std::string& v : Values(units[u].numerator, units[u].denominator, bands_used_[k],
                                     indicators_[k].multiplier, t.cells[u][0], t.row_totals[u])) {
          row.push_back(std::move(v));
        }
        row.push_back(shown && funnel.denominator[u] > 0 ? significance[u] : "");
        out += CsvLine(row);
      }
    }
  }
  return out;
}

std::string IndicatorTally::InequalitiesCsv(const std::vector<ProtectedHierarchy>& by_group) const {
  std::string out =
      "indicator,indicator_name,dimension,group,numerator,denominator,value,lower95_0cl,"
      "upper95_0cl,lower99_8cl,upper99_8cl,dsr,dsr_lower95_0cl,dsr_upper95_0cl\n";
  for (size_t k = 0; k < indicators_.size(); ++k) {
    for (size_t d = 0; d < Dimensions().size(); ++d) {
      const auto& groups = by_group_[k][d];
      const ProtectedLevel& t = by_group[k].breakdowns[d];
      for (size_t g = 0; g < groups.size(); ++g) {
        std::vector<std::string> row = {indicators_[k].code,       indicators_[k].name,
                                        Dimensions()[d].name,      Dimensions()[d].groups[g],
                                        ShownCount(t.cells[g][0]), ShownCount(t.row_totals[g])};
        std::vector<std::string> v =
            Values(groups[g].numerator, groups[g].denominator, bands_used_[k],
                   indicators_[k].multiplier, t.cells[g][0], t.row_totals[g]);
        // Age-standardising within an age band says nothing: leave it out.
        if (std::string(Dimensions()[d].name) == "age_band") {
          for (size_t c = kValueColumns - 3; c < kValueColumns; ++c) v[c].clear();
        }
        row.insert(row.end(), v.begin(), v.end());
        out += CsvLine(row);
      }
    }
  }
  return out;
}

}  // namespace populus::analysis
