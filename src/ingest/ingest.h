// Ingestion: a populus CSV extract in, a new published snapshot out.
//
// Ingest() streams every file of the extract, validates every row, replaces
// NHS numbers by keyed pseudonyms, sorts patient-level tables by (patient,
// date) and publishes the result as a new snapshot version - or publishes
// nothing. Bad rows go to the quarantine with file, line, column and reason.
// Policy: a bad organisation or patient row rejects the whole load (unless
// lenient); bad event-like rows are quarantined, and more than max_errors of
// them rejects the load. A rejected load leaves its quarantine and report in
// DATA_DIR/rejected/ and the previous snapshot untouched.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/progress.h"
#include "common/status.h"

namespace populus {

struct IngestOptions {
  std::string extract_dir;
  std::string data_dir;
  std::string key_file;         // else POPULUS_PSEUDO_KEY, else demo
  bool demo = false;            // allow a generated key kept in the data directory
  int64_t max_errors = -1;      // quarantined event-like rows allowed; -1: no limit
  bool lenient = false;         // quarantine bad organisation and patient rows instead of failing
  Date extract_date = kNoDate;  // dates after it are impossible; default: today
  int keep_versions = 5;        // older snapshot versions are removed; 0 keeps all
  ProgressBar::Mode progress = ProgressBar::Mode::kAuto;
  // The event-like rows wait on disk in buckets of this many patients
  // (appointments: practices) until written; memory while writing grows
  // with one bucket's rows. Smaller buckets, more files; the snapshot is the
  // same whatever the sizes.
  size_t patients_per_bucket = 65536;
  size_t organisations_per_bucket = 32;
};

struct IngestFileSummary {
  std::string file;
  bool present = false;
  uint64_t bytes = 0;
  uint64_t rows_read = 0;
  uint64_t rows_loaded = 0;
  uint64_t rows_quarantined = 0;
  double seconds = 0;  // reading and validating the file
  std::map<std::string, uint64_t> quarantined_by_rule;
};

struct IngestResult {
  bool published = false;
  std::string version;          // when published
  std::string snapshot_dir;     // when published
  std::string rejected_dir;     // when rejected
  std::string rejection;        // why, when rejected
  std::string quarantine_file;  // where the quarantined rows are
  std::vector<IngestFileSummary> files;
  std::vector<std::string> warnings;
  std::vector<std::string> examples;  // the first few quarantine reasons
  uint64_t bytes_read = 0;
  double seconds = 0;             // the load up to publication (renames take milliseconds more)
  double write_seconds = 0;       // sorting and writing the snapshot's columns
  nlohmann::json source_summary;  // what only the source knows (FHIR: resources by type)
  nlohmann::json ToJson() const;
};

class ExtractSource;

// Runs a load of the rows `source` hands over (see extract_source.h);
// options.extract_dir is not used. Results as for Ingest().
Status IngestFrom(ExtractSource& source, const IngestOptions& options, IngestResult* result);

// Runs a load of the CSV extract in options.extract_dir. Ok when a snapshot was published. A Data
// status when the load was rejected (the result still describes it), Usage for bad options, Io or
// Internal for failures of the machine.
Status Ingest(const IngestOptions& options, IngestResult* result);

}  // namespace populus
