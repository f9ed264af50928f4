// The snapshot's tables and columns, declared once.
//
// Each table's columns are listed here, with their element type and how many
// elements each holds, in one X-macro per table. The same list gives:
//   - the declaration (SnapshotTables()) that the writer checks every column
//     against as it is written and the reader checks the manifest against on
//     open: a column missing, of another type, of the wrong length, or not
//     declared, makes the snapshot corrupt (exit code 2);
//   - a typed view per table (OrganisationsTable, PatientsTable, ...) that
//     Snapshot hands out, so a reader writes `snapshot.patients().sex[p]`
//     and never restates a column's name or type.
// docs/snapshot-format.md describes every column; a test checks that it
// lists exactly these, with these types.
//
// DO NOT CHANGE a column's name, type or meaning without raising
// kSnapshotFormatVersion (snapshot.h): they are what published snapshots hold.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/civil_date.h"
#include "common/status.h"
#include "store/column_file.h"

namespace populus {

// ---- The values that mean "none" --------------------------------------------
// An absent row reference (organisations.parent of the ICS, appointments.patient).
inline constexpr uint32_t kNoRow = UINT32_MAX;
// An absent small number (appointments.duration_minutes, hospital_activity.length_of_stay_days).
inline constexpr uint16_t kNoSmallNumber = UINT16_MAX;
// patients.care_home when the extract did not say (0 no, 1 yes).
inline constexpr uint8_t kCareHomeNotRecorded = UINT8_MAX;
// patients.imd_decile when not recorded (deciles are 1-10).
inline constexpr uint8_t kNoImdDecile = 0;
// Dates: kNoDate (common/civil_date.h). Quantities: NaN. Codes: the empty string.

// ---- Column types a view hands out --------------------------------------------
// A string column: one string per row.
class StringColumn {
 public:
  uint64_t size() const { return file_ ? file_->rows() : 0; }
  std::string_view operator[](uint64_t row) const { return file_->string(row); }

 private:
  friend struct SchemaBinder;
  const ColumnFile* file_ = nullptr;
};

// A bitmap column: one bit per row.
class BitmapColumn {
 public:
  uint64_t size() const { return file_ ? file_->rows() : 0; }
  bool operator[](uint64_t row) const { return file_->bit(row); }
  std::span<const uint64_t> words() const {
    return {file_->values<uint64_t>().data(), (size() + 63) / 64};
  }

 private:
  friend struct SchemaBinder;
  const ColumnFile* file_ = nullptr;
};

// A dictionary-encoded column: ids of either width (uint16 when the
// dictionary fits, else uint32) in NAME, the sorted dictionary in NAME.dict.
class CodeColumn {
 public:
  uint64_t size() const { return ids_ ? ids_->rows() : 0; }
  uint32_t id(uint64_t row) const {
    return wide_ ? ids_->values<uint32_t>()[row] : ids_->values<uint16_t>()[row];
  }
  std::string_view value(uint64_t row) const { return dict_->string(id(row)); }
  uint64_t dictionary_size() const { return dict_ ? dict_->rows() : 0; }
  std::string_view dictionary_entry(uint32_t id) const { return dict_->string(id); }
  bool wide() const { return wide_; }
  // The raw ids when wide() is false / true.
  std::span<const uint16_t> narrow_ids() const { return ids_->values<uint16_t>(); }
  std::span<const uint32_t> wide_ids() const { return ids_->values<uint32_t>(); }
  // The ids' and the dictionary's files.
  const ColumnFile& ids_file() const { return *ids_; }
  const ColumnFile& dictionary_file() const { return *dict_; }

 private:
  friend struct SchemaBinder;
  const ColumnFile* ids_ = nullptr;
  const ColumnFile* dict_ = nullptr;
  bool wide_ = false;
};

template <typename T>
using Values = std::span<const T>;

// How many elements a column holds.
enum class ColumnLength : uint8_t {
  kRows,             // one per row of the table
  kPatientsPlusOne,  // patient_offsets: one per patient, and one more
  kWordsOfRows,      // one per 64 rows of the table (rounded up)
  kSomeRows,         // at most one per row (events' values: one per event with a value)
};

// ---- The tables ----------------------------------------------------------------
// X(field type, name, length, meaning). The meanings are summaries; the full
// description is docs/snapshot-format.md.

#define POPULUS_ORGANISATIONS_COLUMNS(X)                                        \
  X(StringColumn, code, kRows, "the organisation code")                         \
  X(StringColumn, name, kRows, "its name")                                      \
  X(Values<uint8_t>, type, kRows,                                               \
    "OrgType: 0 site, 1 practice, 2 pcn, 3 locality, 4 ics, 5 pharmacy")        \
  X(Values<uint32_t>, parent, kRows, "the parent's row, or kNoRow for the ICS") \
  X(StringColumn, postcode, kRows, "the postcode, or empty")

#define POPULUS_PATIENTS_COLUMNS(X)                                                       \
  X(StringColumn, pseudonym, kRows, "the keyed pseudonym (or patient_id)")                \
  X(Values<int32_t>, date_of_birth, kRows, "date of birth")                               \
  X(Values<uint8_t>, sex, kRows, "0 unknown, 1 male, 2 female, 9 indeterminate")          \
  X(Values<uint32_t>, practice, kRows, "the practice's row in organisations")             \
  X(Values<int32_t>, registered_from, kRows, "start of registration")                     \
  X(Values<int32_t>, registered_to, kRows, "end of registration, or kNoDate")             \
  X(Values<int32_t>, date_of_death, kRows, "date of death, or kNoDate")                   \
  X(CodeColumn, lsoa, kRows, "LSOA code; empty when not recorded")                        \
  X(Values<uint8_t>, imd_decile, kRows, "IMD decile 1-10, or kNoImdDecile")               \
  X(CodeColumn, ethnicity, kRows, "SNOMED CT ethnicity concept; empty when not recorded") \
  X(Values<uint8_t>, care_home, kRows, "1 in a care home, 0 not, kCareHomeNotRecorded")

#define POPULUS_EVENTS_COLUMNS(X)                                                          \
  X(Values<uint64_t>, patient_offsets, kPatientsPlusOne, "each patient's range of rows")   \
  X(Values<int32_t>, date, kRows, "date of the event")                                     \
  X(CodeColumn, code, kRows, "SNOMED CT concept id")                                       \
  X(BitmapColumn, value_present, kRows, "whether the event has a numeric value")           \
  X(Values<uint32_t>, value_rank, kWordsOfRows, "events with a value before each 64 rows") \
  X(Values<float>, value, kSomeRows, "the values, one per event with a value")             \
  X(CodeColumn, unit, kSomeRows, "the unit of each value; empty for none")

#define POPULUS_MEDICATIONS_COLUMNS(X)                                                   \
  X(Values<uint64_t>, patient_offsets, kPatientsPlusOne, "each patient's range of rows") \
  X(Values<int32_t>, date, kRows, "date of issue")                                       \
  X(CodeColumn, dmd_code, kRows, "dm+d product id")                                      \
  X(Values<float>, quantity, kRows, "quantity issued, or NaN")

#define POPULUS_HOSPITAL_ACTIVITY_COLUMNS(X)                                             \
  X(Values<uint64_t>, patient_offsets, kPatientsPlusOne, "each patient's range of rows") \
  X(Values<int32_t>, date, kRows, "date of attendance or admission")                     \
  X(Values<uint8_t>, setting, kRows, "1 A&E, 2 emergency, 3 elective, 4 outpatient")     \
  X(CodeColumn, provider, kRows, "provider code; empty when not recorded")               \
  X(Values<uint16_t>, length_of_stay_days, kRows, "length of stay in days, or kNoSmallNumber")

#define POPULUS_APPOINTMENTS_COLUMNS(X)                                                     \
  X(Values<uint32_t>, practice, kRows, "the practice's row in organisations")               \
  X(Values<uint32_t>, patient, kRows, "the patient's row, or kNoRow")                       \
  X(Values<int32_t>, date, kRows, "day of the appointment")                                 \
  X(Values<int32_t>, booked_date, kRows, "day it was booked, or kNoDate")                   \
  X(Values<uint8_t>, staff_role, kRows, "position in the staff role list")                  \
  X(Values<uint8_t>, mode, kRows, "1 face-to-face, 2 telephone, 3 video, 4 online, 5 home") \
  X(Values<uint8_t>, status, kRows, "1 attended, 2 did not attend, 3 cancelled, 4 booked")  \
  X(Values<uint16_t>, duration_minutes, kRows, "slot length in minutes, or kNoSmallNumber")

// X(view type, name, column list)
#define POPULUS_SNAPSHOT_TABLES(X)                                               \
  X(OrganisationsTable, organisations, POPULUS_ORGANISATIONS_COLUMNS)            \
  X(PatientsTable, patients, POPULUS_PATIENTS_COLUMNS)                           \
  X(EventsTable, events, POPULUS_EVENTS_COLUMNS)                                 \
  X(MedicationsTable, medications, POPULUS_MEDICATIONS_COLUMNS)                  \
  X(HospitalActivityTable, hospital_activity, POPULUS_HOSPITAL_ACTIVITY_COLUMNS) \
  X(AppointmentsTable, appointments, POPULUS_APPOINTMENTS_COLUMNS)

// ---- The typed views -------------------------------------------------------------
#define POPULUS_VIEW_FIELD(type, name, length, meaning) type name;

// Rows [first, second) of a patient-indexed table that are patient p's.
inline std::pair<uint64_t, uint64_t> PatientRange(Values<uint64_t> offsets, uint32_t p) {
  return {offsets[p], offsets[p + 1]};
}

struct OrganisationsTable {
  uint64_t rows = 0;
  POPULUS_ORGANISATIONS_COLUMNS(POPULUS_VIEW_FIELD)
};
struct PatientsTable {
  uint64_t rows = 0;
  POPULUS_PATIENTS_COLUMNS(POPULUS_VIEW_FIELD)
};
struct EventsTable {
  uint64_t rows = 0;
  POPULUS_EVENTS_COLUMNS(POPULUS_VIEW_FIELD)
  std::pair<uint64_t, uint64_t> range(uint32_t p) const { return PatientRange(patient_offsets, p); }
};
struct MedicationsTable {
  uint64_t rows = 0;
  POPULUS_MEDICATIONS_COLUMNS(POPULUS_VIEW_FIELD)
  std::pair<uint64_t, uint64_t> range(uint32_t p) const { return PatientRange(patient_offsets, p); }
};
struct HospitalActivityTable {
  uint64_t rows = 0;
  POPULUS_HOSPITAL_ACTIVITY_COLUMNS(POPULUS_VIEW_FIELD)
  std::pair<uint64_t, uint64_t> range(uint32_t p) const { return PatientRange(patient_offsets, p); }
};
struct AppointmentsTable {
  uint64_t rows = 0;
  POPULUS_APPOINTMENTS_COLUMNS(POPULUS_VIEW_FIELD)
};
#undef POPULUS_VIEW_FIELD

// ---- The declaration -------------------------------------------------------------
// How a column is stored: a fixed-width type, strings, a bitmap, or codes
// (an id column of uint16 or uint32 and a NAME.dict column of strings).
enum class ColumnKind : uint8_t { kFixed, kStrings, kBitmap, kCodes };

struct ColumnSpec {
  std::string_view name;
  ColumnKind kind;
  ColumnType type;  // for kFixed; kStrings / kBitmap for those; unused for kCodes
  ColumnLength length;
  std::string_view meaning;
};

struct TableSpec {
  std::string_view name;
  std::span<const ColumnSpec> columns;
};

// Every table, in the order above.
std::span<const TableSpec> SnapshotTables();
// A declared table by name, or null.
const TableSpec* FindTable(std::string_view name);
// A declared column of a table (a coded column's NAME.dict included, as
// kStrings), or null.
const ColumnSpec* FindColumn(const TableSpec& table, std::string_view name);
// Whether a column file of `type` may hold the declared column: its type, or
// for a coded column's ids either width.
bool HoldsDeclaredType(const ColumnSpec& column, ColumnType type);

// Checks the "tables" object of a manifest against the declaration: every
// table and column declared is there, with its type and length, and nothing
// else is. A Corruption status naming `manifest_path`, the table and the
// column when not.
Status CheckTablesAgainstSchema(const nlohmann::json& tables, const std::string& manifest_path);

}  // namespace populus
