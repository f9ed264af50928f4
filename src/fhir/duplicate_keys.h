// Finding the resources of a FHIR load that repeat another's key (its
// Type/id, or its Bundle entry's fullUrl), in memory bounded independently
// of the number of resources.
//
// Each key is reduced to a 128-bit XXH3 fingerprint (two different keys
// share one with a probability near 2^-128 even among billions) and kept
// with the resource's sequence number and location. Occurrences are sorted
// in memory until they fill a budget, then written as a sorted run to a
// SpillFile; Finish() merges the runs and reports, for every resource whose
// key an earlier resource already had, the first one's location. The key's
// text is kept (up to kMaxKeyText bytes) only to name it in a message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/spill_file.h"
#include "common/status.h"

namespace populus::fhir {

enum class KeyKind : uint8_t { kTypeAndId = 0, kFullUrl = 1 };

// A resource whose key an earlier resource had.
struct DuplicateResource {
  uint64_t seq = 0;  // the second (or later) resource
  KeyKind kind = KeyKind::kTypeAndId;
  std::string text;  // the key as given: the id, or the fullUrl (cut at kMaxKeyText)
  uint32_t file = 0, type = 0;
  uint64_t line = 0;
  uint8_t note = 0;  // as given to Add()
  uint32_t first_file = 0;
  uint64_t first_line = 0;  // of the first resource with the key
};

class DuplicateKeys {
 public:
  static constexpr size_t kMaxKeyText = 128;

  // `dir` is where runs spill; `budget_bytes` the memory for occurrences
  // held before a run is written.
  DuplicateKeys(std::string dir, size_t budget_bytes)
      : dir_(std::move(dir)), budget_(budget_bytes) {}

  // Records that resource `seq`, of type `type_name` (`type`: an index the
  // caller keeps) and found at file `file` line `line` (indexes the caller
  // keeps too), has the key; `note` is handed back with a duplicate. For
  // kTypeAndId the type name is part of the key: a Condition and an
  // Observation may share an id.
  void Add(KeyKind kind, std::string_view type_name, std::string_view text, uint64_t seq,
           uint32_t file, uint64_t line, uint32_t type, uint8_t note);
  // The resources that repeat a key, in order of seq, each once (by its
  // first repeated key in the order id, fullUrl). Not ok on a spill error.
  Status Finish(std::vector<DuplicateResource>* out);
  uint64_t runs() const { return runs_.size(); }

  struct Occurrence {
    uint64_t hi, lo, seq, line;
    uint32_t file, type;
    uint16_t text_size;
    uint8_t kind, note;
    uint64_t text_at;  // in memory: the offset in text_; on disk: unused
  };

 private:
  Status WriteRun();

  std::string dir_;
  size_t budget_;
  std::vector<Occurrence> held_;
  std::string text_;
  std::string key_;  // the key being fingerprinted
  std::vector<std::unique_ptr<SpillFile>> runs_;
  Status status_;
};

}  // namespace populus::fhir
