// `populus analyse`: the population health analysis of a snapshot on a date.
//
// Today: condition registers, multimorbidity and the electronic Frailty
// Index (src/analysis/frailty_index.h; people aged 65 and over by default). For every patient in
// the population on the as-of date (registered and alive) the registers they are on
// (src/analysis/registers.h) and how many long-term conditions they have; aggregated by practice,
// PCN, locality and ICS, with prevalence and Wilson 95% limits, and every count put through
// disclosure control (src/analysis/disclosure.h) before it is written. Outputs (CSV) appear in
// OUT_DIR whole or not at all.
#pragma once

#include <string>

#include "common/civil_date.h"
#include "common/status.h"

namespace populus::analysis {

struct AnalyseOptions {
  std::string data_dir;
  std::string out_dir;
  Date as_of = kNoDate;        // kNoDate: the snapshot's extract date
  std::string registers_path;  // the register rules
  std::string codelist_root;   // where their codelists (and the eFI's) are
  std::string efi_definition;  // data/frailty/efi-deficits.csv
  std::string efi_categories;  // data/frailty/efi-categories.csv
  int efi_from_age = 65;       // the eFI is for people this age and over
  bool overwrite = false;
};

struct AnalyseResult {
  Date as_of = kNoDate;
  uint64_t population = 0;
  uint64_t one_or_more = 0, two_or_more = 0, three_or_more = 0;
  uint64_t efi_assessed = 0, efi_frail = 0;  // frail: any category above the first
  double seconds = 0;
};

Status Analyse(const AnalyseOptions& options, AnalyseResult* result);

}  // namespace populus::analysis
