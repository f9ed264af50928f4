#include "analysis/disclosure.h"

#include <cstddef>
#include <limits>
#include <utility>

namespace populus::analysis {

int64_t RoundCount(int64_t count, int64_t round_to) {
  if (round_to <= 1) return count;
  return (count + round_to / 2) / round_to * round_to;
}

ProtectedTable ProtectTable(const std::vector<std::vector<int64_t>>& counts,
                            const DisclosureRules& rules) {
  const size_t rows = counts.size();
  const size_t columns = rows == 0 ? 0 : counts[0].size();
  // The table with its totals as one grid: row `rows` holds the column
  // totals, column `columns` the row totals, the corner the grand total.
  std::vector<std::vector<int64_t>> value(rows + 1, std::vector<int64_t>(columns + 1, 0));
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < columns; ++c) {
      const int64_t v = counts[r][c];
      value[r][c] = v;
      value[r][columns] += v;
      value[rows][c] += v;
      value[rows][columns] += v;
    }
  }
  std::vector<std::vector<CellState>> state(rows + 1,
                                            std::vector<CellState>(columns + 1, CellState::kShown));
  for (size_t r = 0; r <= rows; ++r) {
    for (size_t c = 0; c <= columns; ++c) {
      if (value[r][c] >= 1 && value[r][c] <= rules.suppress_up_to)
        state[r][c] = CellState::kPrimary;
    }
  }
  // A line (a row or a column of the grid, totals included) with exactly one
  // withheld entry gives it away; withhold one more: the smallest non-zero
  // count shown in the line, preferring the body to the total.
  auto secure = [&](std::vector<std::pair<size_t, size_t>> line) {
    size_t withheld = 0;
    for (const auto& [r, c] : line) withheld += state[r][c] != CellState::kShown ? 1 : 0;
    if (withheld != 1) return false;
    const std::pair<size_t, size_t>* best = nullptr;
    int64_t smallest = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i + 1 < line.size(); ++i) {  // the last entry is the total
      const auto& [r, c] = line[i];
      if (state[r][c] == CellState::kShown && value[r][c] > 0 && value[r][c] < smallest) {
        smallest = value[r][c];
        best = &line[i];
      }
    }
    if (best == nullptr) best = &line.back();
    if (state[best->first][best->second] != CellState::kShown) {
      // Nothing left to withhold but zeros: withhold the smallest entry shown.
      for (const auto& e : line) {
        if (state[e.first][e.second] == CellState::kShown) {
          best = &e;
          break;
        }
      }
    }
    state[best->first][best->second] = CellState::kSecondary;
    return true;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r <= rows; ++r) {
      std::vector<std::pair<size_t, size_t>> line;
      for (size_t c = 0; c <= columns; ++c) line.emplace_back(r, c);
      changed = secure(std::move(line)) || changed;
    }
    for (size_t c = 0; c <= columns; ++c) {
      std::vector<std::pair<size_t, size_t>> line;
      for (size_t r = 0; r <= rows; ++r) line.emplace_back(r, c);
      changed = secure(std::move(line)) || changed;
    }
  }
  auto cell = [&](size_t r, size_t c) {
    ProtectedCell p;
    p.state = state[r][c];
    p.value = p.shown() ? RoundCount(value[r][c], rules.round_to) : 0;
    return p;
  };
  ProtectedTable out;
  out.cells.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < columns; ++c) out.cells[r].push_back(cell(r, c));
    out.row_totals.push_back(cell(r, columns));
  }
  for (size_t c = 0; c < columns; ++c) out.column_totals.push_back(cell(rows, c));
  out.grand_total = cell(rows, columns);
  return out;
}

std::string ShownCount(const ProtectedCell& cell) {
  return cell.shown() ? std::to_string(cell.value) : std::string();
}

}  // namespace populus::analysis
