// report.html: the analysis as one self-contained page a commissioner can
// open offline (no scripts, fonts or images from anywhere else; charts are
// inline SVG). It is drawn from the tables `populus analyse` writes, after
// disclosure control, so it shows nothing the tables do not: the population
// pyramid, condition prevalence by practice as funnel plots (95% and 99.8%
// limits around the ICS value), frailty by PCN, Bridges to Health segments
// and care-model tiers, inequality gaps by deprivation quintile, and how
// the emergency admission risk model did on the year it never saw.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace populus::analysis {

struct ReportFacts {
  std::string as_of;                         // YYYY-MM-DD
  std::string snapshot;                      // the snapshot version
  std::string generated_by;                  // "populus analyse"
  int64_t suppress_up_to = 7, round_to = 5;  // the disclosure rules the tables used
};

// Reads the tables in `dir` (CSV) and writes `dir`/report.html.
Status WriteReport(const std::string& dir, const ReportFacts& facts);

}  // namespace populus::analysis
