// `populus generate`: a whole synthetic ICS written as a populus extract.
//
// Loads and validates the configuration, builds the organisations, runs the
// microsimulation and writes the extract (organisations.csv, patients.csv)
// and calibration.csv (target, achieved, tolerance, pass) into the output
// directory. The directory appears complete or not at all: files are written
// to a staging directory beside it and renamed into place. NHS numbers are
// drawn from 900 000 000x - 999 999 999x with valid check digits, a range the
// NHS in England and Wales does not issue to patients, so a synthetic record
// can never carry a real person's number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/output_directory.h"
#include "common/progress.h"
#include "common/status.h"
#include "synth/clinical_record.h"
#include "synth/ics_config.h"
#include "synth/synthetic_ics.h"

namespace populus::synth {

struct GenerateOptions {
  std::string config_path;
  std::string data_root = ".";  // where relative data paths in the config resolve
  std::string out_dir;
  int threads = 1;
  double scale = 1;  // multiply every population count (1 = as configured)
  std::optional<uint64_t> seed;
  bool overwrite = false;
};

struct CalibrationResult {
  std::string measure;
  std::string population;  // whom the measure counts: "registered", or "aged 50+" for the eFI
  double target = 0;
  double achieved = 0;
  double tolerance = 0;
  bool pass = false;
};

struct RecordCounts {
  uint64_t events = 0, medications = 0, appointments = 0, hospital = 0;
};

struct GenerateResult {
  uint64_t people = 0;                  // everyone in the extract, incl. those who left or died
  uint64_t registered_at_baseline = 0;  // alive and registered on the baseline date
  uint64_t deaths = 0, departures = 0;  // in the history window
  RecordCounts records;                 // rows written to each file of the record
  std::vector<CalibrationResult> calibration;
  double latent_sigma = 0;              // the calibrated spread of latent health
  double frailty_sigma = 0;             // ... of the frailty factor
  double deficit_prevalence_scale = 0;  // ... and the scale on deficit prevalence
  double seconds = 0;
  std::string out_dir;
};

Status Generate(const GenerateOptions& options, GenerateResult* result);

// Everything a configuration describes: its settings, the condition and
// frailty model, medicines, and the organisations.
struct SyntheticSystem {
  IcsConfig config;
  ConditionModel model;
  MedicineModel medicines;
  CareModel care;  // empty without a [care] table
  SyntheticIcs ics;
};

// Loads and validates a configuration (applying a seed override and a scale),
// its condition, frailty, medicine and care models, and lays out its
// organisations. Every data file is checked here, before anything is written.
Status LoadSystem(const std::string& config_path, const std::string& data_root,
                  std::optional<uint64_t> seed, double scale, SyntheticSystem* system);

// Synthetic NHS numbers: a seeded walk through the 9xx range (a bijection of
// the eight free digits), skipping numbers with no valid check digit. Never
// repeats within 100 million draws.
class SyntheticNhsNumbers {
 public:
  explicit SyntheticNhsNumbers(uint64_t seed);
  uint64_t Next();

 private:
  uint64_t position_;
};

}  // namespace populus::synth
