// The primary care record of a simulated person, written as extract rows.
//
// Given a person's simulated life (registration, conditions, frailty
// deficits, medicines), RecordWriter writes what their practice and the
// hospitals would have recorded:
//   - events: diagnoses and resolutions, frailty deficits, care processes
//     (reviews, checks, vaccinations) and the observations taken at them
//     (blood pressure, BMI, HbA1c, cholesterol, eGFR, smoking status, ...)
//     with values from a per-person physiology that follows age, conditions
//     and treatment;
//   - medications: repeat issues of every repeat medicine over the last
//     years of the record, and acute courses;
//   - appointments: by staff role and mode, driven by age and need, with
//     did-not-attend and cancellation;
//   - hospital activity: A&E attendances, emergency admissions (driven by
//     age, multimorbidity, frailty, deprivation, a recent admission and the
//     last year of life), elective admissions and outpatient appointments.
// Care processes (data/care/processes.csv) complete at rates that differ
// between practices, so the analysis has real variation to find. Every draw
// comes from streams named by the person (or practice), so the output is the
// same whatever the thread count.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "synth/synthetic_ics.h"

namespace populus::synth {

// The observations the physiology model can give values for.
enum class ObservationKind : uint8_t {
  kSystolicBp,
  kDiastolicBp,
  kBmi,
  kWeight,
  kHeight,
  kHba1c,
  kTotalCholesterol,
  kHdlCholesterol,
  kCholesterolHdlRatio,
  kEgfr,
  kSerumCreatinine,
  kUrineAcr,
  kAlcoholUnits,
  kAuditC,
  kPulseRate,
  kCount
};

struct CodeSet {
  std::vector<std::string> codes;  // the first the usual one
  std::string unit;                // observations only
};

// What a care process records: an observation, the smoking status, the
// coded eFI frailty category, the code of another process, or a condition's
// usual code (palliative care at the end of life).
struct CareRecord {
  enum class Kind : uint8_t {
    kObservation,
    kSmoking,
    kFrailtyCode,
    kProcessCode,
    kConditionCode
  } kind;
  int index = 0;  // ObservationKind, process index or condition index
};

struct CareProcess {
  std::string name;
  CodeSet codes;  // may be empty: the process is seen only in what it records
  // Who is eligible (any of): these conditions recorded; eFI category at
  // least `min_efi_category`; polypharmacy; no long-term condition; aged
  // `from_age` or more; dying within `dying_days`; everyone.
  std::vector<int> conditions;
  int dying_days = -1;
  int min_efi_category = -1;
  bool polypharmacy = false, no_ltc = false, everyone = false;
  int from_age = -1;
  int min_age = 0, max_age = 120;
  double completion = 0;   // typical share of eligible people done a year
  double practice_sd = 0;  // sd between practices on the log-odds scale
  int interval_years = 1;  // 1 yearly, 5 five-yearly, 50+ once after becoming eligible
  bool autumn = false;     // done September to December (vaccinations)
  std::vector<CareRecord> records;
};

struct CareModel {
  std::vector<CareProcess> processes;
  std::array<CodeSet, static_cast<size_t>(ObservationKind::kCount)> observations;
  std::array<CodeSet, 3> smoking;          // current, ex, never
  std::vector<std::string> frailty_codes;  // by eFI category above fit (mild, moderate, severe)
};

// Loads data/care/processes.csv and the codelists it names. Errors name the
// file, line and reason (an unknown condition, record or codelist).
Status LoadCareModel(const IcsConfig& config, const ConditionModel& model, CareModel* care);

struct SyntheticSystem;

struct RecordRows {
  std::string events, medications, appointments, hospital;
};

// What a person is expected to need in a year from a date, before their own
// variation: GP practice appointments by staff role (indexed as
// StaffRoles()) and emergency admissions. `populus project` sums these.
struct ExpectedActivity {
  std::vector<double> appointments_by_role;
  double emergency_admissions = 0;
};

class RecordWriter {
 public:
  RecordWriter(const SyntheticSystem& system, const CareModel& care);
  // Appends the person's rows; `id` is how the extract identifies them.
  void Write(const Person& person, std::string_view id, RecordRows* out) const;
  // Adds the person's expected activity for a year from the date to `out`
  // (requires an [activity] table).
  void AddExpected(const Person& person, Date date, ExpectedActivity* out) const;

 private:
  // Appointments a year on the date, before the person's own factor.
  double AppointmentRate(const Person& p, Date date) const;
  // Emergency admission risk multiplier on the date (conditions, frailty,
  // deprivation, last year of life), before a recent admission.
  double AdmissionRisk(const Person& p, Date date) const;
  struct Physiology;
  void Diagnoses(const Person& p, std::string_view id, std::string* out) const;
  void CareProcesses(const Person& p, std::string_view id, const Physiology& body,
                     std::string* out) const;
  void Medications(const Person& p, std::string_view id, const std::vector<Course>& repeats,
                   std::string* out) const;
  void Appointments(const Person& p, std::string_view id, std::string* out) const;
  void Hospital(const Person& p, std::string_view id, std::string* out) const;
  double PracticeFactor(uint32_t practice, uint64_t what) const;
  // What one visit has measured so far (NaN: not yet).
  struct Visit {
    double bmi = std::nan(""), total_cholesterol = std::nan(""), hdl = std::nan(""),
           egfr = std::nan("");
  };
  double Observe(const Person& p, const Physiology& body, ObservationKind kind, Date date,
                 class Stream& rng, Visit* visit) const;

  const SyntheticSystem& system_;
  const CareModel& care_;
  Date window_start_, activity_start_, baseline_;
  std::vector<std::array<double, 32>> role_share_;  // per practice, cumulative
  std::vector<uint8_t> roles_;                      // staff role index per share entry
  std::vector<std::vector<double>> completion_;     // [practice][process]
};

}  // namespace populus::synth
