// The staged rows of a load: each table's accepted rows held column by
// column until the whole extract is read, with strings interned to dense ids
// and NHS numbers indexed in memory only (never written). Internal to the
// ingest library (ingest.cc, load_tables.cc, write_snapshot.cc).
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/civil_date.h"
#include "common/spill_file.h"
#include "common/status.h"
#include "common/vocabulary.h"

namespace populus::loading {

// An open-addressing map from NHS numbers to patient rows, held in memory only
// while a load links its rows; it is never written anywhere.
class NhsNumberIndex {
 public:
  void Reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    keys_.assign(cap, 0);
    values_.assign(cap, 0);
    mask_ = cap - 1;
  }
  // Returns false if the key was already present (and sets *existing).
  bool Insert(uint64_t key, uint32_t value, uint32_t* existing) {
    if ((size_ + 1) * 2 > keys_.size()) Grow();
    size_t i = Slot(key);
    while (keys_[i] != 0) {
      if (keys_[i] == key) {
        *existing = values_[i];
        return false;
      }
      i = (i + 1) & mask_;
    }
    keys_[i] = key;
    values_[i] = value;
    ++size_;
    return true;
  }
  bool Find(uint64_t key, uint32_t* value) const {
    if (keys_.empty()) return false;
    size_t i = Slot(key);
    while (keys_[i] != 0) {
      if (keys_[i] == key) {
        *value = values_[i];
        return true;
      }
      i = (i + 1) & mask_;
    }
    return false;
  }
  void Remap(const std::vector<uint32_t>& new_index) {
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != 0) values_[i] = new_index[values_[i]];
    }
  }

 private:
  size_t Slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL >> 20) & mask_; }
  void Grow() {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<uint32_t> old_values = std::move(values_);
    Reserve(std::max<size_t>(16, old_keys.size()));
    size_ = 0;
    uint32_t ignored;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != 0) Insert(old_keys[i], old_values[i], &ignored);
    }
  }
  std::vector<uint64_t> keys_;  // 0 = empty (0000000000 fails the check digit rule)
  std::vector<uint32_t> values_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Assigns dense ids to distinct strings; Finish() sorts the dictionary so a
// snapshot does not depend on the order of rows in the extract.
class StringInterner {
 public:
  // The id of a string already interned, if it is.
  bool Find(std::string_view s, uint32_t* id) const {
    if (slots_.empty()) return false;
    const uint64_t h = XXH3_64bits(s.data(), s.size());
    for (size_t i = h & mask_; slots_[i] != kEmpty; i = (i + 1) & mask_) {
      if (hashes_[slots_[i]] == h && strings_[slots_[i]] == s) {
        *id = slots_[i];
        return true;
      }
    }
    return false;
  }

  uint32_t Intern(std::string_view s) {
    if ((strings_.size() + 1) * 2 > slots_.size()) Grow();
    const uint64_t h = XXH3_64bits(s.data(), s.size());
    size_t i = h & mask_;
    while (slots_[i] != kEmpty) {
      const uint32_t id = slots_[i];
      if (hashes_[id] == h && strings_[id] == s) return id;
      i = (i + 1) & mask_;
    }
    const auto id = static_cast<uint32_t>(strings_.size());
    strings_.emplace_back(s);
    hashes_.push_back(h);
    slots_[i] = id;
    return id;
  }
  // Sorted dictionary and, per old id, its new id.
  void Finish(std::vector<std::string>* dictionary, std::vector<uint32_t>* remap) const {
    std::vector<uint32_t> order(strings_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return strings_[a] < strings_[b]; });
    dictionary->clear();
    remap->assign(strings_.size(), 0);
    for (uint32_t rank = 0; rank < order.size(); ++rank) {
      dictionary->push_back(strings_[order[rank]]);
      (*remap)[order[rank]] = rank;
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  void Grow() {
    const size_t cap = std::max<size_t>(64, slots_.size() * 2);
    slots_.assign(cap, kEmpty);
    mask_ = cap - 1;
    for (uint32_t id = 0; id < strings_.size(); ++id) {
      size_t i = hashes_[id] & mask_;
      while (slots_[i] != kEmpty) i = (i + 1) & mask_;
      slots_[i] = id;
    }
  }
  std::vector<std::string> strings_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

constexpr uint32_t kNewCode = UINT32_MAX;  // a valid code not yet in its dictionary
// Booked appointments may lie up to this many days after the extract date.
constexpr int kBookingHorizonDays = 366;

struct OrganisationRow {
  std::string code, name, parent_code, postcode;
  OrgType type;
  std::string file;  // where the row came from
  uint64_t line;
};

struct PatientRows {
  std::vector<std::string> key;
  std::vector<Date> birth, registered_from, registered_to, death;
  std::vector<uint8_t> sex, imd_decile, care_home;
  std::vector<uint32_t> practice, lsoa, ethnicity;
  StringInterner lsoa_dict, ethnicity_dict;
};

// Rows of one event-like table, spilled to disk as they are accepted, in
// buckets by a range of keys (patients; practices for appointments), so that
// loading a table of any size costs a small buffer per bucket. Writing reads
// one bucket back at a time, sorts it and appends it to the snapshot's
// columns (write_snapshot.cc), so memory grows with the rows of one bucket,
// not of the table. Row is a plain struct of fixed size.
template <typename Row>
class BucketedRows {
 public:
  static constexpr size_t kSpillBuffer = size_t{256} << 10;

  // At most this many buckets (open spill files) per table: past 128 x
  // `keys_per_bucket` keys, buckets widen instead.
  static constexpr size_t kMaxBuckets = 128;

  // Rows will have keys 0..keys-1; a bucket holds `keys_per_bucket` of them
  // (more when there would be more than kMaxBuckets buckets).
  Status Create(const std::string& spill_dir, size_t keys, size_t keys_per_bucket) {
    keys_ = keys;
    width_ = std::max({keys_per_bucket, (keys + kMaxBuckets - 1) / kMaxBuckets, size_t{1}});
    buckets_.clear();
    const size_t n = std::max<size_t>((keys + width_ - 1) / width_, 1);
    for (size_t b = 0; b < n; ++b) {
      buckets_.push_back(std::make_unique<SpillFile>());
      POPULUS_RETURN_IF_ERROR(buckets_.back()->Create(spill_dir, kSpillBuffer));
    }
    return Status::Ok();
  }
  void Add(uint32_t key, const Row& row) {
    buckets_[key / width_]->Append(&row, sizeof row);
    ++rows_;
  }
  // Ends the writing of every bucket; a spill error (a full disk) stops the load.
  Status FinishWriting() {
    for (auto& b : buckets_) POPULUS_RETURN_IF_ERROR(b->FinishWriting());
    return Status::Ok();
  }
  size_t buckets() const { return buckets_.size(); }
  // The keys of bucket b: [first_key(b), first_key(b) + keys_in(b)).
  size_t first_key(size_t b) const { return b * width_; }
  size_t keys_in(size_t b) const { return std::min(width_, keys_ - std::min(keys_, b * width_)); }
  uint64_t rows() const { return rows_; }
  // Bucket b's rows in the order they were added; each bucket is read once
  // and its file let go.
  Status Read(size_t b, std::vector<Row>* rows) {
    rows->resize(buckets_[b]->size() / sizeof(Row));
    if (!rows->empty() && !buckets_[b]->Read(rows->data(), rows->size() * sizeof(Row))) {
      return buckets_[b]->status();
    }
    buckets_[b].reset();
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<SpillFile>> buckets_;
  size_t keys_ = 0, width_ = 1;
  uint64_t rows_ = 0;
};

struct EventRow {
  uint32_t patient = 0, code = 0, unit = 0;
  Date date = 0;
  float value = 0;  // NaN when absent
};
static_assert(sizeof(EventRow) == 20);
struct EventRows {
  BucketedRows<EventRow> rows;
  StringInterner codes, units;
};

struct MedicationRow {
  uint32_t patient = 0, code = 0;
  Date date = 0;
  float quantity = 0;  // NaN when absent
};
static_assert(sizeof(MedicationRow) == 16);
struct MedicationRows {
  BucketedRows<MedicationRow> rows;
  StringInterner codes;
};

struct ActivityRow {
  uint32_t patient = 0, provider = 0;
  Date date = 0;
  uint16_t length_of_stay = 0;
  uint8_t setting = 0;
  uint8_t unused = 0;  // no padding of unknown bytes in the spill
};
static_assert(sizeof(ActivityRow) == 16);
struct ActivityRows {
  BucketedRows<ActivityRow> rows;
  StringInterner providers;
};

struct AppointmentRow {
  uint32_t practice = 0, patient = 0;
  Date date = 0, booked = 0;
  uint16_t duration = 0;
  uint8_t role = 0, mode = 0, status = 0;
  uint8_t unused[3] = {};  // no padding of unknown bytes in the spill
};
static_assert(sizeof(AppointmentRow) == 24);
struct AppointmentRows {
  BucketedRows<AppointmentRow> rows;  // by practice
};

struct DateRange {
  Date min = INT32_MAX;
  Date max = INT32_MIN;
  void Add(Date d) {
    min = std::min(min, d);
    max = std::max(max, d);
  }
  nlohmann::json ToJson() const {
    if (min > max) return nullptr;
    return {{"min", FormatIsoDate(min)}, {"max", FormatIsoDate(max)}};
  }
};

}  // namespace populus::loading
