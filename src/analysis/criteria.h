// Criteria: who a rule picks out, written as text in the data files that
// define segments, care-model tiers, the Cambridge Multimorbidity Score's
// conditions and the worklists, for example
//
//   register:SMI and not latest:observations/bmi.csv in 365d
//
// A criterion is clauses joined by "and" and "or" ("and" binds tighter: "a
// and b or c" is "(a and b) or c"); a clause may start with "not".
// Clauses (OP is one of < <= > >= = !=; LIST a codelist path relative to the
// codelist folder, or several joined by "+"; "in Nd" a window of the N days up
// to and including the date, "since YYYY-MM-DD" from a fixed date, "ever"
// when left out):
//
//   register:CODE                    on the register on the date
//   age OP N                         age in whole years
//   sex = female | male
//   ltc OP N                         long-term conditions counted for multimorbidity
//   cms OP X                         Cambridge Multimorbidity Score
//   efi OP CATEGORY                  eFI category (fit, mild, ...); false when not assessed
//   efi_deficits OP N                number of eFI deficits; false when not assessed
//   care_home                        lives in a care home (false when not recorded)
//   admission_risk_top_percent OP X  the patient's place in the ranking of
//                                    12-month emergency admission risk (0.5: the
//                                    riskiest 0.5%); false when not scored
//   qrisk3 OP X                      QRISK3 10-year risk (%); false when not scored
//   coded:LIST [in Nd] [OP N]        events with a code of LIST: at least one,
//                                    or their number compared with N
//   first:LIST [in Nd] [OP N]        the first event with a code of LIST was
//                                    in the window (false when there is none;
//                                    without a window: ever)
//   issued:LIST [in Nd] [OP N]       prescriptions (dm+d) of LIST, likewise
//   latest:LIST [in Nd] OP X         the latest value recorded with a code of
//                                    LIST; false when there is none
//   best_of_last_2:LIST [in Nd] OP X the higher of the last two values (the
//                                    only one when there is one)
//   emergency_admissions | ae_attendances | elective_admissions |
//   outpatient_attendances [in Nd] OP N   hospital activity counted
//
// A clause about something the patient does not have (no eFI, no value) is
// false, so "not" of it is true: "not latest:observations/hba1c.csv in 365d
// > 0" picks out people with no HbA1c in the year. Codelists are read once
// and become masks over the snapshot's dictionaries; one pass over a
// patient's events, prescriptions and hospital activity gathers everything
// every criterion of the set needs.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/status.h"

namespace populus {
class Snapshot;
class EventValues;
}  // namespace populus

namespace populus::analysis {

// What a criterion may refer to beyond the record: the register codes (in
// bit order) and the eFI category names (in order).
struct CriteriaContext {
  std::string codelist_root;
  std::vector<std::string> registers;
  std::vector<std::string> efi_categories;
};

// The patient's state the non-record clauses test; NaN or -1 when unknown.
struct PatientState {
  int age = 0;
  uint8_t sex = 0;
  uint64_t registers = 0;
  int ltc = 0;
  double cms = NAN;
  int efi_deficits = -1;
  int efi_category = -1;
  bool care_home = false;
  double admission_risk_top_percent = NAN;
  double qrisk3 = NAN;
};

class CriteriaSet {
 public:
  explicit CriteriaSet(CriteriaContext context);
  ~CriteriaSet();
  CriteriaSet(CriteriaSet&&) noexcept;

  // Parses a criterion; `where` ("file line N") prefixes any error. Returns
  // its id through `id`.
  Status Add(const std::string& text, const std::string& where, int* id);
  size_t size() const;
  // Asks for the latest value of an event codelist ("observations/hba1c.csv",
  // ever) for each patient loaded, to show beside a criterion's result.
  Status AddValue(const std::string& list, const std::string& where, int* value_id);

  // The record facts a set needs, gathered for one patient at a time. One
  // per thread.
  class Evaluator {
   public:
    Evaluator(const CriteriaSet& set, const Snapshot& snapshot, Date as_of);
    ~Evaluator();
    // Reads patient p's record up to the date.
    void Load(uint32_t patient);
    bool Matches(int id, const PatientState& state) const;
    // A value asked for with AddValue, for the loaded patient (NaN: none).
    double Value(int value_id) const;

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace populus::analysis
