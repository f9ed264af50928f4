// Where a load's rows come from: the CSV extract, or another format mapped to
// the same tables (FHIR R4, fhir/fhir_ingest.h).
//
// The loader (ingest.h) validates, pseudonymises, quarantines and publishes
// rows; a source only hands them over, table by table in load order, as
// records whose fields are text in the extract format's spelling (the columns
// of extract_schema.h). So every source gets the same validation, the same
// pseudonyms and the same atomic publication. A record carries the file and
// line it came from, so a quarantined row names where it was found in the
// source, not in some intermediate form.
//
// Rows a source cannot even express as a table row (malformed JSON, a
// resource with no subject, a reference that resolves to nothing) are
// problems: the loader quarantines them first, and counts them against the
// table they were meant for, so the --lenient and --max-errors rules treat
// them like any other bad row.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "extract/csv_reader.h"
#include "extract/extract_schema.h"
#include "ingest/quarantine.h"

namespace populus {

struct IngestOptions;
struct IngestResult;

// The records of one table. The first record Next() returns is the header
// (the column names); the rest are rows. Views stay valid until the next call.
class TableRecords {
 public:
  virtual ~TableRecords() = default;
  virtual bool Next(CsvRecord* record) = 0;
  // Not ok when reading stopped on an error of the machine.
  virtual Status status() const = 0;
  // The file the last record came from, as the quarantine names it.
  virtual std::string_view file() const = 0;
  // For progress: the size of the input and how much of it has been handed over.
  virtual uint64_t size() const = 0;
  virtual uint64_t consumed() const = 0;
  // Bytes of the source this table was read from, for the load report.
  virtual uint64_t bytes_read() const = 0;
  // Called after each row with whether the loader kept it.
  virtual void Outcome(bool /*loaded*/) {}
};

// A row lost before it reached a table.
struct SourceProblem {
  ExtractTable table;  // the table it was meant for
  std::string file;
  uint64_t line = 0;  // or the bundle entry
  std::string column;
  Rule rule;
  std::string reason;
  std::string record;  // what the quarantine shows: never an NHS number, name or address
};

class ExtractSource {
 public:
  virtual ~ExtractSource() = default;
  // Reads whatever must be read before the tables (a FHIR input is read and
  // mapped here, its rows spilled to temporary files); a Usage or Data status
  // stops the load before anything is written.
  virtual Status Prepare() = 0;
  // True when patients are identified by NHS number (then pseudonymised),
  // false when by the source's own patient id. Called after Prepare().
  virtual Status PatientsByNhsNumber(bool* nhs_numbers) = 0;
  // The records of a table; *records is null when the source has none.
  virtual Status Open(const ExtractTableSpec& spec, std::unique_ptr<TableRecords>* records) = 0;
  // The name of a table in the load report: "events.csv" for the CSV extract.
  virtual std::string TableLabel(const ExtractTableSpec& spec) const = 0;
  // Each problem found, in order (read once, by the loader); stops at the
  // first status not ok.
  virtual Status ForEachProblem(const std::function<Status(const SourceProblem&)>& fn) = 0;
  // For the manifest: the source's path and format name.
  virtual std::string path() const = 0;
  virtual std::string format() const = 0;
  // Adds what only this source knows to the report once the rows are loaded.
  virtual void Describe(IngestResult* /*result*/) const {}
  // True when a code may also be written "system|code" (a FHIR token: a code
  // of another code system, kept with its system) instead of a SNOMED CT id.
  virtual bool CodesMayNameTheirSystem() const { return false; }
};

}  // namespace populus
