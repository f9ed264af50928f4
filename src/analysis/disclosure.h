// Statistical disclosure control for the aggregates that leave populus.
//
// Counts are protected in three steps:
//   1. primary suppression: every count from 1 to `suppress_up_to` (7 by
//      default; 0 is shown) is withheld;
//   2. secondary suppression: the counts are bound together by sums (a row
//      of categories adds up to its total; a PCN's count adds up its
//      practices'), and in every sum, total included, either nothing is
//      withheld or at least two members are, so no withheld count is its
//      total less the others; then an audit (below) looks for a withheld
//      count an onlooker could still work out from the counts shown,
//      through several sums at once and the rounding of what is shown, and
//      withholds more until there is none; last, a cell withheld on the way
//      that turns out not to be needed (every sum it is in keeps two other
//      withheld members, and the audit still finds nothing) is shown
//      again, the largest first. While choosing, the audit propagates
//      bounds one sum at a time (fast); the table is then audited by linear
//      programming over every sum at once, and while that finds a count, a
//      cell near it is withheld (and kept withheld) and step 2 runs again;
//   3. rounding: every count shown is rounded to the nearest `round_to` (5
//      by default; halves up).
// When a sum has a single withheld member, the one withheld beside it is
// chosen from the sum's shown members: a non-zero part before the total
// (so a practice before its PCN, a category before its row total), the
// total before a zero; among those, the one whose withholding leaves the
// fewest other sums with a single withheld member; then the smallest; ties
// go to the first. The same counts and sums always give the same result;
// the order of cells and sums matters only to ties and to which sum is
// mended first.
//
// Two shapes of table share one method (ProtectLinked underneath):
//   - ProtectTable: one table, rows by columns, with its row, column and
//     grand totals;
//   - ProtectHierarchy: one table at every level of the organisation
//     hierarchy at once (practices, PCNs, localities, the ICS: each unit a
//     row of categories with its total, and each unit's cells the sums of
//     its children's), with the top level's column totals and any other
//     breakdowns of the whole (an indicator by deprivation quintile, age
//     band, sex and ethnic group), whose groups add up to those column
//     totals.
//
// The audit (AuditLinked, AuditHierarchy) takes what an onlooker sees: the
// counts shown (rounded), which ones are withheld, and the sums that bind
// them; every true count is a whole number, 0 or more. A count shown as v
// stands for a true count from v - round_to/2 to v - round_to/2 + round_to
// - 1 (8 to 12 for a 10), never 1 to `suppress_up_to` (so a 0 shown is
// exactly 0 when primary suppression is on). The audit first narrows every
// count's interval by each sum in turn (the total lies between the sums of
// its parts' bounds; a part between the total's bounds less the other
// parts'), repeated until nothing changes; then, for every withheld count
// that leaves underivable, it asks a linear programming solver
// (sum_bounds.h) for the least and greatest value the count can take under
// every sum and every shown count's interval at once, which is what an
// onlooker with a solver could work out. The intervals it finds are sound:
// each holds the true count. A withheld count is *derivable* when its
// interval is no wider than a shown count's (upper - lower <= round_to - 1:
// at most round_to values remain, where rounding would have left round_to).
// An interval inside 1..`suppress_up_to` but wider than that is not
// derivable: that a withheld count may be small is what withholding says
// anyway. The solver works over real numbers, so a count that only whole-
// number reasoning could pin down (integer programming) is not searched
// for; the linear relaxation is the standard onlooker of table auditing.
#pragma once

#include <cstdint>
#include <limits>
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

// ---- Counts bound by sums ----

// cells[total] = the sum of cells[parts].
struct SumRelation {
  size_t total = 0;
  std::vector<size_t> parts;
};

// Cells numbered from 0 and the sums between them. Every relation must hold
// for the true counts; a cell may be in any number of relations.
struct LinkedCounts {
  std::vector<int64_t> counts;  // true counts, none negative
  std::vector<SumRelation> relations;
};

// Protects linked counts (steps 1-3 above); one ProtectedCell per cell.
// After it, AuditLinked of the cells as published finds nothing derivable.
std::vector<ProtectedCell> ProtectLinked(const LinkedCounts& table,
                                         const DisclosureRules& rules = {});

// What an onlooker sees of one cell.
enum class Visibility : uint8_t {
  kShown,         // `value` is the rounded count
  kWithheld,      // left empty by disclosure control: the audit judges it
  kNotPublished,  // never written (a count that is a difference of others)
};

struct PublishedCell {
  Visibility visibility = Visibility::kShown;
  int64_t value = 0;  // when shown
};

PublishedCell Published(const ProtectedCell& cell);

inline constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();

// What the audit worked out about one withheld cell.
struct DerivedInterval {
  size_t cell = 0;
  int64_t lower = 0, upper = kUnbounded;  // kUnbounded: no upper bound
  bool derivable = false;
};

struct DisclosureAudit {
  // False when the counts shown cannot be true together with the relations
  // (no whole numbers fit them): the published table is not what protection
  // makes, and nothing else is judged.
  bool consistent = true;
  std::vector<DerivedInterval> withheld;  // every withheld cell, in cell order
  size_t derivable = 0;                   // how many of them are derivable
  size_t unsolved = 0;  // withheld cells the solver gave no answer for: not judged safe
  bool ok() const { return consistent && derivable == 0 && unsolved == 0; }
};

// The audit described above, of published cells bound by `relations`.
DisclosureAudit AuditLinked(const std::vector<PublishedCell>& cells,
                            const std::vector<SumRelation>& relations,
                            const DisclosureRules& rules = {});

// ---- One table at every level of the organisation hierarchy ----

// A unit of one level; level -1: none.
struct UnitRef {
  int level = -1;
  int unit = -1;
};

struct HierarchicalCounts {
  // counts[level][unit][category]: level 0 is the lowest (practices), the
  // last level the top (the ICS); every unit the same categories.
  std::vector<std::vector<std::vector<int64_t>>> counts;
  // parent[level][unit]: the unit, of a higher level, whose count adds up
  // this unit's and its siblings' (none for the top level; a practice
  // outside every PCN may have its locality as parent). A unit with a
  // parent is counted in it and nowhere else at that level.
  std::vector<std::vector<UnitRef>> parent;
  // breakdowns[b][group][category]: other partitions of everyone the top
  // level counts (by deprivation quintile, age band, ...): each
  // breakdown's groups add up to the top level's column totals.
  std::vector<std::vector<std::vector<int64_t>>> breakdowns;
};

struct ProtectedLevel {
  std::vector<std::vector<ProtectedCell>> cells;  // [unit][category]
  std::vector<ProtectedCell> row_totals;          // [unit]
};

struct ProtectedHierarchy {
  std::vector<ProtectedLevel> levels;        // as counts
  std::vector<ProtectedCell> column_totals;  // the top level's, by category
  ProtectedCell grand_total;                 // the top level's
  std::vector<ProtectedLevel> breakdowns;    // as breakdowns
};

// The cells of a hierarchical table, numbered, and the sums between them:
// each unit's and group's categories add up to its row total; each unit
// with a parent is one of the parent's parts, in every category and the
// total; the top level's units add up to the column totals and they to the
// grand total; each breakdown's groups add up to the column totals too.
class HierarchyCells {
 public:
  // `units[level]`, `groups[breakdown]`: how many; `parent` as above.
  HierarchyCells(size_t categories, const std::vector<size_t>& units,
                 const std::vector<std::vector<UnitRef>>& parent,
                 const std::vector<size_t>& groups = {});
  // Category `k` of a unit (k == categories: its row total).
  size_t UnitCell(size_t level, size_t unit, size_t k) const;
  // The top level's column total of category k (k == categories: the grand total).
  size_t ColumnTotal(size_t k) const;
  size_t GroupCell(size_t breakdown, size_t group, size_t k) const;
  size_t size() const { return size_; }
  const std::vector<SumRelation>& relations() const { return relations_; }

 private:
  size_t categories_;
  std::vector<size_t> level_start_, breakdown_start_;
  size_t totals_start_ = 0, size_ = 0;
  std::vector<SumRelation> relations_;
};

// Protects a hierarchical table (every level, its column totals and
// breakdowns at once) with ProtectLinked.
ProtectedHierarchy ProtectHierarchy(const HierarchicalCounts& counts,
                                    const DisclosureRules& rules = {});

// What is published of a hierarchical table, for the audit.
struct PublishedHierarchy {
  const ProtectedHierarchy* table = nullptr;
  const std::vector<std::vector<UnitRef>>* parent = nullptr;
  // Which categories are written (empty: all). A membership table writes
  // the people with the item and the total, not the people without it.
  std::vector<bool> category_published;
  // Whether the column totals and grand total are written (a lone top unit
  // already shows them as its own row).
  bool column_totals_published = true;
};

// AuditLinked over a published hierarchical table; `cell` in the result
// numbers cells as HierarchyCells does.
DisclosureAudit AuditHierarchy(const PublishedHierarchy& published,
                               const DisclosureRules& rules = {});

}  // namespace populus::analysis
