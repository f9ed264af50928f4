// Disclosure control (src/analysis/disclosure.h): tables and hierarchies a
// reviewer can check by eye, the audit on published tables whose answer is
// known, and the guarantees on many random tables and hierarchies.
#include "analysis/disclosure.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// ---- Hierarchies ----

const DisclosureRules kDefault;

// Practices (level 0) under PCNs (level 1) under one ICS (level 2):
// `practices_of[p]` is how many practices PCN p has.
std::vector<std::vector<UnitRef>> TwoLevelsUnderAnIcs(const std::vector<int>& practices_of) {
  std::vector<std::vector<UnitRef>> parent(3);
  for (size_t p = 0; p < practices_of.size(); ++p) {
    for (int i = 0; i < practices_of[p]; ++i) parent[0].push_back({1, static_cast<int>(p)});
    parent[1].push_back({2, 0});
  }
  parent[2].push_back({});
  return parent;
}

// The hierarchy's counts at the PCN and ICS levels, from the practices'.
HierarchicalCounts AddUp(const std::vector<std::vector<int64_t>>& practices,
                         const std::vector<std::vector<UnitRef>>& parent) {
  HierarchicalCounts h;
  h.parent = parent;
  h.counts.resize(parent.size());
  h.counts[0] = practices;
  const size_t k = practices[0].size();
  for (size_t l = 1; l < parent.size(); ++l) {
    h.counts[l].assign(parent[l].size(), std::vector<int64_t>(k, 0));
    for (size_t u = 0; u < parent[l - 1].size(); ++u) {
      const auto up = static_cast<size_t>(parent[l - 1][u].unit);
      for (size_t c = 0; c < k; ++c) h.counts[l][up][c] += h.counts[l - 1][u][c];
    }
  }
  return h;
}

DisclosureAudit Audit(const ProtectedHierarchy& p, const std::vector<std::vector<UnitRef>>& parent,
                      const DisclosureRules& rules = kDefault) {
  PublishedHierarchy view;
  view.table = &p;
  view.parent = &parent;
  return AuditHierarchy(view, rules);
}

TEST(DisclosureHierarchy, APracticeOfThreePatientsIsNotItsPcnLessTheOthers) {
  // [on the register, not on it] for five practices in two PCNs.
  //           on  not | total
  // PCN 1  A   3  500 |  503
  //        B  40  600 |  640
  //        C  60  700 |  760
  //    PCN 1 103 1800 | 1903
  // PCN 2  D  20  300 |  320
  //        E  30  400 |  430
  //    PCN 2  50  700 |  750
  // ICS      153 2500 | 2653
  const auto parent = TwoLevelsUnderAnIcs({3, 2});
  const HierarchicalCounts h =
      AddUp({{3, 500}, {40, 600}, {60, 700}, {20, 300}, {30, 400}}, parent);
  const ProtectedHierarchy p = ProtectHierarchy(h);
  const auto& practice = p.levels[0].cells;
  // A's 3 is withheld; its row would give it away (503 - 500), so 500 goes
  // too. PCN 1's "on" column would give it away (103 - 40 - 60): a second
  // practice of PCN 1 must go, not one of PCN 2 (protecting each level on
  // its own picked D, the smallest of the level's column, and left A = PCN
  // 1 less B and C). B's 40 is the smallest; then B's row needs its 600,
  // and that also protects PCN 1's "not" column.
  EXPECT_EQ(practice[0][0].state, CellState::kPrimary);
  EXPECT_EQ(practice[0][1].state, CellState::kSecondary);
  EXPECT_EQ(practice[1][0].state, CellState::kSecondary);
  EXPECT_EQ(practice[1][1].state, CellState::kSecondary);
  // Nothing else needs to go: C, PCN 2's practices, the PCNs, the ICS and
  // every row total are shown, rounded.
  for (size_t u : {2, 3, 4}) {
    EXPECT_TRUE(practice[u][0].shown() && practice[u][1].shown()) << u;
  }
  for (size_t u = 0; u < 5; ++u) EXPECT_TRUE(p.levels[0].row_totals[u].shown()) << u;
  EXPECT_EQ(p.levels[0].row_totals[0].value, 505);  // 503
  EXPECT_EQ(p.levels[1].cells[0][0].value, 105);    // 103
  EXPECT_TRUE(p.levels[1].cells[1][0].shown() && p.levels[2].cells[0][0].shown());
  EXPECT_EQ(p.levels[2].cells[0][0].value, 155);  // 153
  // Two unknowns in every sum: A on the register is anywhere from 0 to 49.
  const DisclosureAudit audit = Audit(p, parent);
  ASSERT_TRUE(audit.ok());
  const HierarchyCells cells(2, {5, 2, 1}, parent);
  for (const DerivedInterval& d : audit.withheld) {
    if (d.cell != cells.UnitCell(0, 0, 0)) continue;
    EXPECT_EQ(d.lower, 0);
    EXPECT_EQ(d.upper, 49);  // PCN 1 at most 107, C at least 58
  }
}

TEST(DisclosureHierarchy, AParentWithOneChildIsWithheldWithIt) {
  // A locality with one PCN: the locality's counts are the PCN's, so what is
  // withheld in one is withheld in the other.
  //   practices A (2, 90), B (30, 80) in PCN 1, the one PCN of locality 1;
  //   practice C (25, 95) in PCN 2, the one PCN of locality 2; one ICS.
  std::vector<std::vector<UnitRef>> parent = {
      {{1, 0}, {1, 0}, {1, 1}}, {{2, 0}, {2, 1}}, {{3, 0}, {3, 0}}, {{}}};
  HierarchicalCounts h;
  h.parent = parent;
  h.counts = {
      {{2, 90}, {30, 80}, {25, 95}}, {{32, 170}, {25, 95}}, {{32, 170}, {25, 95}}, {{57, 265}}};
  const ProtectedHierarchy p = ProtectHierarchy(h);
  for (size_t u = 0; u < 2; ++u) {
    for (size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(p.levels[1].cells[u][k].shown(), p.levels[2].cells[u][k].shown()) << u << k;
    }
    EXPECT_EQ(p.levels[1].row_totals[u].shown(), p.levels[2].row_totals[u].shown()) << u;
  }
  // Practice C is the only practice of PCN 2 too: same again one level down.
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(p.levels[0].cells[2][k].shown(), p.levels[1].cells[1][k].shown()) << k;
  }
  EXPECT_EQ(p.levels[0].cells[0][0].state, CellState::kPrimary);
  EXPECT_TRUE(Audit(p, parent).ok());
}

TEST(DisclosureHierarchy, ALocalityWhosePcnsEachHaveAWithheldPractice) {
  // One locality (the top), two PCNs of two practices; one small count in
  // each PCN, in the same column.
  //   PCN 1: A (4, 200), B (50, 300);  PCN 2: C (5, 250), D (60, 350)
  std::vector<std::vector<UnitRef>> parent = {
      {{1, 0}, {1, 0}, {1, 1}, {1, 1}}, {{2, 0}, {2, 0}}, {{}}};
  const HierarchicalCounts h = AddUp({{4, 200}, {50, 300}, {5, 250}, {60, 350}}, parent);
  const ProtectedHierarchy p = ProtectHierarchy(h);
  const auto& practice = p.levels[0].cells;
  EXPECT_EQ(practice[0][0].state, CellState::kPrimary);
  EXPECT_EQ(practice[2][0].state, CellState::kPrimary);
  // Within each PCN a second practice's count must go with the small one
  // (the locality's two withheld cells, one per PCN, are not enough: each
  // PCN's own total would give its small count away).
  EXPECT_FALSE(practice[1][0].shown());
  EXPECT_FALSE(practice[3][0].shown());
  EXPECT_TRUE(Audit(p, parent).ok());
}

TEST(DisclosureHierarchy, ZerosAreShownAndNeverHideASmallCount) {
  // Practice A has nobody in the first column; practice B has 6. A shown 0
  // is exactly 0 (1-7 would have been withheld), so B's 6 cannot sit beside
  // shown zeros in a sum: its PCN total and the row must hide it.
  std::vector<std::vector<UnitRef>> parent = {{{1, 0}, {1, 0}}, {{}}};
  const HierarchicalCounts h = AddUp({{0, 40}, {6, 30}}, parent);
  const ProtectedHierarchy p = ProtectHierarchy(h);
  EXPECT_TRUE(p.levels[0].cells[0][0].shown());
  EXPECT_EQ(p.levels[0].cells[0][0].value, 0);
  EXPECT_EQ(p.levels[0].cells[1][0].state, CellState::kPrimary);
  // The PCN's first column is 0 + 6 = 6: small, withheld in its own right.
  EXPECT_EQ(p.levels[1].cells[0][0].state, CellState::kPrimary);
  EXPECT_TRUE(Audit(p, parent).ok());
  // All zeros: nothing withheld.
  const ProtectedHierarchy z = ProtectHierarchy(AddUp({{0, 0}, {0, 0}}, parent));
  for (const auto& level : z.levels) {
    for (const auto& row : level.cells) {
      for (const ProtectedCell& c : row) EXPECT_TRUE(c.shown() && c.value == 0);
    }
  }
}

// ---- The audit on published tables whose answer is known ----

PublishedCell Shown(int64_t v) { return {Visibility::kShown, v}; }
const PublishedCell kWithheld{Visibility::kWithheld, 0};

TEST(DisclosureAudit, FindsACellThatIsItsTotalLessZeros) {
  // total 10 = w + 0 + 0: w is the total, 8 to 12.
  const DisclosureAudit a =
      AuditLinked({Shown(10), kWithheld, Shown(0), Shown(0)}, {{0, {1, 2, 3}}});
  ASSERT_EQ(a.withheld.size(), 1u);
  EXPECT_EQ(a.withheld[0].lower, 8);
  EXPECT_EQ(a.withheld[0].upper, 12);
  EXPECT_TRUE(a.withheld[0].derivable);
  EXPECT_FALSE(a.ok());
}

TEST(DisclosureAudit, FindsAChildWithheldUnderAShownParentOfOneChild) {
  // parent shown 20 = the only child: 18 to 22, as well as if shown.
  const DisclosureAudit a = AuditLinked({Shown(20), kWithheld}, {{0, {1}}});
  EXPECT_EQ(a.derivable, 1u);
}

TEST(DisclosureAudit, FindsACellThroughTwoSums) {
  // Row: T1 = a + b with T1 shown 100 (98-102), b withheld; column: b + c =
  // T2, T2 shown 95 (93-97) and c shown 90 (88-92): b is 1 to 9 (but not
  // derivable: 9 values), so a is 89 to 101 (not derivable). With c shown
  // 0 instead, b is T2 (93-97): derivable, and a = T1 - b is 1 to 9:
  // derivable only by way of b.
  const std::vector<SumRelation> sums = {{0, {1, 2}}, {3, {2, 4}}};
  DisclosureAudit a = AuditLinked({Shown(100), kWithheld, kWithheld, Shown(95), Shown(90)}, sums);
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.withheld[1].lower, 1);  // b: 93 - 92
  EXPECT_EQ(a.withheld[1].upper, 9);  // 97 - 88
  a = AuditLinked({Shown(100), kWithheld, kWithheld, Shown(95), Shown(0)}, sums);
  EXPECT_EQ(a.derivable, 1u);  // b = 93..97 exactly as if shown
  EXPECT_TRUE(a.withheld[1].derivable);
  EXPECT_EQ(a.withheld[0].lower, 1);  // a = 98..102 less 93..97
  EXPECT_EQ(a.withheld[0].upper, 9);
  EXPECT_FALSE(a.withheld[0].derivable);
}

TEST(DisclosureAudit, FindsCellsThatOnlyEverySumAtOnceGivesAway) {
  // Three withheld counts a, b, c, and three sums of two of them, shown
  // unrounded: a + b = 10, b + c = 10, a + c = 10. No sum alone narrows a
  // count below 0..10, but together they say a + b + c = 15, so each is
  // exactly 5 (a = 15 - (b + c)). An onlooker with a solver finds them.
  const std::vector<SumRelation> sums = {{3, {0, 1}}, {4, {1, 2}}, {5, {0, 2}}};
  const std::vector<PublishedCell> cells = {kWithheld, kWithheld, kWithheld,
                                            Shown(10), Shown(10), Shown(10)};
  const DisclosureRules exact{.suppress_up_to = 7, .round_to = 1};
  DisclosureAudit a = AuditLinked(cells, sums, exact);
  ASSERT_EQ(a.withheld.size(), 3u);
  EXPECT_EQ(a.derivable, 3u);
  for (const DerivedInterval& d : a.withheld) {
    EXPECT_EQ(d.lower, 5) << d.cell;
    EXPECT_EQ(d.upper, 5) << d.cell;
  }
  // Rounded to 5, each sum is 8 to 12, so a = (a+b + a+c - (b+c)) / 2 is
  // 2 to 8: seven values, more than rounding leaves, so not derivable.
  a = AuditLinked(cells, sums);
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.withheld[0].lower, 2);
  EXPECT_EQ(a.withheld[0].upper, 8);
  // Sums 10, 10 and 30 fit no counts of 0 or more (a + c is at most 20).
  EXPECT_FALSE(
      AuditLinked({kWithheld, kWithheld, kWithheld, Shown(10), Shown(10), Shown(30)}, sums, exact)
          .consistent);
}

TEST(DisclosureAudit, ProtectionWithholdsUntilEverySumAtOnceGivesNothingAway) {
  // The three sums above with the counts 5, 5, 5 and their sums 10, 10, 10,
  // not rounded: primary suppression withholds the three 5s, and every sum
  // has two withheld members, which one sum at a time cannot see through.
  // Protection must withhold a sum as well.
  LinkedCounts t;
  t.counts = {5, 5, 5, 10, 10, 10};
  t.relations = {{3, {0, 1}}, {4, {1, 2}}, {5, {0, 2}}};
  const DisclosureRules exact{.suppress_up_to = 7, .round_to = 1};
  const std::vector<ProtectedCell> p = ProtectLinked(t, exact);
  std::vector<PublishedCell> published;
  size_t sums_withheld = 0;
  for (size_t c = 0; c < p.size(); ++c) {
    published.push_back(Published(p[c]));
    if (c >= 3 && !p[c].shown()) ++sums_withheld;
  }
  EXPECT_FALSE(p[0].shown());
  EXPECT_FALSE(p[1].shown());
  EXPECT_FALSE(p[2].shown());
  EXPECT_GE(sums_withheld, 1u);
  EXPECT_TRUE(AuditLinked(published, t.relations, exact).ok());
}

TEST(DisclosureAudit, TwoWithheldInASumAreNotDerivable) {
  // 50 = a + b, both withheld: each anything from 0 to 52.
  const DisclosureAudit a = AuditLinked({Shown(50), kWithheld, kWithheld}, {{0, {1, 2}}});
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.withheld[0].upper, 52);
  // With no rounding, the sum is exact but still two unknowns.
  EXPECT_TRUE(AuditLinked({Shown(50), kWithheld, kWithheld}, {{0, {1, 2}}}, {.round_to = 1}).ok());
  // And a cell with no sum at all is unbounded.
  EXPECT_EQ(AuditLinked({kWithheld}, {}).withheld[0].upper, kUnbounded);
}

TEST(DisclosureAudit, ACountOfOneToSevenIsNeverShown) {
  // 10 = w + s with s shown 5: s can only stand for 8..7 = nothing, since
  // 3-7 would have been withheld: the published table is not consistent.
  EXPECT_FALSE(AuditLinked({Shown(10), kWithheld, Shown(5)}, {{0, {1, 2}}}).consistent);
  // 20 = w + s with s shown 10: s is 8 to 12, so w is 6 to 14 (9 values).
  const DisclosureAudit a = AuditLinked({Shown(20), kWithheld, Shown(10)}, {{0, {1, 2}}});
  EXPECT_EQ(a.withheld[0].lower, 6);
  EXPECT_EQ(a.withheld[0].upper, 14);
  EXPECT_TRUE(a.ok());
}

TEST(DisclosureAudit, UnpublishedCellsAreNotJudged) {
  // 100 = with + without, only `with` written (0): `without` is 98-102 but
  // was never withheld.
  const DisclosureAudit a =
      AuditLinked({Shown(100), Shown(0), {Visibility::kNotPublished, 0}}, {{0, {1, 2}}});
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(a.withheld.empty());
}

// ---- Many random hierarchies ----

TEST(DisclosureHierarchy, RandomHierarchiesPassTheAuditWithNothingWithheldNeedlessly) {
  std::mt19937_64 rng(11);
  size_t withheld = 0, primary = 0;
  for (int trial = 0; trial < 300; ++trial) {
    // An ICS of 1-3 localities of 1-3 PCNs of 1-4 practices; 1-4 categories.
    std::vector<std::vector<UnitRef>> parent(4);
    const int localities = 1 + static_cast<int>(rng() % 3);
    for (int l = 0; l < localities; ++l) {
      parent[2].push_back({3, 0});
      const int pcns = 1 + static_cast<int>(rng() % 3);
      for (int p = 0; p < pcns; ++p) {
        parent[1].push_back({2, l});
        const int practices = 1 + static_cast<int>(rng() % 4);
        for (int q = 0; q < practices; ++q) {
          parent[0].push_back({1, static_cast<int>(parent[1].size() - 1)});
        }
      }
    }
    parent[3].push_back({});
    const size_t categories = 1 + rng() % 4;
    std::vector<std::vector<int64_t>> practices(parent[0].size(), std::vector<int64_t>(categories));
    for (auto& row : practices) {
      for (auto& v : row) {
        const int kind = static_cast<int>(rng() % 4);  // zeros, small, middling, large
        v = kind == 0   ? 0
            : kind == 1 ? 1 + static_cast<int64_t>(rng() % 7)
                        : static_cast<int64_t>(rng() % (kind == 2 ? 30 : 500));
      }
    }
    // The whole hierarchy's counts, and each level's.
    HierarchicalCounts h;
    h.parent = parent;
    h.counts.assign(4, {});
    h.counts[0] = practices;
    for (size_t l = 1; l < 4; ++l) {
      h.counts[l].assign(parent[l].size(), std::vector<int64_t>(categories, 0));
      for (size_t u = 0; u < parent[l - 1].size(); ++u) {
        for (size_t k = 0; k < categories; ++k) {
          h.counts[l][static_cast<size_t>(parent[l - 1][u].unit)][k] += h.counts[l - 1][u][k];
        }
      }
    }
    const ProtectedHierarchy p = ProtectHierarchy(h);
    std::vector<size_t> units;
    for (const auto& level : parent) units.push_back(level.size());
    const HierarchyCells cells(categories, units, parent);
    // Every cell: its true count, and as published.
    std::vector<int64_t> truth(cells.size(), 0);
    std::vector<ProtectedCell> shown(cells.size());
    for (size_t l = 0; l < 4; ++l) {
      for (size_t u = 0; u < units[l]; ++u) {
        for (size_t k = 0; k <= categories; ++k) {
          const size_t c = cells.UnitCell(l, u, k);
          for (size_t j = 0; j < categories; ++j) {
            if (k == categories || j == k) truth[c] += h.counts[l][u][j];
          }
          shown[c] = k < categories ? p.levels[l].cells[u][k] : p.levels[l].row_totals[u];
        }
      }
    }
    for (size_t k = 0; k <= categories; ++k) {
      truth[cells.ColumnTotal(k)] = truth[cells.UnitCell(3, 0, k)];
      shown[cells.ColumnTotal(k)] = k < categories ? p.column_totals[k] : p.grand_total;
    }
    for (size_t c = 0; c < cells.size(); ++c) {
      if (truth[c] >= 1 && truth[c] <= 7) {
        EXPECT_FALSE(shown[c].shown()) << trial;
      }
      if (shown[c].shown()) {
        EXPECT_EQ(shown[c].value % 5, 0);
        EXPECT_LE(std::abs(shown[c].value - truth[c]), 2) << trial;
      } else {
        ++withheld;
        primary += shown[c].state == CellState::kPrimary ? 1 : 0;
      }
    }
    // Every sum has none or two or more withheld, and the audit (of all
    // cells as published) finds nothing.
    auto failures = [&](const std::vector<ProtectedCell>& cell_states) {
      size_t exposed = 0;
      for (const SumRelation& r : cells.relations()) {
        size_t n = cell_states[r.total].shown() ? 0 : 1;
        for (size_t q : r.parts) n += cell_states[q].shown() ? 0 : 1;
        exposed += n == 1 ? 1 : 0;
      }
      std::vector<PublishedCell> view;
      for (const ProtectedCell& c : cell_states) view.push_back(Published(c));
      const DisclosureAudit audit = AuditLinked(view, cells.relations());
      return exposed + audit.derivable + (audit.consistent ? 0 : 1);
    };
    EXPECT_EQ(failures(shown), 0u) << "trial " << trial;
    // Every secondary cell is needed: shown (rounded), something fails.
    for (size_t c = 0; c < cells.size(); ++c) {
      if (shown[c].state != CellState::kSecondary) continue;
      std::vector<ProtectedCell> more = shown;
      more[c] = {RoundCount(truth[c], 5), CellState::kShown};
      EXPECT_GT(failures(more), 0u) << "trial " << trial << " cell " << c;
    }
  }
  // Most withheld cells are small counts, not their protection.
  EXPECT_GT(primary * 2, withheld);
}

}  // namespace
}  // namespace populus::analysis
