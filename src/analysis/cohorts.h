// Groupings of patients defined as data, on criteria (criteria.h):
//
//   - a Segmentation puts every patient in exactly one group: the first
//     whose criteria they meet, in file order; the last group takes everyone
//     else (Bridges to Health, data/segments/bridges-to-health.csv; the
//     strategy's care-model tiers, data/segments/care-model-tiers.csv;
//     docs/segmentation.md);
//   - a WeightedScore adds the weights of the conditions a patient meets (the
//     Cambridge Multimorbidity Score, data/multimorbidity/cambridge-score.csv);
//   - a Worklist picks out patients for direct care, each for one or more
//     reasons, with the values a clinician wants beside them
//     (data/worklists/worklists.csv).
// In each file a group may take several rows: a patient meets the group
// when they meet any row's criterion.
#pragma once

#include <string>
#include <vector>

#include "analysis/criteria.h"
#include "common/status.h"

namespace populus::analysis {

struct Segmentation {
  std::vector<std::string> codes, names;
  std::vector<std::vector<int>> criteria;  // per group; empty for the last
  // The group of the loaded patient.
  int Assign(const CriteriaSet::Evaluator& e, const PatientState& s) const;
};

// Columns: segment, name, criterion. The last group's criterion must be
// empty (everyone else) and no other may be.
Status LoadSegmentation(const std::string& path, CriteriaSet* set, Segmentation* out);

struct WeightedScore {
  std::vector<std::string> codes, names;
  std::vector<double> weights;
  std::vector<std::vector<int>> criteria;
  double Score(const CriteriaSet::Evaluator& e, const PatientState& s) const;
};

// Columns: condition, name, weight, criterion (a condition's rows must share
// its name and weight).
Status LoadWeightedScore(const std::string& path, CriteriaSet* set, WeightedScore* out);

// What a worklist row shows beside the patient: a property of the patient's
// state or the latest value of a codelist.
struct ShownValue {
  std::string label;
  std::string key;    // age, sex, ltc, cms, efi, efi_deficits, admission_risk_top_percent, qrisk3
  int value_id = -1;  // latest:LIST
};

struct Worklist {
  std::string code, name;
  std::vector<std::string> reasons;
  std::vector<int> criteria;  // per reason
  std::vector<ShownValue> shown;
};

// Columns: worklist, name, reason, criterion, show (space-separated keys;
// latest:LIST shows the latest value of an event codelist). Rows of a
// worklist share its name and show.
Status LoadWorklists(const std::string& path, CriteriaSet* set, std::vector<Worklist>* out);

}  // namespace populus::analysis
