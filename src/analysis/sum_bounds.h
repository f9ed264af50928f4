// The least and greatest value a count can take given sums that bind it:
// linear programming over every sum at once, which is how an onlooker
// with a solver would work a withheld count out of a published table.
//
// SumBounds holds cells (each with known bounds: a shown count's rounding
// interval, 0 or more for a withheld one) and SumRelations (disclosure.h),
// and answers, for any cell, the minimum and maximum of that cell over every
// real solution of the relations within the bounds. The answers are those
// of the linear relaxation: a whole-number answer can only lie inside them,
// so bounds rounded inwards (ceil the minimum, floor the maximum) are sound.
// The solver is COIN-OR CLP (Debian's coinor-libclp-dev); each question
// after the first starts from the last answer's basis, so asking about
// every cell of a table costs little more than one solve.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "analysis/disclosure.h"

class ClpSimplex;

namespace populus::analysis {

class SumBounds {
 public:
  // upper[c] == kUnbounded: no upper bound.
  SumBounds(const std::vector<int64_t>& lower, const std::vector<int64_t>& upper,
            const std::vector<SumRelation>& relations);
  ~SumBounds();
  SumBounds(const SumBounds&) = delete;
  SumBounds& operator=(const SumBounds&) = delete;

  enum class Answer {
    kBound,         // *value is the least (or greatest) value
    kNoUpperBound,  // the cell can be as large as one likes
    kInfeasible,    // no solution at all: the bounds and the sums contradict
    kFailed,        // the solver gave no answer (numerical trouble)
  };
  Answer Minimum(size_t cell, double* value);
  Answer Maximum(size_t cell, double* value);
  // Every cell's value in the solution the last kBound answer found.
  const double* solution() const;

 private:
  Answer Solve(size_t cell, double direction, double* value);

  std::unique_ptr<ClpSimplex> model_;
  size_t objective_cell_ = static_cast<size_t>(-1);
};

}  // namespace populus::analysis
