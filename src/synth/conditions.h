// Long-term conditions in the microsimulation.
//
// A ConditionModel holds, per condition, the prevalence it should have by age
// band at the baseline date (data/conditions/england-ltc-prevalence.csv), how
// sex, deprivation and a person's latent health shift their risk, how often it
// resolves, how long diagnosis takes, how much it raises mortality, and the
// SNOMED CT codes that record it (data/codelists/ltc/<condition>.csv).
//
// Each person draws, at birth, a time to onset for every condition from a
// piecewise-constant hazard by age band (one draw per condition, by inverting
// the cumulative hazard); onsets after the person leaves are never recorded.
// People share a latent health factor (lognormal, mean 1), raised to each
// condition's weight, which is what makes conditions cluster: its spread is
// calibrated so the share of people with one or more conditions meets its
// target while each condition keeps its own prevalence.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/status.h"
#include "rules/efi_definition.h"
#include "synth/ics_config.h"

namespace populus::synth {

struct ConditionSpec {
  std::string code;  // register code, e.g. "AF"
  double female_ratio = 1;
  double deprivation_ratio = 1;  // risk, most deprived decile against least
  double resolution_per_year = 0;
  double latent_weight = 0;
  double diagnosis_delay_years = 0;  // mean delay from onset to a coded diagnosis
  double mortality_ratio = 1;
  BandValues prevalence{};                   // target active prevalence by band (both sexes)
  std::vector<std::string> diagnosis_codes;  // the first is the usual one
  std::vector<std::string> resolved_codes;
  // An electronic Frailty Index deficit that is not a long-term condition
  // (falls, hearing impairment, ...): simulated like a condition, but not
  // counted among long-term conditions.
  bool deficit = false;
};

// The electronic Frailty Index as the simulation sees it (src/synth/frailty.h
// loads it): the rule pack's definition (rules/efi_definition.h), which eFI
// deficit each simulated condition or deficit counts towards, and the
// calibrated knobs of the deficits that are not conditions.
struct FrailtyModel : rules::EfiSpec {
  std::vector<int> deficit_of;  // per simulated condition: eFI deficit index or -1
  int from_age = 65;            // assessed from this age (the rule pack's)
  int target_from_age = 65;     // the efi_* calibration targets count from this age
  double sigma = 0.5;           // spread of the frailty factor (calibrated)
  double prevalence_scale = 1;  // multiplier of deficit prevalences (calibrated)
  bool enabled() const { return !deficits.empty(); }
};

struct ConditionModel {
  std::vector<ConditionSpec> conditions;
  double latent_sigma = 0.9;
  // Calibrated multipliers of each condition's hazard over a whole life, by
  // birth cohort: the age band a person is in on the baseline date (people
  // born after it take band 0's). Calibrating by cohort moves each band's
  // prevalence at the baseline directly, and lets prevalence fall with age
  // where older generations were diagnosed less (autism, ADHD, learning
  // disability).
  std::vector<BandValues> cohort_scale;
  // Diagnosis codes that belong to this condition alone among the simulated
  // ones; the generator codes diagnoses only with these, so a register built
  // from any codelist sees no phantom conditions.
  std::vector<std::vector<std::string>> own_codes;
  // Expected mortality multiplier from conditions by [sex][band], used to keep
  // overall death rates at the configured level.
  std::array<BandValues, 2> mortality_normaliser{};
  FrailtyModel frailty;

  // The prevalence a condition should reach in a band: the table's, and for
  // a frailty deficit times the calibrated scale.
  double TargetPrevalence(size_t condition, int band) const {
    const ConditionSpec& c = conditions[condition];
    return c.deficit ? std::min(0.9, c.prevalence[band] * frailty.prevalence_scale)
                     : c.prevalence[band];
  }

  int index(const std::string& code) const;
  // Annual onset hazard for a condition at a band and sex, before the person's
  // own multipliers (from the table computed by Prepare()).
  double BaseHazard(size_t condition, int band, bool female) const {
    return hazard_[(condition * 2 + (female ? 1 : 0)) * kAgeBands + static_cast<size_t>(band)];
  }
  // The base hazard summed over a whole life (to age 115), so a draw that
  // never reaches it can be skipped without walking the bands.
  double LifetimeHazard(size_t condition, bool female) const {
    return lifetime_[condition * 2 + (female ? 1 : 0)];
  }
  // Deprivation multiplier of a condition's hazard for a decile (1-10).
  double DeprivationFactor(size_t condition, int decile) const {
    return deprivation_[condition * 10 + static_cast<size_t>(decile - 1)];
  }
  // Computes the hazard and deprivation tables.
  void Prepare();
  void ComputeMortalityNormaliser();

 private:
  std::vector<double> hazard_;
  std::vector<double> lifetime_;
  std::vector<double> deprivation_;
};

// Loads the prevalence table and one codelist per condition from
// `codelist_dir` (files named after the lower-case condition code).
Status LoadConditionModel(const std::string& table_path, const std::string& codelist_dir,
                          double latent_sigma, ConditionModel* model);

// Appends the rows of a prevalence table (same columns, first column named
// `deficit` not `condition`) to a model as frailty deficits, each with the
// codelist `<codelist_dir>/<row id>.csv` (header `code,term`). Call
// FinishConditionModel afterwards.
Status AppendDeficits(const std::string& table_path, const std::string& codelist_dir,
                      ConditionModel* model);

// Works out each condition's own codes (a code shared with another condition
// is never emitted) and the hazard and mortality tables.
Status FinishConditionModel(const std::string& source, ConditionModel* model);

struct Episode {
  uint8_t condition;
  Date onset;
  Date diagnosed = kNoDate;  // kNoDate: never diagnosed in life
  Date resolved = kNoDate;   // kNoDate: never resolved
  // Active and coded on the date: diagnosed by then and not yet resolved.
  bool RecordedOn(Date d) const {
    return diagnosed != kNoDate && diagnosed <= d && (resolved == kNoDate || resolved > d);
  }
  // Present (diagnosed or not) and not resolved on the date.
  bool PresentOn(Date d) const { return onset <= d && (resolved == kNoDate || resolved > d); }
};

}  // namespace populus::synth
