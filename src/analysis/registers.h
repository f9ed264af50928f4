// Condition registers: who is on each long-term condition register on a date.
//
// The rules are data (data/registers/ltc-registers.csv: the register, its
// name and clinical domain, whether QOF has it, its codelist, the age bounds
// and whether it counts towards multimorbidity); each codelist
// (data/codelists/ltc/) marks codes `diagnosis` or `resolved`. A patient is
// on a register on the as-of date when they are in the population then
// (registered, alive), their age is within the bounds, and their latest
// diagnosis code on or before the date is later than any resolved code (a
// resolution on the same day as the latest diagnosis takes them off).
// Codelists become lookups over the snapshot's code dictionary, so each
// patient's events are read once for every register together.
//
// Where QOF needs more than a code (an asthma drug in the last year, a BMI of
// 30 or more, a diagnosis since a date), the register's `qualifier` column
// holds a criterion (criteria.h) the patient must also meet on the date; a
// qualifier reads the record, age and sex only, not other registers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/criteria.h"
#include "common/civil_date.h"
#include "common/status.h"

namespace populus {
class Snapshot;
}

namespace populus::analysis {

inline constexpr size_t kMaxRegisters = 64;

struct RegisterRule {
  std::string code, name, domain, codelist;
  bool qof = false;
  bool multimorbidity = true;  // counts towards the number of long-term conditions
  int min_age = 0;
  int max_age = -1;  // -1: no upper bound
  std::vector<std::string> diagnosis, resolved;
  std::string qualifier_text;                     // empty: none
  int qualifier = -1;                             // the criterion in `qualifiers`
  std::shared_ptr<const CriteriaSet> qualifiers;  // shared by every rule of a file
};

// Reads the rules and their codelists (paths relative to `codelist_root`).
// Errors name the file and line: an unknown codelist, a bad age, a code that
// is not a SNOMED CT concept id, more than 64 registers.
Status LoadRegisterRules(const std::string& path, const std::string& codelist_root,
                         std::vector<RegisterRule>* rules);

struct RegisterResult {
  std::vector<uint8_t> in_population;  // per patient: registered and alive on the date
  std::vector<uint64_t> registers;     // per patient: bit r set when on register r
  std::vector<uint8_t> conditions;     // per patient: conditions diagnosed and not
                                       // resolved, within the age bounds, of the registers
                                       // that count towards multimorbidity (a qualifier
                                       // decides the register, not the condition)
};

RegisterResult EvaluateRegisters(const Snapshot& snapshot, const std::vector<RegisterRule>& rules,
                                 Date as_of);

}  // namespace populus::analysis
