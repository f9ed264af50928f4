// The organisations of a synthetic ICS and the simulation of its people.
//
// BuildOrganisations lays out the system a configuration describes: the ICS,
// its localities, PCNs, practices with list sizes, premises, community
// pharmacies and the small areas (LSOA-like, each with a deprivation decile)
// that make up each practice's catchment. SimulatePopulation then runs the
// demographic microsimulation: every person lives year by year from the start
// of the history window (or birth, or arrival) to the baseline date, facing
// death (by age, sex and deprivation) and moving away; births and arrivals
// replace them. The starting population is the baseline age structure run
// backwards through the same survival, so the baseline reproduces the
// configured structure. Same configuration and seed: same people, whatever
// the thread count.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/vocabulary.h"
#include "synth/conditions.h"
#include "synth/ics_config.h"
#include "synth/medicines.h"

namespace populus::synth {

struct SmallArea {
  std::string code;  // E0109xxxx: a synthetic range, clear of real LSOA codes
  uint8_t imd_decile;
  uint32_t locality;
};

struct Locality {
  std::string code, name;
  bool rural;
};

struct Pcn {
  std::string code, name;
  uint32_t locality;
};

struct Practice {
  std::string code, name, postcode;
  uint32_t locality, pcn;
  uint32_t list_size;                   // target at baseline
  std::vector<uint32_t> areas;          // catchment
  std::vector<double> area_cumulative;  // weights for choosing a home area
  double mortality_ratio;               // mean deprivation ratio over the catchment
};

struct Site {
  std::string code, name, postcode;
  uint32_t practice;
};

struct Pharmacy {
  std::string code, name, postcode;
  uint32_t pcn;
};

struct SyntheticIcs {
  std::string code, name;
  std::vector<Locality> localities;
  std::vector<Pcn> pcns;
  std::vector<Practice> practices;
  std::vector<Site> sites;
  std::vector<Pharmacy> pharmacies;
  std::vector<SmallArea> areas;
};

SyntheticIcs BuildOrganisations(const IcsConfig& config);

struct Person {
  uint64_t id;  // the order of people in the output
  Date birth;
  Date registered_from;
  Date registered_to = kNoDate;
  Date death = kNoDate;
  uint32_t practice;
  uint32_t area;
  Sex sex;
  int16_t ethnicity = -1;  // index into config.ethnicities; -1 not recorded
  bool care_home = false;
  std::vector<Episode> episodes;  // long-term conditions with onset before leaving

  // The last day the person is in the practice's record.
  Date exit(Date baseline) const { return registered_to == kNoDate ? baseline : registered_to; }
  // The condition (or deficit) is recorded on the date: diagnosed, not resolved.
  bool Has(int condition, Date date) const {
    for (const Episode& e : episodes) {
      if (e.condition == condition && e.RecordedOn(date)) return true;
    }
    return false;
  }
};

// The first day of the history window.
Date HistoryStart(const IcsConfig& config);

// Multipliers on the size of each (sex, age band) cohort at the start of the
// window, found by CalibratedPopulation so that the baseline matches the
// configured structure despite migration churn; 1 everywhere to start.
struct CohortAdjustment {
  std::array<BandValues, 2> factor;  // [male, female][band]
  CohortAdjustment() {
    for (auto& f : factor) f.fill(1.0);
  }
};

// A change to a condition's incidence from a date on (a scenario, such as a
// prevention programme cutting diabetes incidence by 10%).
struct IncidenceChange {
  int condition;      // index in the ConditionModel
  double multiplier;  // of the onset hazard
  Date from;
};

// How to run the simulation on past the baseline date (`populus project`).
// Before the baseline nothing differs from `populus generate`: every random
// draw up to the baseline is the same, and the years after it follow.
struct Projection {
  Date horizon = kNoDate;
  double general_fertility_rate = 0;     // births a year per 1,000 women aged 15-44
  BandValues arrival_ratio{};            // after baseline: arrivals per departure, by band
  double mortality_change_per_year = 0;  // after baseline: -0.005 is 0.5% lower each year
  // After baseline, each condition's incidence changes by this share a year
  // (by condition index; missing or 0: none).
  std::vector<double> incidence_trend;
  std::vector<IncidenceChange> incidence_changes;  // at most one per condition
};

std::vector<Person> SimulatePopulation(const IcsConfig& config, const SyntheticIcs& ics,
                                       const ConditionModel& model, int threads,
                                       const CohortAdjustment& adjustment,
                                       const Projection* projection = nullptr);

// Runs the simulation and calibrates it, `rounds` times in all, returning the
// last run: after each run the starting cohorts of each (sex, age band) are
// scaled to the configured structure, each condition's hazard by band to its
// target prevalence, and the latent health spread towards the target share
// with one or more conditions (if the configuration has that target); the
// share with three or more then follows from the prevalences and the spread.
// Every run is deterministic, so the result is too.
//
// With a frailty model, each run also steps the deficits' prevalence scale
// towards the efi_frail target and the frailty factor's spread towards the
// efi_severe_share target (polypharmacy counted from `medicines`, if given).
std::vector<Person> CalibratedPopulation(const IcsConfig& config, const SyntheticIcs& ics,
                                         ConditionModel* model, int threads,
                                         const MedicineModel* medicines, int rounds = 8,
                                         CohortAdjustment* adjustment_out = nullptr);

// The person's eFI deficit count on the date (polypharmacy from `medicines`
// when given) and its category, or -1 if younger than `from_age` (the
// model's frailty.from_age, or its target_from_age for calibration).
struct EfiResult {
  int deficits = 0;
  int category = -1;
};
EfiResult PersonEfi(const ConditionModel& model, const MedicineModel* medicines, const Person& p,
                    Date date, int from_age);

// Distinct long-term conditions recorded (diagnosed, not resolved) on the
// date; frailty deficits are not counted.
int RecordedConditions(const ConditionModel& model, const Person& p, Date date);

// Registered on the date: registered_from <= date and not yet left or died.
inline bool RegisteredOn(const Person& p, Date date) {
  return p.registered_from <= date && (p.registered_to == kNoDate || p.registered_to > date);
}

}  // namespace populus::synth
