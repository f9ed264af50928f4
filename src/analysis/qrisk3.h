// QRISK3-2017: the 10-year risk of cardiovascular disease (heart attack or
// stroke) for a person aged 25-84 without it (Hippisley-Cox, Coupland and
// Brindle, BMJ 2017;357:j2099).
//
// The model's numbers are data (data/risk/qrisk3-2017.toml: baseline
// survival, ethnicity and smoking terms, the fractional-polynomial
// transforms and centring of age and BMI, continuous, binary and age
// interaction coefficients, per sex), read by Qrisk3Model::Load; Score is the
// arithmetic of the published algorithm: a linear predictor of centred
// terms, and 100 * (1 - S10 ^ exp(predictor)). It reproduces the published
// test vectors (shared reference qrisk3_2017_test.csv) to one decimal.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace populus::analysis {

struct Qrisk3Input {
  bool female = false;
  double age = 0;     // years, 25-84
  int ethrisk = 1;    // 1 White or not stated, 2 Indian, 3 Pakistani, 4 Bangladeshi,
                      // 5 Other Asian, 6 Black Caribbean, 7 Black African, 8 Chinese, 9 Other
  int smoke_cat = 0;  // 0 non, 1 ex, 2 light (<10/day), 3 moderate (10-19), 4 heavy (20+)
  double bmi = 0;     // kg/m2
  double rati = 0;    // total cholesterol / HDL ratio
  double sbp = 0;     // systolic blood pressure, mmHg
  double sbps5 = 0;   // standard deviation of recent systolic readings, mmHg
  double town = 0;    // Townsend deprivation score
  // 0/1 conditions, named as the model file names them (b_AF, b_type2, fh_cvd, ...).
  std::map<std::string, bool> flags;
};

class Qrisk3Model {
 public:
  // Reads the model file; errors name the file, the key and the reason.
  Status Load(const std::string& path);
  // The flags the model knows (for either sex).
  const std::vector<std::string>& flag_names() const { return flag_names_; }
  // The 10-year risk in per cent. Refuses (returns false, with a reason) an
  // age outside 25-84, an unknown ethnicity or smoking category, or a value
  // that is not a positive finite number where one is needed.
  bool Score(const Qrisk3Input& input, double* percent, std::string* reason) const;

 private:
  struct Term {
    double power = 1;
    bool log = false;
  };
  struct Sex {
    double survival = 0;
    std::map<int, double> ethrisk, smoke_cat;
    Term age_1, age_2, bmi_1, bmi_2;
    double age_divisor = 10, bmi_divisor = 10;
    std::map<std::string, double> centre, continuous, binary, age_1_interaction, age_2_interaction;
  };
  Sex sexes_[2];  // [male, female]
  std::vector<std::string> flag_names_;
};

}  // namespace populus::analysis
