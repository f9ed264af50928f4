// Loading FHIR R4 into a snapshot: `populus ingest --format fhir PATH`.
//
// IngestFhir() reads Bulk Data NDJSON and Bundles (resource_reader.h), maps
// each resource to rows of the extract tables and hands them to the same
// loader as the CSV extract (ingest.h), so the snapshot, the pseudonyms, the
// validation, the quarantine and the atomic publication are those of a CSV
// load and the analysis needs no change. docs/fhir.md gives the mapping of
// every resource type.
//
// In outline: Organization (with partOf) becomes the organisation hierarchy,
// Patient a patient (the NHS number identifier is pseudonymised; names,
// addresses, telecoms and other identifiers are never kept), Condition,
// Observation (and each component), Procedure, Immunization and
// AllergyIntolerance events, MedicationRequest and MedicationStatement
// medication issues, Encounter hospital activity or a GP appointment, and
// Appointment an appointment. Codes other than SNOMED CT are kept with their
// system as "system|code"; LOINC codes listed in data/fhir/loinc-to-snomed.csv
// become the engine's SNOMED CT concepts. References resolve by fullUrl
// (urn:uuid), relative reference (Patient/123, or the end of an absolute URL),
// conditional reference (Patient?identifier=system|value) or logical
// reference (identifier); one that resolves to nothing is quarantined, never
// guessed.
//
// Memory does not grow with the input's size: the input is read three times
// (the resources others refer to; the keys of Appointments and
// MedicationRequests, only if something refers to one; the rest, mapped as
// read), and mapped rows and resource keys spill to unnamed temporary files
// (common/spill_file.h, duplicate_keys.h) beside the data directory.
#pragma once

#include <string>

#include "common/status.h"
#include "ingest/ingest.h"

namespace populus::fhir {

struct FhirIngestOptions {
  std::string input;              // an NDJSON or Bundle file, or a directory of them
  IngestOptions ingest;           // data_dir, key, dates, limits (extract_dir unused)
  std::string loinc_map;          // data/fhir/loinc-to-snomed.csv; empty: no mapping
  std::string organisations_csv;  // optional: organisations in the extract's CSV format
  std::string default_practice;   // optional: the practice of patients whose record names none
};

// As Ingest(): Ok when a snapshot was published; result->source_summary
// counts the resources by type (read, loaded, quarantined, excluded, not used).
Status IngestFhir(const FhirIngestOptions& options, IngestResult* result);

}  // namespace populus::fhir
