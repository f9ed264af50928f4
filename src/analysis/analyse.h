// `populus analyse`: the population health analysis of a snapshot on a date.
//
// For every patient in the population on the as-of date (registered and
// alive): the condition registers they are on (registers.h), their number of
// long-term conditions and Cambridge Multimorbidity Score, their electronic
// Frailty Index (frailty_index.h; people aged 65 and over, the rule pack's age), their
// 12-month emergency admission risk (admission_risk.h), their Bridges to
// Health segment and care-model tier, and the direct-care worklists they are
// on (cohorts.h; all defined as data). Aggregated by practice, PCN, locality
// and ICS with every count put through disclosure control (disclosure.h)
// before it is written; patient-level rows leave only in the worklists, one
// file per practice. Outputs appear in OUT_DIR whole or not at all
// (docs/analysis.md lists them).
//
// Every rule comes from one rule pack (rules/rule_pack.h). A run is four
// named stages (analyse.cc): the population on the date (registers, eFI,
// the admission risk model), the per-person assessment (Cambridge score,
// QRISK3, indicators, segment, tier, worklists), the tally by organisation
// level, and one writer per table, each count put through disclosure control.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/cardiovascular_risk.h"
#include "analysis/criteria.h"
#include "analysis/disclosure.h"
#include "analysis/frailty_index.h"
#include "analysis/registers.h"
#include "common/civil_date.h"
#include "common/status.h"
#include "rules/rule_pack.h"

namespace populus::analysis {

struct AnalyseOptions {
  std::string data_dir;
  std::string out_dir;
  Date as_of = kNoDate;  // kNoDate: the snapshot's extract date
  // Every rule file, the eFI age and the disclosure thresholds
  // (data/rules.toml; rules/rule_pack.h).
  rules::RulePack rules;
  // Only the population, registers, multimorbidity (without the Cambridge
  // score) and frailty tables: no risk model, segments, worklists,
  // indicators or report.
  bool core_only = false;
  bool overwrite = false;
};

struct AnalyseResult {
  Date as_of = kNoDate;
  uint64_t population = 0;
  uint64_t one_or_more = 0, two_or_more = 0, three_or_more = 0;
  uint64_t efi_assessed = 0, efi_frail = 0;  // frail: any category above the first
  uint64_t qrisk3_eligible = 0, qrisk3_scored = 0, qrisk3_10_plus = 0;
  bool risk_model_fitted = false;
  std::string risk_model_not_fitted_reason;  // why not, when not fitted
  double risk_auc = 0;
  uint64_t worklist_rows = 0;
  double seconds = 0;
};

Status Analyse(const AnalyseOptions& options, AnalyseResult* result);

// Patient p's state on the date for criteria (criteria.h): age, sex, care
// home, registers, long-term conditions and eFI. The Cambridge score, the
// admission risk and QRISK3 are left unknown, for the caller to fill in.
PatientState BasicPatientState(const Snapshot& snapshot, const RegisterResult& registers,
                               const std::vector<int8_t>& deficits, const EfiDefinition& efi,
                               uint32_t p, Date as_of);

}  // namespace populus::analysis
