#include "fhir/duplicate_keys.h"

#include <xxhash.h>

#include <algorithm>
#include <queue>

namespace populus::fhir {
namespace {

bool Before(const DuplicateKeys::Occurrence& a, const DuplicateKeys::Occurrence& b) {
  if (a.hi != b.hi) return a.hi < b.hi;
  if (a.lo != b.lo) return a.lo < b.lo;
  return a.seq < b.seq;
}

bool SameKey(const DuplicateKeys::Occurrence& a, const DuplicateKeys::Occurrence& b) {
  return a.hi == b.hi && a.lo == b.lo;
}

// Where a merge stands in one sorted source (a run on disk, or what is held).
struct Cursor {
  DuplicateKeys::Occurrence at{};
  std::string text;
  SpillFile* run = nullptr;  // null: `held` below
  const std::vector<DuplicateKeys::Occurrence>* held = nullptr;
  const std::string* held_text = nullptr;
  size_t next = 0;

  bool Advance() {
    if (run == nullptr) {
      if (next >= held->size()) return false;
      at = (*held)[next++];
      text.assign(*held_text, at.text_at, at.text_size);
      return true;
    }
    if (!run->Read(&at, sizeof at)) return false;
    text.resize(at.text_size);
    return at.text_size == 0 || run->Read(text.data(), at.text_size);
  }
};

}  // namespace

void DuplicateKeys::Add(KeyKind kind, std::string_view type_name, std::string_view text,
                        uint64_t seq, uint32_t file, uint64_t line, uint32_t type, uint8_t note) {
  key_.assign(1, kind == KeyKind::kTypeAndId ? 'I' : 'U');
  if (kind == KeyKind::kTypeAndId) key_.append(type_name).append("/");
  key_.append(text);
  const XXH128_hash_t h = XXH3_128bits(key_.data(), key_.size());
  const std::string_view kept = text.substr(0, kMaxKeyText);
  held_.push_back({h.high64, h.low64, seq, line, file, type, static_cast<uint16_t>(kept.size()),
                   static_cast<uint8_t>(kind), note, text_.size()});
  text_.append(kept);
  if (held_.size() * sizeof(Occurrence) + text_.size() >= budget_ && status_.ok()) {
    status_ = WriteRun();
  }
}

Status DuplicateKeys::WriteRun() {
  std::sort(held_.begin(), held_.end(), Before);
  auto run = std::make_unique<SpillFile>();
  POPULUS_RETURN_IF_ERROR(run->Create(dir_));
  for (const Occurrence& o : held_) {
    run->Append(&o, sizeof o);
    run->Append(text_.data() + o.text_at, o.text_size);
  }
  POPULUS_RETURN_IF_ERROR(run->FinishWriting());
  runs_.push_back(std::move(run));
  held_.clear();
  text_.clear();
  return Status::Ok();
}

Status DuplicateKeys::Finish(std::vector<DuplicateResource>* out) {
  out->clear();
  POPULUS_RETURN_IF_ERROR(status_);
  std::sort(held_.begin(), held_.end(), Before);
  std::vector<Cursor> cursors(runs_.size() + 1);
  for (size_t i = 0; i < runs_.size(); ++i) cursors[i].run = runs_[i].get();
  cursors.back().held = &held_;
  cursors.back().held_text = &text_;
  auto later = [&](size_t a, size_t b) { return Before(cursors[b].at, cursors[a].at); };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> queue(later);
  for (size_t i = 0; i < cursors.size(); ++i) {
    if (cursors[i].Advance()) queue.push(i);
  }
  // The first occurrence of the key being merged.
  bool have_first = false;
  Occurrence first{};
  while (!queue.empty()) {
    const size_t i = queue.top();
    queue.pop();
    Cursor& c = cursors[i];
    if (have_first && SameKey(first, c.at)) {
      out->push_back({c.at.seq, static_cast<KeyKind>(c.at.kind), c.text, c.at.file, c.at.type,
                      c.at.line, c.at.note, first.file, first.line});
    } else {
      first = c.at;
      have_first = true;
    }
    if (c.Advance()) queue.push(i);
  }
  for (const auto& run : runs_) POPULUS_RETURN_IF_ERROR(run->status());
  // One report per resource: by seq, the id's before the fullUrl's.
  std::stable_sort(out->begin(), out->end(), [](const auto& a, const auto& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.kind < b.kind;
  });
  out->erase(std::unique(out->begin(), out->end(),
                         [](const auto& a, const auto& b) { return a.seq == b.seq; }),
             out->end());
  runs_.clear();
  held_.clear();
  text_.clear();
  return Status::Ok();
}

}  // namespace populus::fhir
