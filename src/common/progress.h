// A progress bar for long work, drawn on stderr.
//
// Shows what is being done, percent, rate and time left. Enabled when stderr is
// a terminal (or when forced); otherwise every call is a cheap no-op, so batch
// jobs and CI logs stay quiet. Update() may be called per row: it redraws at
// most ten times a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace populus {

class ProgressBar {
 public:
  enum class Mode { kAuto, kAlways, kNever };

  ProgressBar(std::string label, uint64_t total, const char* unit, Mode mode);
  ~ProgressBar();

  void Update(uint64_t done) {
    if (enabled_ && (++calls_ & 1023) == 0) MaybeDraw(done);
  }
  // Draws the final state and ends the line.
  void Finish(uint64_t done);
  bool enabled() const { return enabled_; }

 private:
  void MaybeDraw(uint64_t done);
  void Draw(uint64_t done, bool final);

  std::string label_;
  uint64_t total_;
  const char* unit_;
  bool enabled_;
  bool finished_ = false;
  uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace populus
