// The description of a synthetic Integrated Care System (a TOML file).
//
// data/ics/dorset-like.toml is the default and docs/simulation.md documents
// every key with its source. LoadIcsConfig rejects a configuration with an
// unknown key, a missing key, a negative rate, proportions that do not sum to
// 1, a locality with no practices, or counts that do not add up, naming the
// file, the key and the reason; nothing is generated from a bad configuration.
#pragma once

#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/status.h"
#include "common/vocabulary.h"

namespace populus::synth {

inline constexpr double kDaysPerYear = 365.2425;
using BandValues = std::array<double, kAgeBands>;

struct LocalityConfig {
  std::string name;
  uint32_t population = 0;  // registered at baseline
  uint32_t pcns = 0;
  uint32_t practices = 0;
  bool rural = false;
  double imd_mean = 5.5;  // decile, 1 most deprived
  double imd_sd = 2.0;
  std::vector<std::string> postcode_districts;
};

struct EthnicCategory {
  std::string code;  // SNOMED CT
  double share = 0;
};

// A calibration target: a measure of the generated system at the baseline
// date, the value it should have and the absolute tolerance.
struct CalibrationTarget {
  std::string measure;  // one of CalibrationMeasures()
  double value = 0;
  double tolerance = 0;
};

// The measures a target may name.
const std::vector<std::string>& CalibrationMeasures();
// True for measures that count people (scaled by ScaleIcsConfig).
bool MeasureCountsPeople(const std::string& measure);

// What brings people to general practice and hospital ([activity], optional):
// rates by age band, raised by need (conditions and frailty deficits) and,
// for admissions, by deprivation and a recent admission.
struct ActivityConfig {
  int appointment_history_years = 2;  // appointments and outpatients: the last years
  BandValues appointments_per_year{};
  double appointment_need_per_condition = 0;  // proportional rise per recorded LTC
  double appointment_need_per_deficit = 0;    // ... and per eFI deficit
  std::vector<std::pair<std::string, double>> staff_role_share;  // sums to 1
  double did_not_attend_rate = 0;
  double cancelled_rate = 0;
  double practice_variation_sd = 0;  // sd of log practice factors
  BandValues ae_per_year{};
  BandValues emergency_admissions_per_year{};
  BandValues elective_admissions_per_year{};
  BandValues outpatients_per_year{};
  double admission_risk_per_condition = 0;
  double admission_risk_per_deficit = 0;
  double admission_deprivation_ratio = 1;  // most deprived decile against least
  double readmission_ratio = 1;            // after an emergency admission in the last year
  double last_year_of_life_ratio = 1;      // emergency admissions in the year before death
  std::vector<std::string> providers;      // hospital trusts (organisation codes)
};

struct IcsConfig {
  std::string path;  // where it was read from
  std::string code;
  std::string name;
  Date baseline_date = kNoDate;
  int history_years = 10;
  uint32_t registered_population = 0;
  uint32_t sites = 0;
  uint32_t pharmacies = 0;
  uint64_t seed = 0;
  double scale = 1;  // set by ScaleIcsConfig

  uint32_t min_list_size = 0;
  uint32_t max_list_size = 0;
  double list_size_spread = 0;

  BandValues age_band_share{};
  BandValues female_share{};
  std::vector<EthnicCategory> ethnicities;
  double ethnicity_not_recorded = 0;

  BandValues male_deaths_per_1000{};
  BandValues female_deaths_per_1000{};
  std::array<double, 10> deprivation_mortality_ratio{};
  BandValues migration_out_rate{};
  BandValues care_home_share{};

  std::vector<LocalityConfig> localities;
  std::vector<CalibrationTarget> targets;

  // Long-term conditions: the prevalence table and the codelist directory
  // (resolved paths) and the starting spread of latent health.
  std::string condition_table;
  std::string condition_codelists;
  double latent_sigma = 0.9;

  // Frailty ([frailty], optional): the rule pack whose electronic Frailty
  // Index definition, categories, codelist root and assessed age the
  // analysis uses too (rules/rule_pack.h), the prevalence table of the
  // deficits that are not long-term conditions, the starting spread of the
  // frailty factor (calibrated from here), and the youngest age the efi_*
  // calibration targets count (the published figures' ages, which need not
  // be the age the eFI is assessed from).
  bool has_frailty = false;
  std::string rule_pack;
  std::string efi_definition;
  std::string efi_categories;
  std::string deficit_table;
  std::string codelist_root;
  double frailty_sigma = 0.5;
  int efi_from_age = 65;
  int efi_target_from_age = 65;

  // Medicines ([medicines], optional): prescribing rules and the directory of
  // dm+d codelists, one per drug class.
  bool has_medicines = false;
  std::string medicine_rules;
  std::string medicine_codelists;

  bool has_activity = false;
  ActivityConfig activity;

  // Care processes and observations ([care], optional): the table of
  // processes and the codelist directories of observations and processes.
  bool has_care = false;
  std::string care_processes;
  std::string observation_codelists;
  std::string process_codelists;
  // Share of deaths whose practice put them on the palliative care register
  // in their last year, and its sd between practices (log-odds).
  double end_of_life_recognition = 0;
  double end_of_life_practice_sd = 0;

  // Projection past the baseline (`populus project`).
  double general_fertility_rate = 0;     // births a year per 1,000 women aged 15-44
  BandValues arrival_ratio{};            // arrivals per departure by band
  double mortality_change_per_year = 0;  // change in death rates a year after the baseline
  // Change in a condition's incidence a year after the baseline (condition
  // code, share a year); checked against the condition table on loading.
  std::vector<std::pair<std::string, double>> incidence_change_per_year;

  uint32_t total_pcns() const;
  uint32_t total_practices() const;
};

// Reads and validates a configuration. Relative paths inside it (the
// ethnicity codelist) are resolved against `data_root` (the repository or
// installation root) if not found as given.
Status LoadIcsConfig(const std::string& path, const std::string& data_root, IcsConfig* config);

// Finds a data file named relative to the working directory, the data root, or
// a folder above the configuration file; returns it unchanged if none exists.
std::string ResolveDataPath(const std::string& config_path, const std::string& data_root,
                            const std::string& path);

// Scales every population count by `factor` (for small test systems), keeping
// the structure; practice counts are kept, list-size bounds scaled too.
void ScaleIcsConfig(double factor, IcsConfig* config);

}  // namespace populus::synth
