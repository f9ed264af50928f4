// Work split over threads in contiguous ranges. Results must not depend on
// the number of threads: callers write to per-item slots or combine
// per-range results in range order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace populus {

// The threads to use: the machine's cores, at most 8.
inline size_t WorkerThreads() {
  return std::max<size_t>(1, std::min<size_t>(std::thread::hardware_concurrency(), 8));
}

// Calls fn(range, begin, end) for `ranges` contiguous ranges covering
// [0, n), each on its own thread, and waits for all of them.
template <typename Fn>
void ForEachRange(size_t n, size_t ranges, Fn&& fn) {
  if (ranges <= 1) {
    fn(size_t{0}, size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  for (size_t r = 0; r < ranges; ++r) {
    pool.emplace_back([&fn, r, n, ranges] { fn(r, n * r / ranges, n * (r + 1) / ranges); });
  }
  for (auto& t : pool) t.join();
}

}  // namespace populus
