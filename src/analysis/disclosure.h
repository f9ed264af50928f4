// Statistical disclosure control for the aggregates that leave populus.
//
// A table of counts (rows by columns, with its row, column and grand totals)
// is protected in three steps:
//   1. primary suppression: every count from 1 to `suppress_up_to` (7 by
//      default; 0 is shown) is withheld;
//   2. secondary suppression: in every row and every column, totals
//      included, either nothing is withheld or at least two entries are, so
//      no withheld count can be worked out by subtracting the others from a
//      total; the smallest remaining non-zero count of the row or column is
//      withheld to make a second (its total, if nothing else is left), and
//      this repeats until every row and column is safe;
//   3. rounding: every count shown is rounded to the nearest `round_to` (5
//      by default; halves round up).
// Suppression never depends on the order of rows or columns beyond ties,
// which go to the first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace populus::analysis {

struct DisclosureRules {
  int64_t suppress_up_to = 7;  // counts 1..this are withheld (0: no primary suppression)
  int64_t round_to = 5;        // 1: no rounding
};

enum class CellState : uint8_t { kShown, kPrimary, kSecondary };

struct ProtectedCell {
  int64_t value = 0;  // rounded; meaningless when withheld
  CellState state = CellState::kShown;
  bool shown() const { return state == CellState::kShown; }
};

// The protected table: cells[r][c], row_totals[r], column_totals[c] and the
// grand total.
struct ProtectedTable {
  std::vector<std::vector<ProtectedCell>> cells;
  std::vector<ProtectedCell> row_totals, column_totals;
  ProtectedCell grand_total;
};

// Protects a rectangular table of counts (every row the same length, no
// negative counts); totals are computed from the counts.
ProtectedTable ProtectTable(const std::vector<std::vector<int64_t>>& counts,
                            const DisclosureRules& rules = {});

// A protected count as the output writes it: the number, or empty when
// withheld.
std::string ShownCount(const ProtectedCell& cell);

// Rounds a count to the nearest multiple of `round_to` (halves up).
int64_t RoundCount(int64_t count, int64_t round_to);

}  // namespace populus::analysis
