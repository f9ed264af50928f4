// QRISK3 from the record: who is eligible, and each eligible patient's
// inputs read from their events, prescriptions and registers
// (docs/risk.md#qrisk3-from-the-record).
//
// Where each input comes from is data (data/risk/qrisk3-record.csv): the
// exclusions (established cardiovascular disease, familial
// hypercholesterolaemia) and the 0/1 conditions are criteria (criteria.h);
// the measurements and smoking status are codelists. A patient is eligible
// when aged 25-84 and not excluded. Their latest systolic blood pressure,
// cholesterol/HDL ratio (or total cholesterol over HDL taken together) and
// BMI in the last five years are needed, or they are eligible but not
// scored, with the reason. The standard deviation of their systolic readings
// in those five years (0 with fewer than two), their latest smoking status
// (current smokers by amount where the code or a cigarettes-a-day value says
// it, otherwise moderate), their ethnic group mapped as ClinRisk maps it
// (data/risk/qrisk3-ethnicity.csv) and a Townsend score of 0 (an area score
// populus does not hold; 0 is the national average) complete the inputs for
// Qrisk3Model (qrisk3.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analysis/criteria.h"
#include "analysis/qrisk3.h"
#include "common/status.h"
#include "rules/rule_pack.h"

namespace populus {
class Snapshot;
}

namespace populus::analysis {

class CardiovascularRisk {
 public:
  CardiovascularRisk();
  ~CardiovascularRisk();
  // Reads the model and the record mapping (the rule pack's files; the
  // record's codelists are relative to `codelist_root`); the criteria go
  // into `set`.
  Status Load(const rules::QriskFiles& files, const std::string& codelist_root, CriteriaSet* set);

  // Gathers what it needs from one patient's record (date order); one per
  // thread, after Load.
  class Reader {
   public:
    Reader(const CardiovascularRisk& risk, const Snapshot& snapshot, Date as_of);
    ~Reader();
    enum class Outcome { kNotEligible, kNotScored, kScored };
    // The patient's risk (per cent) when kScored; the missing inputs when
    // kNotScored. `e` must have the patient loaded.
    Outcome Score(uint32_t patient, const PatientState& state, const CriteriaSet::Evaluator& e,
                  double* percent, std::string* missing) const;

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace populus::analysis
