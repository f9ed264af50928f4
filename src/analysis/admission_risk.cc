#include "analysis/admission_risk.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/parallel.h"
#include "common/vocabulary.h"
#include "store/snapshot.h"

namespace populus::analysis {
namespace {

constexpr int kAgeFrom[] = {0, 5, 18, 30, 40, 50, 60, 70, 75, 80, 85, 90};
constexpr int kReferenceAgeBand = 4;  // 40-49

// Everyone in the population on an anchor date, as sparse feature rows.
// The outcome: an emergency admission in the year after.
struct FeatureRows : LogisticRows {
  std::vector<uint32_t> patient;
};

// The features' names and positions; the intercept is feature 0 and every
// row has it.
class FeatureSpace {
 public:
  explicit FeatureSpace(const std::vector<RegisterRule>& rules) {
    Add("intercept");
    for (size_t b = 0; b < std::size(kAgeFrom); ++b) {
      const bool last = b + 1 == std::size(kAgeFrom);
      age_[b] = b == kReferenceAgeBand
                    ? -1
                    : Add(last ? fmt::format("age {}+", kAgeFrom[b])
                               : fmt::format("age {}-{}", kAgeFrom[b], kAgeFrom[b + 1] - 1));
    }
    female_ = Add("female");
    for (int q = 0; q < 4; ++q) imd_[q] = Add(fmt::format("imd quintile {}", q + 1));
    imd_unknown_ = Add("imd not recorded");
    care_home_ = Add("care home");
    for (const RegisterRule& r : rules) registers_.push_back(Add("register " + r.code));
    ltc_[0] = Add("ltc 2");
    ltc_[1] = Add("ltc 3");
    ltc_[2] = Add("ltc 4");
    ltc_[3] = Add("ltc 5+");
    efi_score_ = Add("efi score");
    emergency_[0] = Add("emergency admissions 1");
    emergency_[1] = Add("emergency admissions 2");
    emergency_[2] = Add("emergency admissions 3+");
    emergency_recent_ = Add("emergency admission in last 90 days");
    ae_[0] = Add("ae attendances 1");
    ae_[1] = Add("ae attendances 2-3");
    ae_[2] = Add("ae attendances 4+");
    elective_ = Add("elective admission");
    outpatient_[0] = Add("outpatient attendances 1-2");
    outpatient_[1] = Add("outpatient attendances 3+");
    appointments_[0] = Add("gp appointments 1-4");
    appointments_[1] = Add("gp appointments 5-9");
    appointments_[2] = Add("gp appointments 10+");
    missed_[0] = Add("missed appointments 1-2");
    missed_[1] = Add("missed appointments 3+");
  }
  const std::vector<std::string>& names() const { return names_; }

  // `known`: the registers on the anchor when the caller has them already.
  FeatureRows Build(const Snapshot& s, const std::vector<RegisterRule>& rules,
                    const EfiDefinition& efi, Date anchor,
                    const RegisterResult* known = nullptr) const {
    const RegisterResult evaluated = known ? RegisterResult() : EvaluateRegisters(s, rules, anchor);
    const RegisterResult& reg = known ? *known : evaluated;
    const std::vector<int8_t> deficits = EvaluateEfi(s, efi, reg.in_population, anchor, 0);
    const auto birth = s.patients().date_of_birth;
    const auto sex = s.patients().sex;
    const auto imd = s.patients().imd_decile;
    const auto care_home = s.patients().care_home;
    const auto hdate = s.hospital_activity().date;
    const auto setting = s.hospital_activity().setting;
    // General practice appointments attended and missed in the year before.
    std::vector<uint16_t> attended(birth.size(), 0), missed(birth.size(), 0);
    const auto apatient = s.appointments().patient;
    const auto adate = s.appointments().date;
    const auto astatus = s.appointments().status;
    for (size_t a = 0; a < apatient.size(); ++a) {
      if (apatient[a] == kNoRow || adate[a] > anchor || adate[a] <= anchor - 365) continue;
      auto& n = astatus[a] == static_cast<uint8_t>(AppointmentStatus::kAttended)
                    ? attended[apatient[a]]
                : astatus[a] == static_cast<uint8_t>(AppointmentStatus::kDidNotAttend)
                    ? missed[apatient[a]]
                    : attended[apatient[a]];
      if (astatus[a] == static_cast<uint8_t>(AppointmentStatus::kAttended) ||
          astatus[a] == static_cast<uint8_t>(AppointmentStatus::kDidNotAttend)) {
        n = static_cast<uint16_t>(std::min<int>(n + 1, 60000));
      }
    }
    // Rows for contiguous ranges of patients on threads, joined in order.
    std::vector<FeatureRows> parts(WorkerThreads());
    ForEachRange(birth.size(), parts.size(), [&](size_t part, size_t from, size_t to) {
      FeatureRows& rows = parts[part];
      for (auto p = static_cast<uint32_t>(from); p < to; ++p) {
        if (!reg.in_population[p]) continue;
        rows.patient.push_back(p);
        auto set = [&](int feature, float v = 1) {
          if (feature < 0 || v == 0) return;
          rows.index.push_back(static_cast<uint16_t>(feature));
          rows.value.push_back(v);
        };
        set(0);
        const int age = AgeInYears(birth[p], anchor);
        size_t band = 0;
        while (band + 1 < std::size(kAgeFrom) && age >= kAgeFrom[band + 1]) ++band;
        set(age_[band]);
        if (sex[p] == static_cast<uint8_t>(Sex::kFemale)) set(female_);
        if (imd[p] == kNoImdDecile) {
          set(imd_unknown_);
        } else if (imd[p] <= 8) {
          set(imd_[(imd[p] - 1) / 2]);
        }
        if (care_home[p] == 1) set(care_home_);
        for (uint64_t bits = reg.registers[p]; bits != 0; bits &= bits - 1) {
          set(registers_[static_cast<size_t>(std::countr_zero(bits))]);
        }
        const int ltc = reg.conditions[p];
        if (ltc >= 2) set(ltc_[std::min(ltc, 5) - 2]);
        set(efi_score_, static_cast<float>(deficits[p]) / static_cast<float>(efi.deficits.size()));
        int emergency = 0, ae = 0, elective = 0, outpatient = 0;
        bool recent = false;
        uint8_t admitted_after = 0;
        const auto [hb, he] = s.hospital_activity().range(p);
        for (uint64_t h = hb; h < he && hdate[h] <= anchor + 365; ++h) {
          const bool before = hdate[h] <= anchor && hdate[h] > anchor - 365;
          switch (static_cast<HospitalSetting>(setting[h])) {
            case HospitalSetting::kEmergencyAdmission:
              if (hdate[h] > anchor) admitted_after = 1;
              emergency += before;
              recent |= before && hdate[h] > anchor - 90;
              break;
            case HospitalSetting::kAe:
              ae += before;
              break;
            case HospitalSetting::kElectiveAdmission:
              elective += before;
              break;
            case HospitalSetting::kOutpatient:
              outpatient += before;
              break;
          }
        }
        if (emergency > 0) set(emergency_[std::min(emergency, 3) - 1]);
        if (recent) set(emergency_recent_);
        if (ae > 0) set(ae_[ae == 1 ? 0 : ae <= 3 ? 1 : 2]);
        if (elective > 0) set(elective_);
        if (outpatient > 0) set(outpatient_[outpatient <= 2 ? 0 : 1]);
        const int seen = attended[p];
        if (seen > 0) set(appointments_[seen <= 4 ? 0 : seen <= 9 ? 1 : 2]);
        if (missed[p] > 0) set(missed_[missed[p] <= 2 ? 0 : 1]);
        rows.offsets.push_back(static_cast<uint32_t>(rows.index.size()));
        rows.outcome.push_back(admitted_after);
      }
    });
    FeatureRows rows = std::move(parts[0]);
    for (size_t k = 1; k < parts.size(); ++k) {
      const auto base = static_cast<uint32_t>(rows.index.size());
      const FeatureRows& part = parts[k];
      rows.patient.insert(rows.patient.end(), part.patient.begin(), part.patient.end());
      rows.index.insert(rows.index.end(), part.index.begin(), part.index.end());
      rows.value.insert(rows.value.end(), part.value.begin(), part.value.end());
      rows.outcome.insert(rows.outcome.end(), part.outcome.begin(), part.outcome.end());
      for (size_t r = 1; r < part.offsets.size(); ++r)
        rows.offsets.push_back(base + part.offsets[r]);
    }
    return rows;
  }

 private:
  int Add(std::string name) {
    names_.push_back(std::move(name));
    return static_cast<int>(names_.size()) - 1;
  }
  std::vector<std::string> names_;
  int age_[std::size(kAgeFrom)]{};
  int female_ = 0, imd_[4]{}, imd_unknown_ = 0, care_home_ = 0;
  std::vector<int> registers_;
  int ltc_[4]{}, efi_score_ = 0, emergency_[3]{}, emergency_recent_ = 0, ae_[3]{}, elective_ = 0,
                 outpatient_[2]{}, appointments_[3]{}, missed_[2]{};
};

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double LinearPredictor(const LogisticRows& x, size_t row, const std::vector<double>& beta) {
  double eta = 0;
  for (uint32_t k = x.offsets[row]; k < x.offsets[row + 1]; ++k)
    eta += beta[x.index[k]] * x.value[k];
  return eta;
}

// Solves A x = b for a symmetric positive definite A (row-major, n by n) by
// Cholesky; false when A is not positive definite.
bool SolveSpd(std::vector<double> a, std::vector<double> b, size_t n, std::vector<double>* x) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (size_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (size_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / l;
    }
  }
  for (size_t i = 0; i < n; ++i) {  // L y = b
    for (size_t k = 0; k < i; ++k) b[i] -= a[i * n + k] * b[k];
    b[i] /= a[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {  // L' x = y
    for (size_t k = i + 1; k < n; ++k) b[i] -= a[k * n + i] * b[k];
    b[i] /= a[i * n + i];
  }
  *x = std::move(b);
  return true;
}

// The penalised negative log-likelihood of `beta`, and (when asked) its
// gradient and Hessian (lower triangle), summed over rows split between
// threads in a fixed order, so the result does not depend on timing.
double Objective(const LogisticRows& x, size_t n, const std::vector<double>& beta, double l2,
                 std::vector<double>* gradient, std::vector<double>* hessian) {
  // A fixed number of parts, whatever the threads, so the sums (and the
  // fitted model) are the same on every machine.
  constexpr size_t kParts = 16;
  const size_t threads = WorkerThreads();
  std::vector<double> loss(kParts, 0);
  std::vector<std::vector<double>> g(kParts), h(kParts);
  ForEachRange(kParts, std::min(threads, kParts), [&](size_t, size_t first, size_t last) {
    for (size_t t = first; t < last; ++t) {
      if (gradient) {
        g[t].assign(n, 0);
        h[t].assign(n * n, 0);
      }
      const size_t from = x.rows() * t / kParts, to = x.rows() * (t + 1) / kParts;
      for (size_t r = from; r < to; ++r) {
        const double eta = LinearPredictor(x, r, beta);
        // log(1 + e^eta) - y eta, without overflow.
        loss[t] += (eta > 0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta))) -
                   (x.outcome[r] ? eta : 0);
        if (!gradient) continue;
        const double p = Sigmoid(eta);
        const double w = p * (1 - p), residual = p - x.outcome[r];
        for (uint32_t a = x.offsets[r]; a < x.offsets[r + 1]; ++a) {
          const size_t i = x.index[a];
          const double xi = x.value[a];
          g[t][i] += residual * xi;
          for (uint32_t b = x.offsets[r]; b <= a; ++b) {
            h[t][i * n + x.index[b]] += w * xi * x.value[b];
          }
        }
      }
    }
  });
  double total = 0;
  for (size_t i = 1; i < n; ++i) total += 0.5 * l2 * beta[i] * beta[i];
  for (double v : loss) total += v;
  if (gradient) {
    gradient->assign(n, 0);
    hessian->assign(n * n, 0);
    for (size_t t = 0; t < kParts; ++t) {
      for (size_t i = 0; i < n; ++i) (*gradient)[i] += g[t][i];
      for (size_t i = 0; i < n * n; ++i) (*hessian)[i] += h[t][i];
    }
    for (size_t i = 1; i < n; ++i) {
      (*hessian)[i * n + i] += l2;
      (*gradient)[i] += l2 * beta[i];
    }
    for (size_t i = 0; i < n; ++i) {  // mirror the lower triangle
      for (size_t j = i + 1; j < n; ++j) (*hessian)[i * n + j] = (*hessian)[j * n + i];
    }
  }
  return total;
}

}  // namespace

// Newton's method with step halving on the penalised log-likelihood (a
// convex function, so every accepted step is downhill and it converges).
bool FitLogistic(const LogisticRows& x, size_t n, const AdmissionRiskOptions& options,
                 std::vector<double>* beta, int* iterations, bool* converged) {
  *converged = false;
  beta->assign(n, 0);
  const double rate =
      static_cast<double>(std::accumulate(x.outcome.begin(), x.outcome.end(), int64_t{0})) /
      static_cast<double>(x.rows());
  (*beta)[0] = std::log(rate / (1 - rate));
  std::vector<double> g, h, step;
  double current = Objective(x, n, *beta, options.l2, &g, &h);
  for (int it = 1; it <= options.max_iterations; ++it) {
    *iterations = it;
    if (!SolveSpd(h, g, n, &step)) return false;
    std::vector<double> trial(n);
    double t = 1, next = current;
    for (int halvings = 0; halvings < 30; ++halvings, t /= 2) {
      for (size_t i = 0; i < n; ++i) trial[i] = (*beta)[i] - t * step[i];
      next = Objective(x, n, trial, options.l2, nullptr, nullptr);
      if (next <= current) break;
    }
    if (!(next <= current)) {  // no step downhill: at the optimum
      *converged = true;
      return true;
    }
    double largest = 0;
    for (size_t i = 0; i < n; ++i) largest = std::max(largest, std::abs(t * step[i]));
    *beta = trial;
    *converged = largest < 1e-6 || current - next < 1e-9 * std::abs(current);
    current = Objective(x, n, *beta, options.l2, &g, &h);
    if (*converged) return true;
  }
  return true;  // the iteration limit: fitted, not converged
}

namespace {

// Each row's place in the ranking (0-100, the riskiest near 0): the share
// of rows with a strictly higher probability, plus the row itself.
std::vector<float> TopPercent(const std::vector<float>& probability) {
  std::vector<uint32_t> order(probability.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return probability[a] > probability[b]; });
  std::vector<float> out(probability.size());
  const double n = static_cast<double>(probability.size());
  size_t higher = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && probability[order[i]] != probability[order[i - 1]]) higher = i;
    out[order[i]] = static_cast<float>(100.0 * static_cast<double>(higher + 1) / n);
  }
  return out;
}

}  // namespace

int RiskTier(double top_percent) {
  for (int t = 0; t < 4; ++t) {
    if (top_percent <= kRiskTierUpTo[t]) return t;
  }
  return 3;
}

double AreaUnderCurve(const std::vector<float>& score, const std::vector<uint8_t>& outcome) {
  std::vector<uint32_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return score[a] < score[b]; });
  double rank_sum = 0, positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && score[order[j]] == score[order[i]]) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) {
      if (outcome[order[k]]) {
        rank_sum += mid_rank;
        positives += 1;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(score.size()) - positives;
  if (positives == 0 || negatives == 0) return NAN;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

Status FitAdmissionRisk(const Snapshot& snapshot, const std::vector<RegisterRule>& rules,
                        const EfiDefinition& efi, Date as_of,
                        const RegisterResult& registers_on_as_of,
                        const AdmissionRiskOptions& options, AdmissionRiskModel* model,
                        AdmissionRiskScores* scores) {
  *model = AdmissionRiskModel();
  const size_t patients = snapshot.patients().rows;
  scores->probability.assign(patients, NAN);
  scores->top_percent.assign(patients, NAN);
  const FeatureSpace space(rules);
  model->features = space.names();
  model->train_anchor = as_of - 2 * 365;
  model->test_anchor = as_of - 365;
  // Three years of hospital activity, prescriptions and appointments: the
  // year before the training anchor (its features) to the as-of date. With
  // less, a feature would be missing in training and present when scoring.
  const auto& ranges = snapshot.manifest()["date_ranges"];
  for (const char* table : {"hospital_activity", "medications", "appointments"}) {
    Date first = kNoDate;
    if (ranges.contains(table) && ranges[table].is_object()) {
      ParseIsoDate(ranges[table].value("min", std::string()), &first);
    }
    if (first == kNoDate || first > model->train_anchor - 365) {
      model->not_fitted_reason =
          first == kNoDate
              ? fmt::format("the data has no {}", table)
              : fmt::format(
                    "{} start on {}; the model needs them from {} (three years before "
                    "the as-of date)",
                    table, FormatIsoDate(first), FormatIsoDate(model->train_anchor - 365));
      return Status::Ok();
    }
  }
  const FeatureRows train = space.Build(snapshot, rules, efi, model->train_anchor);
  model->train_people = static_cast<int64_t>(train.rows());
  model->train_admitted = std::accumulate(train.outcome.begin(), train.outcome.end(), int64_t{0});
  if (model->train_admitted < 20 || model->train_people - model->train_admitted < 20) {
    model->not_fitted_reason = fmt::format(
        "{} of {} people had an emergency admission in the training year; at least 20 with and 20 "
        "without are needed",
        model->train_admitted, model->train_people);
    return Status::Ok();
  }
  const size_t n = model->features.size();
  model->train_mean.assign(n, 0);
  for (size_t k = 0; k < train.index.size(); ++k)
    model->train_mean[train.index[k]] += train.value[k];
  for (double& m : model->train_mean) m /= static_cast<double>(train.rows());
  if (!FitLogistic(train, n, options, &model->coefficients, &model->iterations,
                   &model->converged)) {
    model->not_fitted_reason = "the fit did not converge (the information matrix is singular)";
    return Status::Ok();
  }
  model->fitted = true;

  // Evaluation on the later year.
  const FeatureRows test = space.Build(snapshot, rules, efi, model->test_anchor);
  std::vector<float> predicted(test.rows());
  double brier = 0;
  for (size_t r = 0; r < test.rows(); ++r) {
    predicted[r] = static_cast<float>(Sigmoid(LinearPredictor(test, r, model->coefficients)));
    const double e = predicted[r] - test.outcome[r];
    brier += e * e;
  }
  model->test_people = static_cast<int64_t>(test.rows());
  model->test_admitted = std::accumulate(test.outcome.begin(), test.outcome.end(), int64_t{0});
  model->brier = test.rows() ? brier / static_cast<double>(test.rows()) : NAN;
  model->auc = AreaUnderCurve(predicted, test.outcome);
  std::vector<uint32_t> order(test.rows());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return predicted[a] < predicted[b]; });
  for (int d = 0; d < 10; ++d) {
    RiskGroup g;
    g.name = fmt::format("decile {}", d + 1);
    const size_t from = order.size() * static_cast<size_t>(d) / 10,
                 to = order.size() * static_cast<size_t>(d + 1) / 10;
    for (size_t i = from; i < to; ++i) {
      ++g.people;
      g.admitted += test.outcome[order[i]];
      g.mean_predicted += predicted[order[i]];
    }
    if (g.people) g.mean_predicted /= static_cast<double>(g.people);
    model->deciles.push_back(g);
  }
  const std::vector<float> test_top = TopPercent(predicted);
  model->tiers.resize(4);
  for (int t = 0; t < 4; ++t) model->tiers[static_cast<size_t>(t)].name = kRiskTierNames[t];
  for (size_t r = 0; r < test.rows(); ++r) {
    RiskGroup& g = model->tiers[static_cast<size_t>(RiskTier(test_top[r]))];
    ++g.people;
    g.admitted += test.outcome[r];
    g.mean_predicted += predicted[r];
  }
  for (RiskGroup& g : model->tiers) {
    if (g.people) g.mean_predicted /= static_cast<double>(g.people);
  }

  // Everyone on the as-of date.
  const FeatureRows now = space.Build(snapshot, rules, efi, as_of, &registers_on_as_of);
  std::vector<float> probability(now.rows());
  for (size_t r = 0; r < now.rows(); ++r) {
    probability[r] = static_cast<float>(Sigmoid(LinearPredictor(now, r, model->coefficients)));
  }
  const std::vector<float> top = TopPercent(probability);
  for (size_t r = 0; r < now.rows(); ++r) {
    scores->probability[now.patient[r]] = probability[r];
    scores->top_percent[now.patient[r]] = top[r];
  }
  return Status::Ok();
}

}  // namespace populus::analysis
