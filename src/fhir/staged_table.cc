#include "fhir/staged_table.h"

namespace populus::fhir {
namespace {

constexpr char kFieldSeparator = '\x1f';  // staged fields never hold control characters

}  // namespace

void StagedTable::Add(const std::vector<std::string>& fields, RowOrigin origin) {
  text_.clear();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) text_.push_back(kFieldSeparator);
    for (char ch : fields[i]) text_.push_back(static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch);
  }
  origin.text_size = static_cast<uint32_t>(text_.size());
  spill_.Append(&origin, sizeof origin);
  spill_.Append(text_);
  ++rows_;
}

bool StagedTable::Next(CsvRecord* record) {
  record->problem = CsvProblem::kNone;
  record->fields.clear();
  if (!header_given_) {
    header_given_ = true;
    for (const auto& c : columns_) record->fields.push_back(c);
    record->line = 0;
    return true;
  }
  RowOrigin origin;
  for (;;) {
    if (next_ >= rows_ || !spill_.Read(&origin, sizeof origin)) {
      EndResource();
      return false;
    }
    text_.resize(origin.text_size);
    if (origin.text_size > 0 && !spill_.Read(text_.data(), text_.size())) {
      EndResource();
      return false;
    }
    ++next_;
    if (origin.anchor != 0 || !owner_->IsDuplicate(origin.id)) break;
    // A duplicate: quarantined as such (Prepare); none of its rows are loaded.
  }
  if (in_resource_ && (origin.anchor != 0 || origin.id != current_.id)) EndResource();
  const std::string_view text = text_;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == kFieldSeparator) {
      record->fields.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  record->raw = text;
  record->line = origin.line;
  file_ = owner_->file_name(origin.file);
  current_ = origin;
  return true;
}

void StagedTable::Outcome(bool loaded) {
  if (current_.anchor != 0) {
    owner_->AnchorRowLoaded(current_.id, loaded);
    return;
  }
  in_resource_ = true;
  all_loaded_ = all_loaded_ && loaded;
}

void StagedTable::EndResource() {
  if (!in_resource_) return;
  owner_->ClinicalResourceLoaded(current_.id, current_.type, all_loaded_);
  in_resource_ = false;
  all_loaded_ = true;
}

}  // namespace populus::fhir
