// Checks of option values on the command line, so that every bad value is a
// usage error (exit 1) naming the option and what it accepts, before any
// work starts: never NaN or infinity taken for a number, a negative number
// wrapped into a huge one, a value too large to run, or an empty date taken
// to mean today.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace populus::cli {

// A finite number from `lo` (exclusive when `lo_exclusive`) to `hi`.
CLI::Validator FiniteNumber(double lo, double hi, bool lo_exclusive = false);

// A whole number written in digits alone, from `lo` to `hi`.
CLI::Validator WholeNumber(uint64_t lo, uint64_t hi);

// A real calendar date written YYYY-MM-DD.
CLI::Validator IsoDateText();

// The most worker threads a command accepts; more only slow a run down.
inline constexpr uint64_t kMaxThreads = 256;

// The --scale of the synthetic ICS: a population from kMinScale to kMaxScale
// times the configured one (the default ICS at 0.0001 has 80 registered
// people, at 100 80 million).
inline constexpr double kMinScale = 0.0001;
inline constexpr double kMaxScale = 100;

}  // namespace populus::cli
