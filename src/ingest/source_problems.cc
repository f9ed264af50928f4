#include "ingest/source_problems.h"

#include <fmt/format.h>

#include <string_view>

namespace populus {
namespace {

// On disk: tag, line, table, rule, then the four texts each as its length
// and bytes.
struct Fixed {
  uint64_t tag, line;
  uint8_t table, rule;
};

void AppendText(SpillFile* file, std::string_view text) {
  const auto size = static_cast<uint32_t>(text.size());
  file->Append(&size, sizeof size);
  file->Append(text);
}

bool ReadText(SpillFile* file, std::string* text) {
  uint32_t size = 0;
  if (!file->Read(&size, sizeof size)) return false;
  text->resize(size);
  return size == 0 || file->Read(text->data(), size);
}

}  // namespace

void SourceProblemLog::Add(const SourceProblem& problem, uint64_t tag) {
  if (!first_) first_ = problem;
  ++count_;
  const Fixed fixed{tag, problem.line, static_cast<uint8_t>(problem.table),
                    static_cast<uint8_t>(problem.rule)};
  file_.Append(&fixed, sizeof fixed);
  for (const std::string* text :
       {&problem.file, &problem.column, &problem.reason, &problem.record}) {
    AppendText(&file_, *text);
  }
}

Status SourceProblemLog::FinishWriting() { return file_.FinishWriting(); }

Status SourceProblemLog::ForEach(
    const std::function<Status(const SourceProblem&, uint64_t tag)>& fn) {
  SourceProblem problem{};
  for (uint64_t i = 0; i < count_; ++i) {
    Fixed fixed{};
    if (!file_.Read(&fixed, sizeof fixed) || !ReadText(&file_, &problem.file) ||
        !ReadText(&file_, &problem.column) || !ReadText(&file_, &problem.reason) ||
        !ReadText(&file_, &problem.record)) {
      POPULUS_RETURN_IF_ERROR(file_.status());
      return Status::Internal(
          fmt::format("the load's problems could not be read back ({} of {})", i, count_));
    }
    problem.line = fixed.line;
    problem.table = static_cast<ExtractTable>(fixed.table);
    problem.rule = static_cast<Rule>(fixed.rule);
    POPULUS_RETURN_IF_ERROR(fn(problem, fixed.tag));
  }
  return Status::Ok();
}

}  // namespace populus
