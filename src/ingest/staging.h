// The staged rows of a load: each table's accepted rows held column by
// column until the whole extract is read, with strings interned to dense ids
// and NHS numbers indexed in memory only (never written). Internal to the
// ingest library (ingest.cc, load_tables.cc, write_snapshot.cc).
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/civil_date.h"
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

struct EventRows {
  std::vector<uint32_t> patient, code, unit;
  std::vector<Date> date;
  std::vector<float> value;  // NaN when absent
  StringInterner codes, units;
};

struct MedicationRows {
  std::vector<uint32_t> patient, code;
  std::vector<Date> date;
  std::vector<float> quantity;  // NaN when absent
  StringInterner codes;
};

struct ActivityRows {
  std::vector<uint32_t> patient, provider;
  std::vector<Date> date;
  std::vector<uint8_t> setting;
  std::vector<uint16_t> length_of_stay;
  StringInterner providers;
};

struct AppointmentRows {
  std::vector<uint32_t> practice, patient;
  std::vector<Date> date, booked;
  std::vector<uint8_t> role, mode, status;
  std::vector<uint16_t> duration;
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
