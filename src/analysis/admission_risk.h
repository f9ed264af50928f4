// The 12-month emergency admission risk model, learned from the data's own
// history (docs/risk.md).
//
// For an anchor date A, every person in the population on A (registered and
// alive) is described by features known on A: age band, sex, deprivation
// quintile, care home, each condition register, the number of long-term
// conditions, the eFI deficit score, and their use of services in the year
// before A (emergency admissions, A&E attendances, elective admissions,
// outpatient attendances, general practice appointments attended and
// missed). The outcome is one or more emergency admissions in the year after
// A. An L2-regularised logistic regression is fitted by Newton's method on the
// anchor two years before the as-of date (outcomes in the year after it),
// evaluated on the anchor one year before (a later period it never saw:
// AUC, Brier score, calibration by decile of predicted risk, and what each
// risk tier went on to have), and that same model scores everyone on the
// as-of date. Each person's place in the ranking gives their tier: the
// riskiest 0.5%, 0.5-5%, 5-20% and the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/frailty_index.h"
#include "analysis/registers.h"
#include "common/civil_date.h"
#include "common/status.h"

namespace populus {
class Snapshot;
}

namespace populus::analysis {

struct AdmissionRiskOptions {
  double l2 = 1.0;  // the penalty on every coefficient but the intercept
  int max_iterations = 30;
};

// A group of people in the evaluation: by decile of predicted risk, or by tier.
struct RiskGroup {
  std::string name;
  int64_t people = 0, admitted = 0;
  double mean_predicted = 0;  // mean predicted probability
};

struct AdmissionRiskModel {
  bool fitted = false;
  std::string not_fitted_reason;  // when !fitted
  Date train_anchor = kNoDate, test_anchor = kNoDate;
  std::vector<std::string> features;  // [0] is the intercept
  std::vector<double> coefficients;
  std::vector<double> train_mean;  // each feature's mean in the training year
  int iterations = 0;
  bool converged = false;  // false: stopped at the iteration limit
  int64_t train_people = 0, train_admitted = 0;
  int64_t test_people = 0, test_admitted = 0;
  double auc = 0, brier = 0;
  std::vector<RiskGroup> deciles;  // lowest predicted risk first
  std::vector<RiskGroup> tiers;    // by tier, riskiest first
};

// The tiers: the riskiest 0.5%, then to 5%, to 20%, and the rest.
inline constexpr double kRiskTierUpTo[] = {0.5, 5, 20, 100};
inline constexpr const char* kRiskTierNames[] = {"top_0.5pc", "0.5_to_5pc", "5_to_20pc", "rest"};
int RiskTier(double top_percent);

struct AdmissionRiskScores {
  // Per patient on the as-of date (NaN when not in the population): the
  // predicted probability and the place in the ranking (0-100; the riskiest
  // person is near 0).
  std::vector<float> probability, top_percent;
};

// Fits, evaluates and scores. When the data cannot support a model (less
// than three years of hospital activity, prescriptions and appointments
// before the as-of date, or fewer than 20 admissions to learn from) the model is returned unfitted
// with the reason and the scores are NaN; that is not an error.
// `registers_on_as_of` is EvaluateRegisters on the as-of date, which the
// caller has already worked out.
Status FitAdmissionRisk(const Snapshot& snapshot, const std::vector<RegisterRule>& rules,
                        const EfiDefinition& efi, Date as_of,
                        const RegisterResult& registers_on_as_of,
                        const AdmissionRiskOptions& options, AdmissionRiskModel* model,
                        AdmissionRiskScores* scores);

// Data for a logistic regression: row r's features are index/value
// [offsets[r], offsets[r+1]), in ascending feature order, with feature 0 (the
// intercept, value 1) in every row; outcome[r] is 0 or 1.
struct LogisticRows {
  std::vector<uint32_t> offsets{0};
  std::vector<uint16_t> index;
  std::vector<float> value;
  std::vector<uint8_t> outcome;
  size_t rows() const { return outcome.size(); }
};

// Fits the L2-penalised logistic regression (no penalty on the intercept)
// by Newton's method with step halving; false when the information matrix
// is singular. `converged` is false when it stopped at the iteration limit.
// The sums are split into a fixed number of parts, so the result is the
// same whatever the number of threads.
bool FitLogistic(const LogisticRows& x, size_t features, const AdmissionRiskOptions& options,
                 std::vector<double>* beta, int* iterations, bool* converged);

// The area under the ROC curve of scores against outcomes (ties count half).
double AreaUnderCurve(const std::vector<float>& score, const std::vector<uint8_t>& outcome);

}  // namespace populus::analysis
