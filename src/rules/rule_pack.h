// The rule pack: one manifest (data/rules.toml) naming every rule file the
// analysis applies (registers, the electronic Frailty Index, the Cambridge
// Multimorbidity Score, segments and care-model tiers, worklists,
// indicators, QRISK3), the folder their codelist paths are relative to, the
// age the eFI is assessed from and the disclosure control thresholds.
// `populus analyse` reads it in place of a path option per file, and
// `populus generate` and `project` read the eFI definition and its age from
// the same manifest, so one configured age holds for all three.
//
// Paths in the manifest are relative to the manifest's folder (or absolute);
// every file it names must be a regular file and the codelist folder a
// folder, checked when it is loaded, with the key named in the error.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace populus::rules {

struct EfiRules {
  std::string definition;  // the deficits (data/frailty/efi-deficits.csv)
  std::string categories;  // the score bands (data/frailty/efi-categories.csv)
  int from_age = 65;       // the eFI is assessed for people this age and over
};

struct QriskFiles {
  std::string model;            // coefficients (data/risk/qrisk3-2017.toml)
  std::string record;           // how each input is found in the record
  std::string smoking_amounts;  // smoking codes by amount
  std::string ethnicity;        // census category to QRISK3 ethrisk
  std::string ethnicity_codes;  // SNOMED CT ethnicity codes to census category
};

struct RulePack {
  std::string path;       // the manifest itself
  std::string codelists;  // every codelist path in every rule file is relative to this
  std::string registers;
  EfiRules efi;
  std::string cambridge_score;
  std::string segments;
  std::string care_model_tiers;
  std::string worklists;
  std::string indicators;
  QriskFiles qrisk3;
  int64_t suppress_up_to = 7;  // disclosure control: counts 1..this are withheld
  int64_t round_to = 5;        // counts shown are rounded to a multiple of this
};

// The limits on the manifest's numbers (also the CLI overrides' ranges).
inline constexpr int kMaxEfiFromAge = 110;
inline constexpr int64_t kMaxSuppressUpTo = 1000;
inline constexpr int64_t kMaxRoundTo = 1000;

// Reads and checks the manifest at `path`: unknown, missing or mistyped keys,
// numbers out of range and paths that are not files are Data errors naming
// the manifest and the key.
Status LoadRulePack(const std::string& path, RulePack* out);

}  // namespace populus::rules
