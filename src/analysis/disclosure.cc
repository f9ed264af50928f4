#include "analysis/disclosure.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <tuple>
#include <utility>

#include "analysis/sum_bounds.h"

namespace populus::analysis {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// What is known of a true count: lower <= count <= upper.
struct Bounds {
  int64_t lower = 0, upper = kUnbounded;
};

// The true counts a shown (rounded) count can stand for.
Bounds ShownBounds(int64_t shown, const DisclosureRules& rules) {
  const int64_t r = std::max<int64_t>(rules.round_to, 1);
  Bounds b{std::max<int64_t>(shown - r / 2, 0), shown - r / 2 + r - 1};
  const int64_t s = rules.suppress_up_to;
  if (s >= 1 && b.lower <= s) {
    if (b.upper <= s) {
      // Only 0 is possible (a count of 1..s would have been withheld); with
      // no 0 in reach, nothing is, which the propagation reports.
      b = b.lower == 0 ? Bounds{0, 0} : Bounds{1, 0};
    } else if (b.lower >= 1) {
      b.lower = s + 1;
    }
    // Otherwise 0 or s+1..upper: kept as the whole interval.
  }
  return b;
}

std::vector<std::vector<size_t>> RelationsOfCells(size_t cells,
                                                  const std::vector<SumRelation>& relations) {
  std::vector<std::vector<size_t>> of(cells);
  for (size_t r = 0; r < relations.size(); ++r) {
    of[relations[r].total].push_back(r);
    for (size_t p : relations[r].parts) of[p].push_back(r);
  }
  return of;
}

// Narrows the bounds of every cell by each relation in turn until nothing
// changes (or, for a slow crawl, after a generous number of steps: the
// bounds are sound at every step). False when no whole numbers fit.
bool Propagate(const std::vector<SumRelation>& relations,
               const std::vector<std::vector<size_t>>& relations_of, std::vector<Bounds>* bounds) {
  std::vector<Bounds>& b = *bounds;
  std::deque<size_t> queue;
  std::vector<bool> queued(relations.size(), true);
  for (size_t r = 0; r < relations.size(); ++r) queue.push_back(r);
  size_t steps = 0;
  const size_t max_steps = 200 * relations.size() + 10000;
  std::vector<std::pair<size_t, Bounds>> changes;
  while (!queue.empty() && steps++ < max_steps) {
    const size_t r = queue.front();
    queue.pop_front();
    queued[r] = false;
    const SumRelation& rel = relations[r];
    // The parts' bounds summed; an unbounded part leaves the sum unbounded.
    int64_t lower_sum = 0, upper_sum = 0;
    size_t unbounded = 0;
    for (size_t p : rel.parts) {
      lower_sum += b[p].lower;
      if (b[p].upper == kUnbounded) {
        ++unbounded;
      } else {
        upper_sum += b[p].upper;
      }
    }
    const Bounds total = b[rel.total];
    changes.clear();
    auto narrow = [&](size_t cell, int64_t lower, int64_t upper) {
      Bounds n = b[cell];
      n.lower = std::max(n.lower, lower);
      n.upper = std::min(n.upper, upper);
      if (n.lower != b[cell].lower || n.upper != b[cell].upper) changes.emplace_back(cell, n);
    };
    narrow(rel.total, lower_sum, unbounded > 0 ? kUnbounded : upper_sum);
    for (size_t p : rel.parts) {
      // part = total - the others: at least the total's lower bound less
      // the others' upper bounds, at most its upper less their lower.
      int64_t others_upper = kUnbounded;
      if (unbounded == 0) {
        others_upper = upper_sum - b[p].upper;
      } else if (unbounded == 1 && b[p].upper == kUnbounded) {
        others_upper = upper_sum;
      }
      const int64_t lower = others_upper == kUnbounded ? 0 : total.lower - others_upper;
      const int64_t upper =
          total.upper == kUnbounded ? kUnbounded : total.upper - (lower_sum - b[p].lower);
      narrow(p, lower, upper);
    }
    for (const auto& [cell, n] : changes) {
      b[cell] = n;
      if (n.lower > n.upper) return false;
      for (size_t other : relations_of[cell]) {
        if (!queued[other]) {
          queued[other] = true;
          queue.push_back(other);
        }
      }
    }
  }
  return true;
}

bool Derivable(const Bounds& b, const DisclosureRules& rules) {
  return b.upper != kUnbounded && b.upper - b.lower <= std::max<int64_t>(rules.round_to, 1) - 1;
}

// The bounds every cell starts from: a shown count's rounding interval, 0
// or more for the rest.
std::vector<Bounds> StartingBounds(const std::vector<PublishedCell>& cells,
                                   const DisclosureRules& rules) {
  std::vector<Bounds> bounds(cells.size());
  for (size_t c = 0; c < cells.size(); ++c) {
    if (cells[c].visibility == Visibility::kShown) bounds[c] = ShownBounds(cells[c].value, rules);
  }
  return bounds;
}

// A solver's answer as a whole-number bound, rounded inwards past the
// solver's tolerance.
int64_t WholeAtLeast(double v) {
  return static_cast<int64_t>(std::ceil(v - 1e-6 - 1e-9 * std::fabs(v)));
}
int64_t WholeAtMost(double v) {
  return static_cast<int64_t>(std::floor(v + 1e-6 + 1e-9 * std::fabs(v)));
}

// Narrows the bounds of every withheld cell that propagation left
// underivable to what linear programming over every relation at once
// allows. A cell that two solutions already show to take values at least
// round_to apart is not derivable whatever else is found, and is not asked
// about. False when the bounds and relations have no solution at all;
// *unsolved counts the cells the solver gave no answer for.
bool NarrowByLinearProgramming(const std::vector<PublishedCell>& cells,
                               const std::vector<SumRelation>& relations,
                               const DisclosureRules& rules, std::vector<Bounds>* bounds,
                               size_t* unsolved) {
  std::vector<Bounds>& b = *bounds;
  std::vector<size_t> asked;
  for (size_t c = 0; c < cells.size(); ++c) {
    if (cells[c].visibility == Visibility::kWithheld && !Derivable(b[c], rules)) asked.push_back(c);
  }
  if (asked.empty()) return true;
  std::vector<int64_t> lower(b.size()), upper(b.size());
  for (size_t c = 0; c < b.size(); ++c) {
    lower[c] = b[c].lower;
    upper[c] = b[c].upper;
  }
  SumBounds lp(lower, upper, relations);
  // The least and greatest value each asked cell took in the solutions seen.
  std::vector<double> seen_low(b.size(), INFINITY), seen_high(b.size(), -INFINITY);
  const int64_t round_to = std::max<int64_t>(rules.round_to, 1);
  auto record = [&] {
    const double* x = lp.solution();
    for (size_t c : asked) {
      seen_low[c] = std::min(seen_low[c], x[c]);
      seen_high[c] = std::max(seen_high[c], x[c]);
    }
  };
  auto spread_apart = [&](size_t c) {
    return seen_high[c] >= seen_low[c] &&
           WholeAtMost(seen_high[c]) - WholeAtLeast(seen_low[c]) >= round_to;
  };
  for (size_t c : asked) {
    if (spread_apart(c)) continue;
    double v = 0;
    switch (lp.Minimum(c, &v)) {
      case SumBounds::Answer::kBound:
        record();
        b[c].lower = std::max(b[c].lower, WholeAtLeast(v));
        break;
      case SumBounds::Answer::kInfeasible:
        return false;
      case SumBounds::Answer::kNoUpperBound:  // cannot be: every cell is 0 or more
      case SumBounds::Answer::kFailed:
        ++*unsolved;
        continue;
    }
    if (spread_apart(c)) continue;
    switch (lp.Maximum(c, &v)) {
      case SumBounds::Answer::kBound:
        record();
        b[c].upper = std::min(b[c].upper, WholeAtMost(v));
        break;
      case SumBounds::Answer::kNoUpperBound:
        break;
      case SumBounds::Answer::kInfeasible:
        return false;
      case SumBounds::Answer::kFailed:
        ++*unsolved;
        break;
    }
    if (b[c].lower > b[c].upper) return false;
  }
  return true;
}

// How deep an audit goes: propagation alone (fast, used while protection
// chooses cells) or propagation and then linear programming.
enum class AuditDepth { kPropagation, kLinearProgramming };

DisclosureAudit Audit(const std::vector<PublishedCell>& cells,
                      const std::vector<SumRelation>& relations, const DisclosureRules& rules,
                      AuditDepth depth) {
  std::vector<Bounds> bounds = StartingBounds(cells, rules);
  DisclosureAudit audit;
  for (const Bounds& b : bounds) audit.consistent = audit.consistent && b.lower <= b.upper;
  audit.consistent =
      audit.consistent && Propagate(relations, RelationsOfCells(cells.size(), relations), &bounds);
  if (audit.consistent && depth == AuditDepth::kLinearProgramming) {
    audit.consistent = NarrowByLinearProgramming(cells, relations, rules, &bounds, &audit.unsolved);
  }
  for (size_t c = 0; c < cells.size(); ++c) {
    if (cells[c].visibility != Visibility::kWithheld) continue;
    DerivedInterval d{c, bounds[c].lower, bounds[c].upper, Derivable(bounds[c], rules)};
    if (!audit.consistent) d.derivable = false;
    audit.derivable += d.derivable ? 1 : 0;
    audit.withheld.push_back(d);
  }
  return audit;
}

}  // namespace

int64_t RoundCount(int64_t count, int64_t round_to) {
  if (round_to <= 1) return count;
  return (count + round_to / 2) / round_to * round_to;
}

std::string ShownCount(const ProtectedCell& cell) {
  return cell.shown() ? std::to_string(cell.value) : std::string();
}

PublishedCell Published(const ProtectedCell& cell) {
  return cell.shown() ? PublishedCell{Visibility::kShown, cell.value}
                      : PublishedCell{Visibility::kWithheld, 0};
}

DisclosureAudit AuditLinked(const std::vector<PublishedCell>& cells,
                            const std::vector<SumRelation>& relations,
                            const DisclosureRules& rules) {
  return Audit(cells, relations, rules, AuditDepth::kLinearProgramming);
}

std::vector<ProtectedCell> ProtectLinked(const LinkedCounts& table, const DisclosureRules& rules) {
  const std::vector<int64_t>& count = table.counts;
  const std::vector<SumRelation>& relations = table.relations;
  const size_t n = count.size();
  const auto relations_of = RelationsOfCells(n, relations);
  std::vector<CellState> state(n, CellState::kShown);
  std::vector<size_t> withheld_in(relations.size(), 0);
  auto withhold = [&](size_t cell, CellState why) {
    state[cell] = why;
    for (size_t r : relations_of[cell]) ++withheld_in[r];
  };
  for (size_t c = 0; c < n; ++c) {
    if (count[c] >= 1 && count[c] <= rules.suppress_up_to) withhold(c, CellState::kPrimary);
  }
  // How good a shown cell of relation r is to withhold: lower is better.
  using Key = std::tuple<int, size_t, int64_t, size_t>;
  auto key = [&](size_t cell, size_t r) {
    const int kind = cell == relations[r].total ? 1 : count[cell] > 0 ? 0 : 2;
    size_t exposed = 0;  // sums it would leave with a single withheld member
    for (size_t other : relations_of[cell]) exposed += withheld_in[other] == 0 ? 1 : 0;
    return Key{kind, exposed, count[cell], cell};
  };
  auto consider = [&](size_t cell, size_t r, size_t* best, Key* best_key) {
    if (state[cell] != CellState::kShown) return;
    const Key k = key(cell, r);
    if (*best == kNone || k < *best_key) {
      *best = cell;
      *best_key = k;
    }
  };
  auto best_of = [&](size_t r, size_t* best, Key* best_key) {
    consider(relations[r].total, r, best, best_key);
    for (size_t p : relations[r].parts) consider(p, r, best, best_key);
  };
  // Step 2a: no sum with a single withheld member.
  auto secure = [&] {
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < relations.size(); ++r) {
        if (withheld_in[r] != 1) continue;
        size_t best = kNone;
        Key best_key;
        best_of(r, &best, &best_key);
        if (best == kNone) continue;
        withhold(best, CellState::kSecondary);
        changed = true;
      }
    }
  };
  auto published = [&] {
    std::vector<PublishedCell> cells(n);
    for (size_t c = 0; c < n; ++c) {
      cells[c] = state[c] == CellState::kShown
                     ? PublishedCell{Visibility::kShown, RoundCount(count[c], rules.round_to)}
                     : PublishedCell{Visibility::kWithheld, 0};
    }
    return cells;
  };
  // Withholds the best shown cell of a sum `target` is in (or, when every
  // member of those is withheld, of the sums their members are in, and so on
  // outwards); the cell withheld, or kNone when nothing shown is linked to it.
  auto withhold_near = [&](size_t target) -> size_t {
    size_t best = kNone;
    Key best_key;
    std::vector<bool> seen(n, false);
    std::vector<size_t> ring = {target};
    seen[target] = true;
    while (best == kNone && !ring.empty()) {
      std::vector<size_t> next;
      for (size_t cell : ring) {
        for (size_t r : relations_of[cell]) {
          best_of(r, &best, &best_key);
          auto visit = [&](size_t m) {
            if (!seen[m]) {
              seen[m] = true;
              next.push_back(m);
            }
          };
          visit(relations[r].total);
          for (size_t p : relations[r].parts) visit(p);
        }
      }
      ring = std::move(next);
    }
    if (best != kNone) withhold(best, CellState::kSecondary);
    return best;
  };
  auto first_derivable = [](const DisclosureAudit& audit) {
    for (const DerivedInterval& d : audit.withheld) {
      if (d.derivable) return d.cell;
    }
    return kNone;
  };
  // Cells withheld because linear programming, not propagation, could work
  // a count out: never shown again by step 2c.
  std::vector<bool> pinned(n, false);
  for (;;) {
    // Step 2b: while propagation can work out a withheld cell, withhold a
    // shown cell near it, then secure the sums again.
    for (;;) {
      secure();
      const DisclosureAudit audit = Audit(published(), relations, rules, AuditDepth::kPropagation);
      if (!audit.consistent || audit.derivable == 0) break;
      if (withhold_near(first_derivable(audit)) == kNone) break;  // cannot happen
    }
    // Step 2c: show again any secondary cell not needed: one whose every
    // sum keeps at least two other withheld members and whose showing the
    // audit accepts; the largest counts first, since they say most.
    std::vector<size_t> secondary;
    for (size_t c = 0; c < n; ++c) {
      if (state[c] == CellState::kSecondary && !pinned[c]) secondary.push_back(c);
    }
    std::stable_sort(secondary.begin(), secondary.end(),
                     [&](size_t a, size_t b) { return count[a] > count[b]; });
    for (size_t c : secondary) {
      bool spare = true;
      for (size_t r : relations_of[c]) spare = spare && withheld_in[r] >= 3;
      if (!spare) continue;
      state[c] = CellState::kShown;
      if (Audit(published(), relations, rules, AuditDepth::kPropagation).derivable == 0) {
        for (size_t r : relations_of[c]) --withheld_in[r];
      } else {
        state[c] = CellState::kSecondary;
      }
    }
    // Step 2d: linear programming over every sum at once. Each round
    // withholds (and pins) one more cell, so the loop ends.
    const DisclosureAudit audit = AuditLinked(published(), relations, rules);
    if (!audit.consistent || audit.derivable == 0) break;
    const size_t added = withhold_near(first_derivable(audit));
    if (added == kNone) break;  // cannot happen
    pinned[added] = true;
  }
  std::vector<ProtectedCell> out(n);
  for (size_t c = 0; c < n; ++c) {
    out[c].state = state[c];
    out[c].value = out[c].shown() ? RoundCount(count[c], rules.round_to) : 0;
  }
  return out;
}

HierarchyCells::HierarchyCells(size_t categories, const std::vector<size_t>& units,
                               const std::vector<std::vector<UnitRef>>& parent,
                               const std::vector<size_t>& groups)
    : categories_(categories) {
  const size_t width = categories + 1;
  for (size_t n : units) {
    level_start_.push_back(size_);
    size_ += n * width;
  }
  totals_start_ = size_;
  size_ += width;
  for (size_t n : groups) {
    breakdown_start_.push_back(size_);
    size_ += n * width;
  }
  auto row = [&](size_t first) {
    SumRelation r{first + categories, {}};
    for (size_t k = 0; k < categories; ++k) r.parts.push_back(first + k);
    relations_.push_back(std::move(r));
  };
  // Rows: every unit's and group's categories add up to its total, and so
  // do the column totals to the grand total.
  for (size_t l = 0; l < units.size(); ++l) {
    for (size_t u = 0; u < units[l]; ++u) row(UnitCell(l, u, 0));
  }
  for (size_t b = 0; b < groups.size(); ++b) {
    for (size_t g = 0; g < groups[b]; ++g) row(GroupCell(b, g, 0));
  }
  row(ColumnTotal(0));
  // Each parent adds up its children, category by category.
  for (size_t pl = 1; pl < units.size(); ++pl) {
    for (size_t pu = 0; pu < units[pl]; ++pu) {
      std::vector<std::pair<size_t, size_t>> children;
      for (size_t l = 0; l < pl && l < parent.size(); ++l) {
        for (size_t u = 0; u < parent[l].size() && u < units[l]; ++u) {
          if (parent[l][u].level == static_cast<int>(pl) &&
              parent[l][u].unit == static_cast<int>(pu)) {
            children.emplace_back(l, u);
          }
        }
      }
      if (children.empty()) continue;
      for (size_t k = 0; k <= categories; ++k) {
        SumRelation r{UnitCell(pl, pu, k), {}};
        for (const auto& [l, u] : children) r.parts.push_back(UnitCell(l, u, k));
        relations_.push_back(std::move(r));
      }
    }
  }
  // The top level's units add up to the column totals, and so does each
  // breakdown's groups.
  if (!units.empty()) {
    for (size_t k = 0; k <= categories; ++k) {
      SumRelation r{ColumnTotal(k), {}};
      for (size_t u = 0; u < units.back(); ++u) r.parts.push_back(UnitCell(units.size() - 1, u, k));
      relations_.push_back(std::move(r));
    }
  }
  for (size_t b = 0; b < groups.size(); ++b) {
    for (size_t k = 0; k <= categories; ++k) {
      SumRelation r{ColumnTotal(k), {}};
      for (size_t g = 0; g < groups[b]; ++g) r.parts.push_back(GroupCell(b, g, k));
      relations_.push_back(std::move(r));
    }
  }
}

size_t HierarchyCells::UnitCell(size_t level, size_t unit, size_t k) const {
  return level_start_[level] + unit * (categories_ + 1) + k;
}

size_t HierarchyCells::ColumnTotal(size_t k) const { return totals_start_ + k; }

size_t HierarchyCells::GroupCell(size_t breakdown, size_t group, size_t k) const {
  return breakdown_start_[breakdown] + group * (categories_ + 1) + k;
}

namespace {

size_t Categories(const HierarchicalCounts& c) {
  for (const auto& level : c.counts) {
    if (!level.empty()) return level[0].size();
  }
  for (const auto& b : c.breakdowns) {
    if (!b.empty()) return b[0].size();
  }
  return 0;
}

}  // namespace

ProtectedHierarchy ProtectHierarchy(const HierarchicalCounts& counts,
                                    const DisclosureRules& rules) {
  const size_t categories = Categories(counts);
  std::vector<size_t> units, groups;
  for (const auto& level : counts.counts) units.push_back(level.size());
  for (const auto& b : counts.breakdowns) groups.push_back(b.size());
  const HierarchyCells cells(categories, units, counts.parent, groups);
  LinkedCounts linked;
  linked.counts.assign(cells.size(), 0);
  linked.relations = cells.relations();
  auto fill = [&](const std::vector<int64_t>& row, size_t first) {
    for (size_t k = 0; k < categories; ++k) {
      linked.counts[first + k] += row[k];
      linked.counts[first + categories] += row[k];
    }
  };
  for (size_t l = 0; l < units.size(); ++l) {
    for (size_t u = 0; u < units[l]; ++u) fill(counts.counts[l][u], cells.UnitCell(l, u, 0));
  }
  // The column totals: of the top level, or with no levels of the first
  // breakdown (all breakdowns add up to the same).
  if (!units.empty()) {
    for (const auto& row : counts.counts.back()) fill(row, cells.ColumnTotal(0));
  } else if (!groups.empty()) {
    for (const auto& row : counts.breakdowns[0]) fill(row, cells.ColumnTotal(0));
  }
  for (size_t b = 0; b < groups.size(); ++b) {
    for (size_t g = 0; g < groups[b]; ++g) fill(counts.breakdowns[b][g], cells.GroupCell(b, g, 0));
  }
  const std::vector<ProtectedCell> p = ProtectLinked(linked, rules);
  auto level = [&](size_t n, auto first) {
    ProtectedLevel out;
    for (size_t u = 0; u < n; ++u) {
      const size_t f = first(u);
      out.cells.emplace_back(p.begin() + static_cast<std::ptrdiff_t>(f),
                             p.begin() + static_cast<std::ptrdiff_t>(f + categories));
      out.row_totals.push_back(p[f + categories]);
    }
    return out;
  };
  ProtectedHierarchy out;
  for (size_t l = 0; l < units.size(); ++l) {
    out.levels.push_back(level(units[l], [&](size_t u) { return cells.UnitCell(l, u, 0); }));
  }
  for (size_t k = 0; k < categories; ++k) out.column_totals.push_back(p[cells.ColumnTotal(k)]);
  out.grand_total = p[cells.ColumnTotal(categories)];
  for (size_t b = 0; b < groups.size(); ++b) {
    out.breakdowns.push_back(level(groups[b], [&](size_t g) { return cells.GroupCell(b, g, 0); }));
  }
  return out;
}

DisclosureAudit AuditHierarchy(const PublishedHierarchy& published, const DisclosureRules& rules) {
  const ProtectedHierarchy& t = *published.table;
  const size_t categories = t.column_totals.size();
  std::vector<size_t> units, groups;
  for (const auto& level : t.levels) units.push_back(level.row_totals.size());
  for (const auto& b : t.breakdowns) groups.push_back(b.row_totals.size());
  static const std::vector<std::vector<UnitRef>> kNoParents;
  const HierarchyCells cells(categories, units,
                             published.parent != nullptr ? *published.parent : kNoParents, groups);
  std::vector<PublishedCell> view(cells.size());
  auto row = [&](const ProtectedLevel& level, size_t u, size_t first) {
    for (size_t k = 0; k < categories; ++k) {
      const bool written = published.category_published.empty() || published.category_published[k];
      view[first + k] =
          written ? Published(level.cells[u][k]) : PublishedCell{Visibility::kNotPublished, 0};
    }
    view[first + categories] = Published(level.row_totals[u]);
  };
  for (size_t l = 0; l < units.size(); ++l) {
    for (size_t u = 0; u < units[l]; ++u) row(t.levels[l], u, cells.UnitCell(l, u, 0));
  }
  for (size_t b = 0; b < groups.size(); ++b) {
    for (size_t g = 0; g < groups[b]; ++g) row(t.breakdowns[b], g, cells.GroupCell(b, g, 0));
  }
  for (size_t k = 0; k <= categories; ++k) {
    const ProtectedCell& c = k < categories ? t.column_totals[k] : t.grand_total;
    view[cells.ColumnTotal(k)] = published.column_totals_published
                                     ? Published(c)
                                     : PublishedCell{Visibility::kNotPublished, 0};
  }
  return AuditLinked(view, cells.relations(), rules);
}

ProtectedTable ProtectTable(const std::vector<std::vector<int64_t>>& counts,
                            const DisclosureRules& rules) {
  // One level, its rows the units, none with a parent.
  HierarchicalCounts h;
  h.counts.push_back(counts);
  h.parent.emplace_back(counts.size());
  const ProtectedHierarchy p = ProtectHierarchy(h, rules);
  ProtectedTable out;
  out.cells = p.levels[0].cells;
  out.row_totals = p.levels[0].row_totals;
  out.column_totals = p.column_totals;
  out.grand_total = p.grand_total;
  return out;
}

}  // namespace populus::analysis
