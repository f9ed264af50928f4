// FHIR R4 export: the published snapshot of a data directory as Bulk Data NDJSON.
//
// ExportFhir writes one file per resource type, named <Type>.000.ndjson, with
// one resource per line ("\n" endings), in the order Organization,
// PractitionerRole, Patient, Condition, Observation, MedicationRequest,
// Encounter, Appointment; a type with no resources gets no file. One resource
// is written per row of organisations, patients, events, medications,
// hospital_activity and appointments, plus one PractitionerRole per (practice,
// staff role) that appointments use, with the systems and extensions of
// fhir_systems.h, so that FHIR ingest reads an export back whole. Ids depend
// only on the snapshot: org-<row>, role-<practice row>-<role index>, the
// patient's pseudonym, c<row> and o<row> for events, m<row>, h<row>, a<row>.
// No name, address, telecom or NHS number of a patient is ever written.
//
// An event becomes a Condition when its code is in `condition_codes` and it
// has no value, and an Observation otherwise; the CLI fills the set with the
// diagnosis codes of the long-term condition registers. populus records days,
// not times: an Appointment's start is its day at 00:00:00Z, and its end
// (which FHIR requires with a start) is start + minutesDuration when the
// duration is known, otherwise the next day at 00:00:00Z. minutesDuration,
// not end, carries the duration; a 0-minute slot has no minutesDuration (it is
// a positiveInt) and ends at its start.
//
// OUT_DIR is an output directory (common/output_directory.h): the files are
// written in OUT_DIR.partial and the whole directory takes OUT_DIR's place
// only once every file is complete and synced, so a failed or killed export
// leaves OUT_DIR as it was. An existing non-empty OUT_DIR is a usage error
// unless `overwrite` is set and an earlier populus run wrote it; never the
// data directory, inside one, or around one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/status.h"

namespace populus::fhir {

struct ExportOptions {
  std::string data_dir;  // a data directory; its published snapshot is exported
  std::string out_dir;   // created if missing
  bool overwrite = false;
  // Event codes that are diagnoses (see above); empty: every event is an Observation.
  std::unordered_set<std::string> condition_codes;
};

struct ExportTypeResult {
  std::string resource_type;  // "Organization", ...
  std::string file;           // the file's name in out_dir; "" when none was written
  uint64_t resources = 0;
  uint64_t bytes = 0;
};

struct ExportResult {
  std::string version;                  // the snapshot version exported
  std::vector<ExportTypeResult> types;  // all eight types, in file order
  uint64_t resources = 0;               // total over the types
  uint64_t bytes_written = 0;           // total bytes of the files
  double seconds = 0;
  // The count for one type (0 for a type not written or not known).
  uint64_t count(std::string_view resource_type) const;
};

// The disk an export of the published snapshot will need, estimated from its
// row counts at kEstimatedBytesPerResource, and the disk free where OUT_DIR
// will be written; so a command can warn before it starts an export that
// will not fit.
inline constexpr uint64_t kEstimatedBytesPerResource = 420;  // 4.55 GB / 11.4M measured
Status EstimateExport(const ExportOptions& options, uint64_t* needed_bytes, uint64_t* free_bytes);

// Exports the published snapshot of options.data_dir into options.out_dir.
// Errors: Usage for a non-empty out_dir without overwrite (or out_dir being
// data_dir), the snapshot's own errors when it cannot be opened, Data for a
// snapshot value with no FHIR rendering (an empty code), Io for a failed write.
Status ExportFhir(const ExportOptions& options, ExportResult* result);

// The JSON text of the CodeableConcept populus writes for a code: a pure-digit
// code is in `default_system` (SNOMED CT for events, dm+d for medicines); a
// code "<system>|<code>" (a FHIR token) is split at its last '|'; any other
// code is a coding with no system. "" for a code with nothing to write
// (empty, or ending in '|').
std::string CodeableConceptJson(std::string_view code, std::string_view default_system);

// Appends `text` to `out` as a JSON string literal, quotes included, escaping
// '"', '\\' and control characters.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace populus::fhir
