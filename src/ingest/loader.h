// The load of one extract into a snapshot (ingest.h's Ingest), in three
// parts: reading and validating each table's rows into staged columns
// (load_tables.cc), ordering them and writing the snapshot
// (write_snapshot.cc), and the run that ties them together with the
// quarantine and the lock (ingest.cc). Internal to the ingest library.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/civil_date.h"
#include "extract/csv_reader.h"
#include "extract/extract_schema.h"
#include "ingest/extract_source.h"
#include "ingest/ingest.h"
#include "ingest/pseudonymiser.h"
#include "ingest/quarantine.h"
#include "ingest/staging.h"
#include "store/snapshot_writer.h"

namespace populus::loading {

class Loader {
 public:
  Loader(ExtractSource& source, const IngestOptions& options, IngestResult* result)
      : source_(source), options_(options), result_(result) {}

  Status Run();

 private:
  // Reads one table's file, handling everything common to all tables: the
  // header, CSV-level problems, the column count and progress. `row` validates
  // and stores one record, quarantining it itself when bad.
  // `bind` is called once with the header so `row` need not look columns up by name.
  template <typename BindFn, typename RowFn>
  Status ReadTable(const ExtractTableSpec& spec, IngestFileSummary* summary, BindFn bind,
                   RowFn row);
  Status LoadOrganisations();
  Status ChoosePatientIdentifier();
  // Quarantines the rows the source lost before its tables.
  Status QuarantineSourceProblems();
  Status LoadPatients();
  Status LoadEvents();
  Status LoadMedications();
  Status LoadAppointments();
  Status LoadHospitalActivity();
  Status WriteSnapshot();
  // The key fingerprint of the newest kept version made from NHS numbers.
  void LatestKeyFingerprint(std::string* version, std::string* fingerprint) const;
  Status WriteOrganisations();
  Status WritePatients();
  Status WriteEvents();
  Status WriteMedications();
  Status WriteHospitalActivity();
  Status WriteAppointments();
  void SortPatients();

  // Quarantines the current record with the reason; returns false for use as
  // a row function's result.
  bool Reject(std::string_view column, Rule rule, std::string reason);
  // The identifier as it may appear in a report: pseudonym or masked.
  std::string SafeIdentifier(std::string_view text) const;
  // Resolves an event-like row's patient field to a patient row.
  bool ResolvePatient(std::string_view column, std::string_view text, uint32_t* patient);
  // Validates a required event date against the patient's life and the
  // extract date (plus `future_days` of allowance).
  bool EventDate(std::string_view column, std::string_view text, uint32_t patient, int future_days,
                 Date* out);
  bool OptionalDate(std::string_view column, std::string_view text, Date* out);
  // The patient and date of an event-like row, both validated.
  bool PatientAndDate(const CsvRecord& rec, int patient_field, int date_field, uint32_t* patient,
                      Date* date);
  // An optional number: NaN when the field is empty.
  bool OptionalNumber(std::string_view column, std::string_view text, float* out);
  bool RequiredDate(std::string_view column, std::string_view text, Date* out);
  bool Code(std::string_view column, std::string_view text);
  // Validates a code once per distinct value: the dictionary id of a valid code.
  // *id is kNewCode for a valid code not yet in the dictionary: the row
  // interns it only once the whole row is accepted.
  bool KnownCode(const StringInterner& dictionary, std::string_view column, std::string_view text,
                 uint32_t* id);
  // Resolves a practice code to its organisation row.
  bool Practice(std::string_view text, uint32_t* practice);

  ExtractSource& source_;
  const IngestOptions& options_;
  IngestResult* result_;
  Date extract_date_ = kNoDate;
  SnapshotWriter writer_;
  Quarantine quarantine_;
  Pseudonymiser pseudonymiser_;
  bool nhs_mode_ = false;

  // The record being validated, for Reject().
  const CsvRecord* current_ = nullptr;
  std::string_view current_file_;
  std::map<std::string, uint64_t> current_rules_;  // quarantined rows of the current table, by rule
  std::map<ExtractTable, std::map<std::string, uint64_t>> source_problems_;  // by table and rule
  int current_identifier_ = -1;
  std::vector<bool> code_fields_;  // fields of the current file that hold codes

  std::vector<OrganisationRow> organisations_;  // sorted by code
  std::unordered_map<std::string, uint32_t> organisation_index_;
  PatientRows patients_;
  NhsNumberIndex nhs_index_;
  std::unordered_map<std::string, uint32_t> id_index_;
  EventRows events_;
  MedicationRows medications_;
  AppointmentRows appointments_;
  ActivityRows activity_;
  std::map<std::string, DateRange> date_ranges_;
  uint64_t org_rejects_ = 0, patient_rejects_ = 0, event_like_rejects_ = 0;
};

}  // namespace populus::loading
