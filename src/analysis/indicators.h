// Indicators with public health methods, by organisation and by inequality
// group (docs/analysis.md#indicators).
//
// An indicator is data (data/indicators/indicators.csv): a numerator and a
// denominator, each a criterion (criteria.h; an empty denominator is the
// whole population), and a multiplier. For each practice, PCN, locality and
// the ICS: the proportion with Wilson 95% and 99.8% limits, the directly
// age-standardised rate (European Standard Population 2013, Dobson limits,
// none below 10 events) and, for practices and PCNs, the funnel-plot
// significance against the ICS (95% and 99.8% control limits). For the ICS,
// the same by deprivation quintile (IMD; quintile 1 is the most deprived 20%,
// NHS England's Core20), age band, sex and ethnic group. Every count goes
// through disclosure control before it is written, every level and every
// inequality group of an indicator at once; a value whose counts are
// withheld is withheld too.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analysis/criteria.h"
#include "analysis/disclosure.h"
#include "common/status.h"

namespace populus::analysis {

struct Indicator {
  std::string code, name;
  int numerator = -1, denominator = -1;  // criteria; -1: everyone
  double multiplier = 100;
};

// Columns: indicator, name, numerator, denominator, multiplier; at most 32.
Status LoadIndicators(const std::string& path, CriteriaSet* set, std::vector<Indicator>* out);

// The groups a person falls in, for the inequality breakdowns.
struct PersonGroups {
  int age = 0;           // whole years
  int age_band_19 = 0;   // 0-4, 5-9, ..., 90+ (the standard population's bands)
  int imd_quintile = 0;  // 1-5, or 0 when not recorded
  int sex = 0;           // 0 female, 1 male, 2 other or unknown
  int ethnic_group = 0;  // 0 not recorded, 1 White, 2 Mixed, 3 Asian, 4 Black, 5 Other
};

class IndicatorTally {
 public:
  // `units[level]`: the number of organisations at each level (practice,
  // PCN, locality, ICS).
  IndicatorTally(const std::vector<Indicator>& indicators, const std::vector<size_t>& units);

  // Counts a person for indicator k: in its denominator, and maybe its
  // numerator. `unit[level]` is -1 where the person has no unit.
  void Add(size_t k, const std::vector<int>& unit, const PersonGroups& groups, bool numerator);

  // Indicator k's counts for disclosure control: [numerator, the rest of
  // the denominator] as categories (the denominator their total) for every
  // unit of every level, with `parent` as in HierarchicalCounts, and, with
  // `breakdowns`, the inequality groups of each dimension (imd_quintile,
  // age_band, sex, ethnic_group) as its breakdowns.
  HierarchicalCounts DisclosureCounts(size_t k, const std::vector<std::vector<UnitRef>>& parent,
                                      bool breakdowns) const;
  // Whether every dimension's groups add up to the top level's units for
  // indicator k (so the breakdowns can be protected with the levels).
  bool BreakdownsAddUp(size_t k) const;

  // indicators.csv; `lead(level, unit)` gives the first three columns;
  // `by_unit[k]` is indicator k's DisclosureCounts, protected (its levels are used).
  std::string IndicatorsCsv(const std::function<std::vector<std::string>(size_t, size_t)>& lead,
                            const std::vector<ProtectedHierarchy>& by_unit) const;
  // inequalities.csv (ICS-wide); `by_group[k]`: indicator k's DisclosureCounts with
  // breakdowns, protected (its breakdowns are used).
  std::string InequalitiesCsv(const std::vector<ProtectedHierarchy>& by_group) const;

 private:
  struct Counts {  // by the standard population's 19 age bands
    std::vector<double> numerator = std::vector<double>(19, 0);
    std::vector<double> denominator = std::vector<double>(19, 0);
  };
  const std::vector<Indicator>& indicators_;
  // [indicator][level][unit]
  std::vector<std::vector<std::vector<Counts>>> by_unit_;
  // [indicator][dimension][group]
  std::vector<std::vector<std::vector<Counts>>> by_group_;
  // [indicator][band]: whether anyone in the ICS is in the denominator; an
  // indicator for part of the age range is standardised on its own bands.
  std::vector<std::vector<bool>> bands_used_;
};

}  // namespace populus::analysis
