// Disclosure control (src/analysis/disclosure.h): a table a reviewer can
// check by eye, and the guarantees on many random tables.
#include "analysis/disclosure.h"

#include <gtest/gtest.h>

#include <random>

namespace populus::analysis {
namespace {

TEST(Disclosure, SmallCountsAndTheCellsThatWouldRevealThemAreWithheld) {
  //        A   B   C | total
  // row 0 20   3  15 |  38
  // row 1 12  30   9 |  51
  // total 32  33  24 |  89
  const ProtectedTable t = ProtectTable({{20, 3, 15}, {12, 30, 9}});
  // 3 is a small count. Row 0 would give it away (38 - 20 - 15), so its
  // smallest other count (15) goes too; then column B needs 30 withheld, and
  // column C needs 9; row 1 then has two withheld and is safe.
  EXPECT_EQ(t.cells[0][1].state, CellState::kPrimary);
  EXPECT_EQ(t.cells[0][2].state, CellState::kSecondary);
  EXPECT_EQ(t.cells[1][1].state, CellState::kSecondary);
  EXPECT_EQ(t.cells[1][2].state, CellState::kSecondary);
  // What is shown is rounded to the nearest 5.
  EXPECT_TRUE(t.cells[0][0].shown());
  EXPECT_EQ(t.cells[0][0].value, 20);
  EXPECT_EQ(t.cells[1][0].value, 10);       // 12
  EXPECT_EQ(t.row_totals[0].value, 40);     // 38
  EXPECT_EQ(t.row_totals[1].value, 50);     // 51
  EXPECT_EQ(t.column_totals[0].value, 30);  // 32
  EXPECT_EQ(t.column_totals[1].value, 35);  // 33
  EXPECT_EQ(t.column_totals[2].value, 25);  // 24
  EXPECT_EQ(t.grand_total.value, 90);       // 89
}

TEST(Disclosure, ATotalGoesWhenNothingElseCanProtectTheCell) {
  // One row: a small count beside zeros; only the total can hide it.
  const ProtectedTable t = ProtectTable({{0, 4, 0}});
  EXPECT_EQ(t.cells[0][1].state, CellState::kPrimary);
  EXPECT_FALSE(t.row_totals[0].shown());
  EXPECT_TRUE(t.cells[0][0].shown());
  EXPECT_EQ(t.cells[0][0].value, 0);  // a zero is not disclosive
}

TEST(Disclosure, RulesAreConfigurable) {
  const ProtectedTable t = ProtectTable({{3, 12}, {40, 41}}, {.suppress_up_to = 0, .round_to = 1});
  EXPECT_TRUE(t.cells[0][0].shown());
  EXPECT_EQ(t.cells[0][0].value, 3);
  EXPECT_EQ(t.grand_total.value, 96);
  EXPECT_EQ(RoundCount(12, 5), 10);
  EXPECT_EQ(RoundCount(13, 5), 15);
  EXPECT_EQ(RoundCount(0, 5), 0);
}

TEST(Disclosure, NoWithheldCountCanBeWorkedOutFromItsRowOrColumn) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 500; ++trial) {
    const size_t rows = 1 + rng() % 6, columns = 1 + rng() % 6;
    std::vector<std::vector<int64_t>> counts(rows, std::vector<int64_t>(columns));
    for (auto& row : counts) {
      for (auto& v : row) {
        const int kind = static_cast<int>(rng() % 4);  // zeros, small, middling, large
        v = kind == 0   ? 0
            : kind == 1 ? 1 + static_cast<int64_t>(rng() % 7)
                        : static_cast<int64_t>(rng() % (kind == 2 ? 30 : 500));
      }
    }
    const ProtectedTable t = ProtectTable(counts);
    // The grid with totals, as shown or withheld, and its true values.
    std::vector<std::vector<const ProtectedCell*>> grid(rows + 1);
    std::vector<std::vector<int64_t>> truth(rows + 1, std::vector<int64_t>(columns + 1, 0));
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < columns; ++c) {
        grid[r].push_back(&t.cells[r][c]);
        truth[r][c] = counts[r][c];
        truth[r][columns] += counts[r][c];
        truth[rows][c] += counts[r][c];
        truth[rows][columns] += counts[r][c];
      }
      grid[r].push_back(&t.row_totals[r]);
    }
    for (size_t c = 0; c < columns; ++c) grid[rows].push_back(&t.column_totals[c]);
    grid[rows].push_back(&t.grand_total);
    for (size_t r = 0; r <= rows; ++r) {
      for (size_t c = 0; c <= columns; ++c) {
        const ProtectedCell& cell = *grid[r][c];
        const int64_t v = truth[r][c];
        if (v >= 1 && v <= 7) {
          EXPECT_FALSE(cell.shown()) << "trial " << trial;
        }
        if (cell.shown()) {
          EXPECT_EQ(cell.value % 5, 0);
          EXPECT_LE(std::abs(cell.value - v), 2);
        }
      }
    }
    // Every row and column of the grid: none withheld, or at least two.
    for (size_t r = 0; r <= rows; ++r) {
      int withheld = 0;
      for (size_t c = 0; c <= columns; ++c) withheld += grid[r][c]->shown() ? 0 : 1;
      EXPECT_NE(withheld, 1) << "trial " << trial << " row " << r;
    }
    for (size_t c = 0; c <= columns; ++c) {
      int withheld = 0;
      for (size_t r = 0; r <= rows; ++r) withheld += grid[r][c]->shown() ? 0 : 1;
      EXPECT_NE(withheld, 1) << "trial " << trial << " column " << c;
    }
  }
}

}  // namespace
}  // namespace populus::analysis
