#include "analysis/sum_bounds.h"

#include <ClpSimplex.hpp>
#include <CoinPackedMatrix.hpp>

namespace populus::analysis {

SumBounds::SumBounds(const std::vector<int64_t>& lower, const std::vector<int64_t>& upper,
                     const std::vector<SumRelation>& relations)
    : model_(std::make_unique<ClpSimplex>()) {
  const int cells = static_cast<int>(lower.size());
  // One row per relation: total - sum(parts) = 0.
  CoinPackedMatrix matrix(false, 0, 0);
  matrix.setDimensions(0, cells);
  std::vector<int> index;
  std::vector<double> element;
  for (const SumRelation& r : relations) {
    index.assign(1, static_cast<int>(r.total));
    element.assign(1, 1.0);
    for (size_t p : r.parts) {
      index.push_back(static_cast<int>(p));
      element.push_back(-1.0);
    }
    matrix.appendRow(static_cast<int>(index.size()), index.data(), element.data());
  }
  std::vector<double> column_lower(lower.size()), column_upper(lower.size()),
      objective(lower.size(), 0.0);
  for (size_t c = 0; c < lower.size(); ++c) {
    column_lower[c] = static_cast<double>(lower[c]);
    column_upper[c] = upper[c] == kUnbounded ? COIN_DBL_MAX : static_cast<double>(upper[c]);
  }
  const std::vector<double> row_bound(relations.size(), 0.0);
  model_->setLogLevel(0);
  model_->loadProblem(matrix, column_lower.data(), column_upper.data(), objective.data(),
                      row_bound.data(), row_bound.data());
}

SumBounds::~SumBounds() = default;

SumBounds::Answer SumBounds::Minimum(size_t cell, double* value) { return Solve(cell, 1, value); }

SumBounds::Answer SumBounds::Maximum(size_t cell, double* value) { return Solve(cell, -1, value); }

const double* SumBounds::solution() const { return model_->primalColumnSolution(); }

SumBounds::Answer SumBounds::Solve(size_t cell, double direction, double* value) {
  if (objective_cell_ != cell) {
    if (objective_cell_ != static_cast<size_t>(-1)) {
      model_->setObjectiveCoefficient(static_cast<int>(objective_cell_), 0.0);
    }
    model_->setObjectiveCoefficient(static_cast<int>(cell), 1.0);
    objective_cell_ = cell;
  }
  model_->setOptimizationDirection(direction);
  // A change of objective keeps the last basis primal feasible: the primal
  // simplex starts from it.
  model_->primal(1);
  switch (model_->status()) {
    case 0:
      *value = model_->primalColumnSolution()[cell];
      return Answer::kBound;
    case 1:
      return Answer::kInfeasible;
    case 2:
      return Answer::kNoUpperBound;
    default:
      return Answer::kFailed;
  }
}

}  // namespace populus::analysis
