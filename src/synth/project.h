// `populus project`: the synthetic ICS run on to a future year, as yearly
// aggregate tables, with scenarios compared against the baseline.
//
// The system is generated and calibrated exactly as `populus generate` does,
// then simulated on past the baseline date to 30 June (the baseline's day) of
// the target year: births at the configured fertility, arrivals and
// departures, deaths, and the onset of conditions. A scenario (a small TOML
// file) changes condition incidence from a date; with --compare the baseline
// and the scenario are run on the same random numbers, so their difference is
// the scenario's effect and not noise. A scenario may also move a share of
// one staff role's appointments to another from a date. Besides population
// and conditions, each year has the eFI frailty categories, the GP practice
// appointments people are expected to need by staff role, and the emergency
// admissions expected, from the same rates `populus generate` draws from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "synth/generate.h"
#include "synth/synthetic_ics.h"

namespace populus::synth {

// Moves a share of the appointments of one staff role to another from a date
// (social prescribing link workers taking 5% of GP appointments, say).
struct AppointmentShift {
  uint8_t from_role = 0, to_role = 0;  // StaffRoles() indexes
  double share = 0;
  Date from = kNoDate;
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<IncidenceChange> incidence_changes;
  std::vector<AppointmentShift> appointment_shifts;
};

// Reads a scenario, naming file, key and reason for anything wrong.
Status LoadScenario(const std::string& path, const ConditionModel& model, Scenario* scenario);

struct ProjectOptions {
  std::string config_path;
  std::string data_root = ".";
  std::string out_dir;
  int to_year = 2040;
  std::string scenario_path;  // empty: the baseline projection only
  bool compare = false;       // with a scenario: also run the baseline, write compare.csv
  int threads = 1;
  double scale = 1;
  std::optional<uint64_t> seed;
  bool overwrite = false;
};

// One year of a projection.
struct ProjectedYear {
  int year = 0;
  uint64_t registered = 0, births = 0, deaths = 0;
  double aged_70_plus_share = 0, aged_under_20_share = 0;
  double one_or_more_ltc_share = 0, three_or_more_ltc_share = 0;
  std::vector<uint64_t> condition_people;    // per condition, recorded on the date
  std::vector<uint64_t> frailty;             // people assessed, by eFI category
  std::vector<double> appointments_by_role;  // expected in the year from the date
  double emergency_admissions = 0;           // expected in the year from the date
};

struct ProjectResult {
  std::vector<std::string> conditions;
  std::vector<ProjectedYear> years;           // the run (the scenario if one was given)
  std::vector<ProjectedYear> baseline_years;  // with --compare
  std::string scenario_name;
  double seconds = 0;
};

Status Project(const ProjectOptions& options, ProjectResult* result);

}  // namespace populus::synth
