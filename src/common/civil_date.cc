#include "common/civil_date.h"

#include <fmt/format.h>

#include <ctime>

namespace populus {

// Day arithmetic on 400-year eras starting 0000-03-01, so leap days fall at the
// end of each shifted year.
Date DaysFromCivil(int year, int month, int day) {
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int year_of_era = y - era * 400;
  const int shifted_month = month > 2 ? month - 3 : month + 9;
  const int day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

YearMonthDay CivilFromDays(Date days) {
  const int z = days + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int day_of_era = z - era * 146097;
  const int year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int shifted_month = (5 * day_of_year + 2) / 153;
  const int day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const int month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const int year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

DateParse ParseIsoDate(std::string_view text, Date* out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return DateParse::kMalformed;
  int digits[8];
  static constexpr int kDigitPos[8] = {0, 1, 2, 3, 5, 6, 8, 9};
  for (int i = 0; i < 8; ++i) {
    const char c = text[kDigitPos[i]];
    if (c < '0' || c > '9') return DateParse::kMalformed;
    digits[i] = c - '0';
  }
  const int year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  const int month = digits[4] * 10 + digits[5];
  const int day = digits[6] * 10 + digits[7];
  if (year < 1800 || year > 2199 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return DateParse::kImpossible;
  }
  *out = DaysFromCivil(year, month, day);
  return DateParse::kOk;
}

std::string FormatIsoDate(Date date) {
  if (date == kNoDate) return {};
  const YearMonthDay ymd = CivilFromDays(date);
  return fmt::format("{:04d}-{:02d}-{:02d}", ymd.year, ymd.month, ymd.day);
}

Date AddCivilYears(Date date, int years) {
  const YearMonthDay d = CivilFromDays(date);
  const int year = d.year + years;
  return DaysFromCivil(year, d.month, std::min(d.day, DaysInMonth(year, d.month)));
}

int AgeInYears(Date birth, Date on) {
  const YearMonthDay b = CivilFromDays(birth);
  const YearMonthDay o = CivilFromDays(on);
  int age = o.year - b.year;
  if (o.month < b.month || (o.month == b.month && o.day < b.day)) --age;
  return age;
}

Date TodayUtc() {
  const std::time_t now = std::time(nullptr);
  return static_cast<Date>(now / 86400);
}

}  // namespace populus
