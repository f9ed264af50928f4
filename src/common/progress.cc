#include "common/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace populus {

ProgressBar::ProgressBar(std::string label, uint64_t total, const char* unit, Mode mode)
    : label_(std::move(label)),
      total_(total),
      unit_(unit),
      enabled_(mode == Mode::kAlways || (mode == Mode::kAuto && ::isatty(STDERR_FILENO) == 1)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_) std::fputs("\n", stderr);
}

void ProgressBar::MaybeDraw(uint64_t done) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done, false);
}

void ProgressBar::Finish(uint64_t done) {
  if (!enabled_ || finished_) return;
  Draw(done, true);
  finished_ = true;
}

void ProgressBar::Draw(uint64_t done, bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1;
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::min(1.0, fraction) * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::string rate_text;
  if (std::string_view(unit_) == "B") {
    rate_text = fmt::format("{:.1f} MB/s", rate / 1e6);
  } else {
    rate_text = fmt::format("{:.0f} {}/s", rate, unit_);
  }
  std::string eta;
  if (!final && rate > 0 && total_ > done) {
    eta = fmt::format(" ETA {:.0f}s", static_cast<double>(total_ - done) / rate);
  } else if (final) {
    eta = fmt::format(" in {:.1f}s", seconds);
  }
  fmt::print(stderr, "\r{:<28} [{}] {:3.0f}% {}{}\033[K{}", label_, bar, fraction * 100, rate_text,
             eta, final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace populus
