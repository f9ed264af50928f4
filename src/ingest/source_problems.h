// The problems a source found before its rows reached a table
// (extract_source.h), kept on disk: a bad input may have as many problems as
// it has rows, so they are written to an unnamed SpillFile as they are found
// and read back once, in order, when the loader quarantines them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/spill_file.h"
#include "common/status.h"
#include "ingest/extract_source.h"

namespace populus {

class SourceProblemLog {
 public:
  // Makes the spill file in the folder `dir`, which must exist.
  Status Create(const std::string& dir) { return file_.Create(dir, size_t{1} << 16); }
  // Records a problem; `tag` is handed back with it (a FHIR resource's
  // sequence number, say, so that a later finding can set it aside).
  void Add(const SourceProblem& problem, uint64_t tag);
  uint64_t size() const { return count_; }
  // The first problem recorded, for a message that names one.
  const std::optional<SourceProblem>& first() const { return first_; }
  // Ends the recording; not ok when the spill could not be written.
  Status FinishWriting();
  // Each problem, in the order recorded; stops at the first status not ok.
  // May be called once, after FinishWriting().
  Status ForEach(const std::function<Status(const SourceProblem&, uint64_t tag)>& fn);

 private:
  SpillFile file_;
  uint64_t count_ = 0;
  std::optional<SourceProblem> first_;
};

}  // namespace populus
