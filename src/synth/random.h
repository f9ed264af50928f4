// Reproducible random streams for the microsimulation.
//
// Every random decision in `populus generate` draws from a Stream named by the
// run's seed and by what it is for (a practice, a person, a purpose), never
// from a shared generator, so the output is byte-identical whatever the number
// of threads and whatever order work is scheduled in. The generator is
// xoshiro256** seeded through SplitMix64; the distributions are written here
// (not std::*_distribution, whose output differs between standard libraries).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace populus::synth {

inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Names a stream: what the draws are for.
enum class Purpose : uint64_t {
  kOrganisations = 1,
  kSmallAreas,
  kPopulation,
  kPerson,
  kArrivals,
  kBirths,
  kIdentifiers,
  kCodes,
  kFutureArrivals,
  kMedicines,
  kAcuteMedicines,
  kRecord,
  kPracticeVariation,
  kEndOfLife,
};

class Stream {
 public:
  Stream(uint64_t seed, Purpose purpose, uint64_t a = 0, uint64_t b = 0) {
    uint64_t mix = seed ^ (static_cast<uint64_t>(purpose) * 0xD1B54A32D192ED03ULL);
    mix ^= a * 0x8CB92BA72F3D8DD7ULL;
    mix ^= b * 0xABC98388FB8FAC03ULL;
    for (uint64_t& word : s_) word = SplitMix64(&mix);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>(Uniform() * static_cast<double>(n)); }
  bool Bernoulli(double p) { return Uniform() < p; }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Exponential with the given mean.
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }
  // Poisson: inversion for small means, a rounded normal for large ones.
  uint64_t Poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 50) {
      const double x = std::round(mean + std::sqrt(mean) * Normal());
      return x < 0 ? 0 : static_cast<uint64_t>(x);
    }
    const double limit = std::exp(-mean);
    uint64_t k = 0;
    for (double p = Uniform(); p > limit; p *= Uniform()) ++k;
    return k;
  }
  // The first of `items` with probability `usual`, otherwise one of the others.
  template <typename T>
  const T& PickUsual(const std::vector<T>& items, double usual) {
    if (items.size() == 1 || Bernoulli(usual)) return items[0];
    return items[1 + Below(items.size() - 1)];
  }
  // An index drawn with the given cumulative weights (last = total).
  size_t Choose(std::span<const double> cumulative) {
    const double x = Uniform() * cumulative.back();
    size_t lo = 0, hi = cumulative.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (cumulative[mid] > x) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace populus::synth
