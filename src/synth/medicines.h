// Medicines in the synthetic ICS: what people are prescribed, and when.
//
// data/medicines/rules.csv says which drug classes follow which conditions or
// frailty deficits: a `repeat` rule starts a repeat medicine with a
// probability, some time after the diagnosis (or, for the trigger `*`, after
// an age), and it runs until the condition resolves or the person leaves; an
// `acute` rule gives short courses at a rate a year while the trigger holds
// (`*`: everyone). Each class has a dm+d codelist
// (data/codelists/medicines/<class>.csv); a person always gets the same
// product of a class, mostly the first one listed. Classes may form a group
// of which a person takes at most one (an anticoagulant: a DOAC or warfarin;
// an ACE inhibitor or an ARB). So polypharmacy emerges
// from multimorbidity, and statins and antihypertensives follow risk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/status.h"
#include "synth/conditions.h"

namespace populus::synth {

struct Person;

struct DrugClass {
  std::string name;
  std::vector<std::string> products;  // dm+d ids; the first the usual one
  std::vector<std::string> terms;
  bool inhaler = false;  // issued one device at a time
  int group = -1;        // at most one class of a group per person
};

struct MedicineRule {
  int trigger = -1;  // condition or deficit index in the ConditionModel; -1 everyone
  int drug_class = 0;
  bool acute = false;
  double value = 0;        // repeat: probability; acute: courses a year
  double start_years = 0;  // repeat: mean delay after the trigger (or after min_age)
  int min_age = 0;
  int group = -1;  // the rules.csv group of the class, -1 none
};

// A repeat medicine (from start until stop, kNoDate: while registered) or an
// acute course (on its start date).
struct Course {
  uint16_t drug_class;
  bool acute;
  Date start;
  Date stop = kNoDate;
};

struct MedicineModel {
  std::vector<DrugClass> classes;
  std::vector<MedicineRule> rules;
  uint64_t seed = 0;

  bool empty() const { return rules.empty(); }
  // The person's repeat medicines over their life up to `end`: a course per
  // class, or several where the reasons for it were years apart.
  void Repeats(const Person& person, Date end, std::vector<Course>* out) const;
  // Acute courses dated in [from, to).
  void AcuteCourses(const Person& person, Date from, Date to, std::vector<Course>* out) const;
  // Distinct drug classes prescribed in the `days` days up to and including
  // the date while registered (repeats running in that window, acute
  // courses dated in it): what the practice's record can show.
  int DistinctDrugs(const Person& person, Date date, int days) const;
  // The product of a class the person gets.
  const std::string& Product(const Person& person, int drug_class) const;
};

// Loads the rules and each class's codelist (header `code,term`, every code a
// SNOMED CT / dm+d id). Triggers name conditions or deficits of the model.
Status LoadMedicineModel(const std::string& rules_path, const std::string& codelist_dir,
                         const ConditionModel& model, uint64_t seed, MedicineModel* out);

}  // namespace populus::synth
