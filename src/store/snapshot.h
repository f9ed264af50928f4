// The snapshot store: published, read-only, versioned patient-level data.
//
// A data directory holds numbered snapshot versions (versions/v000001, ...) and
// a CURRENT file naming the published one with the checksum of its manifest.
// Each version has a manifest.json and one folder per table with one column
// file per column (see column_file.h and docs/snapshot-format.md). Events,
// medications and hospital activity are sorted by (patient, date) and carry a
// patient_offsets column (patients + 1 entries), so one patient's history is
// the contiguous range [offsets[p], offsets[p+1]). Codes are dictionary
// encoded: an id column (uint16 when the dictionary fits, else uint32) and a
// strings column holding the dictionary, sorted.
//
// Snapshot::Open verifies the CURRENT pointer, the manifest checksum, the
// manifest's tables and columns against their declaration (store/schema.h)
// and every column's checksum before returning; a corrupted byte, a missing
// or mistyped column, is an error (Corruption), never data. The tables are
// then read through typed views: snapshot.patients().date_of_birth[p].
#pragma once

#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/data_directory.h"
#include "common/status.h"
#include "store/column_file.h"
#include "store/schema.h"

namespace populus {

inline constexpr const char* kSnapshotFormat = "populus-snapshot";
inline constexpr int kSnapshotFormatVersion = 1;

// Where the snapshot files of a data directory live.
struct DataDirLayout {
  explicit DataDirLayout(std::string root);
  std::string root;
  std::string current_file() const { return root + "/" + kCurrentPointerName; }
  std::string versions_dir() const { return root + "/" + kVersionsDirName; }
  std::string staging_dir() const { return root + "/" + kStagingDirName; }
  std::string rejected_dir() const { return root + "/" + kRejectedDirName; }
  std::string lock_file() const { return root + "/" + kDataLockName; }
  std::string version_dir(const std::string& version) const {
    return versions_dir() + "/" + version;
  }
};

// Version names are "v" and six digits; returns 0 for a name that is not one.
uint32_t ParseVersionName(const std::string& name);
std::string VersionName(uint32_t number);

class Snapshot {
 public:
  // Opens the published (CURRENT) version of a data directory.
  static Status Open(const std::string& data_dir, std::unique_ptr<Snapshot>* out);
  // Opens one version by name ("v000003") whether or not it is current.
  static Status OpenVersion(const std::string& data_dir, const std::string& version,
                            std::unique_ptr<Snapshot>* out);

  const std::string& version() const { return version_; }
  const std::string& directory() const { return directory_; }
  const nlohmann::json& manifest() const { return manifest_; }

  // The tables, typed (store/schema.h).
  const OrganisationsTable& organisations() const { return organisations_; }
  const PatientsTable& patients() const { return patients_; }
  const EventsTable& events() const { return events_; }
  const MedicationsTable& medications() const { return medications_; }
  const HospitalActivityTable& hospital_activity() const { return hospital_activity_; }
  const AppointmentsTable& appointments() const { return appointments_; }

  // For listing and sizing what is stored (populus info), not for reading
  // values: every table, its row count, its column files.
  std::vector<std::string> table_names() const;
  uint64_t rows(const std::string& table) const;
  uint64_t table_bytes(const std::string& table) const;
  // A column file by table and name; an absent one is a programming error
  // (std::out_of_range).
  const ColumnFile& column(const std::string& table, const std::string& name) const;

 private:
  Status Load(const std::string& data_dir, const std::string& version,
              const std::string* expected_manifest_checksum);
  std::string version_;
  std::string directory_;
  nlohmann::json manifest_;
  std::map<std::string, std::map<std::string, ColumnFile>> tables_;
  OrganisationsTable organisations_;
  PatientsTable patients_;
  EventsTable events_;
  MedicationsTable medications_;
  HospitalActivityTable hospital_activity_;
  AppointmentsTable appointments_;
};

// The numeric values of the events table (docs/snapshot-format.md, events):
// whether event `row` has a value, and the value and its unit id. Two memory
// reads and a population count per lookup.
class EventValues {
 public:
  explicit EventValues(const Snapshot& snapshot)
      : present_(snapshot.events().value_present),
        rank_(snapshot.events().value_rank),
        value_(snapshot.events().value),
        unit_(snapshot.events().unit) {}
  bool has(uint64_t row) const { return present_[row]; }
  // Only when has(row).
  float value(uint64_t row) const { return value_[Position(row)]; }
  std::string_view unit(uint64_t row) const { return unit_.value(Position(row)); }
  // Where event `row`'s value stands in the value and unit columns (only when
  // has(row)), and how many values there are.
  uint64_t Position(uint64_t row) const {
    const uint64_t word = present_.words()[row >> 6];
    const uint64_t below = word & ((uint64_t{1} << (row & 63)) - 1);
    return rank_[row >> 6] + static_cast<uint64_t>(std::popcount(below));
  }
  uint64_t values() const { return value_.size(); }

 private:
  BitmapColumn present_;
  std::span<const uint32_t> rank_;
  std::span<const float> value_;
  CodeColumn unit_;
};

// Reads CURRENT: the published version name and its manifest checksum.
Status ReadCurrentPointer(const DataDirLayout& layout, std::string* version,
                          std::string* manifest_checksum);

}  // namespace populus
