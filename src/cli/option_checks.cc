#include "cli/option_checks.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "common/civil_date.h"
#include "common/number.h"

namespace populus::cli {

CLI::Validator FiniteNumber(double lo, double hi, bool lo_exclusive) {
  const std::string range =
      fmt::format("a finite number {} {} and at most {}", lo_exclusive ? "above" : "from", lo, hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        if (!ParseDecimal(text, &v) || (lo_exclusive ? v <= lo : v < lo) || v > hi) {
          return fmt::format("'{}' is not {}", text, range);
        }
        return std::string();
      },
      "NUMBER");
}

CLI::Validator WholeNumber(uint64_t lo, uint64_t hi) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        uint64_t v = 0;
        if (!ParseWholeNumber(text, hi, &v) || v < lo) {
          return fmt::format("'{}' is not a whole number from {} to {}", text, lo, hi);
        }
        return std::string();
      },
      "INTEGER");
}

CLI::Validator IsoDateText() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Date d = kNoDate;
        switch (ParseIsoDate(text, &d)) {
          case DateParse::kOk:
            return std::string();
          case DateParse::kImpossible:
            return fmt::format("'{}' is not a real date from 1800-01-01 to 2199-12-31", text);
          case DateParse::kMalformed:
            break;
        }
        return fmt::format("'{}' is not a date of the form YYYY-MM-DD", text);
      },
      "YYYY-MM-DD");
}

}  // namespace populus::cli
