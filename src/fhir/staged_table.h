// One extract table's rows as the FHIR mapping wrote them, waiting for the
// loader (ingest/extract_source.h).
//
// Each row is its origin (the resource it was mapped from, and where that
// was read) and its text fields, spilled to an unnamed temporary file
// (common/spill_file.h), so a table of any size costs a buffer of memory.
// The loader reads it back once, in order, as CSV-like records naming the
// FHIR file and line or entry each row came from; what the loader made of
// each row is passed on to the StagedRowOwner, which keeps the count of
// each resource's outcome.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/spill_file.h"
#include "ingest/extract_source.h"

namespace populus::fhir {

// Where a staged row came from: an anchor (a resource others refer to, by
// its index), or a clinical resource (by its sequence number in the read;
// those are too many to keep an entry for each).
struct RowOrigin {
  uint64_t id = 0;  // the anchor's index, or the clinical resource's sequence number
  uint64_t line = 0;
  uint32_t file = 0;
  uint32_t type = 0;
  uint32_t anchor = 0;  // 1 for an anchor
  uint32_t text_size = 0;
};

// What a staged table asks of, and reports to, the source that mapped it.
class StagedRowOwner {
 public:
  virtual ~StagedRowOwner() = default;
  virtual std::string_view file_name(uint32_t file) const = 0;
  // True when clinical resource `seq` repeats an earlier one's key: its rows
  // are not handed over.
  virtual bool IsDuplicate(uint64_t seq) const = 0;
  // Whether the loader kept a row of anchor `anchor`.
  virtual void AnchorRowLoaded(uint64_t anchor, bool loaded) = 0;
  // Whether the loader kept every row of clinical resource `seq`.
  virtual void ClinicalResourceLoaded(uint64_t seq, uint32_t type, bool loaded) = 0;
};

class StagedTable final : public TableRecords {
 public:
  StagedTable(StagedRowOwner* owner, std::vector<std::string> columns)
      : owner_(owner), columns_(std::move(columns)) {}

  Status Create(const std::string& spill_dir) { return spill_.Create(spill_dir); }
  size_t width() const { return columns_.size(); }
  uint64_t rows() const { return rows_; }
  void SetColumnName(size_t i, std::string name) { columns_[i] = std::move(name); }
  // Fields are text from the source; a control character in one (which
  // valid FHIR can only carry escaped) becomes a space, so it cannot split a
  // field.
  void Add(const std::vector<std::string>& fields, RowOrigin origin);
  // Ends the writing; a spill error (a full disk) stops the load.
  Status FinishWriting() { return spill_.FinishWriting(); }

  bool Next(CsvRecord* record) override;
  Status status() const override { return spill_.status(); }
  std::string_view file() const override { return file_; }
  uint64_t size() const override { return rows(); }
  uint64_t consumed() const override { return next_; }
  uint64_t bytes_read() const override { return 0; }  // the input's bytes are counted once
  void Outcome(bool loaded) override;

 private:
  // Reports what the loader made of the resource whose rows were just read.
  void EndResource();

  StagedRowOwner* owner_;
  std::vector<std::string> columns_;
  SpillFile spill_;
  std::string text_;  // a row being written, or the row last read
  uint64_t rows_ = 0, next_ = 0;
  bool header_given_ = false;
  std::string_view file_;
  RowOrigin current_{};
  bool in_resource_ = false, all_loaded_ = true;
};

}  // namespace populus::fhir
