// Calendar dates as whole days since 1970-01-01 (proleptic Gregorian).
//
// Every date in populus is a Date: a signed day number, so comparisons and
// differences are integer arithmetic and a date column is a plain int32 array.
// kNoDate marks a missing date (an open registration, a living patient).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace populus {

using Date = int32_t;
inline constexpr Date kNoDate = INT32_MIN;

struct YearMonthDay {
  int year;
  int month;  // 1-12
  int day;    // 1-31
};

// The day number of a calendar date; the date must be valid.
Date DaysFromCivil(int year, int month, int day);
YearMonthDay CivilFromDays(Date days);
bool IsLeapYear(int year);
int DaysInMonth(int year, int month);

enum class DateParse { kOk, kMalformed, kImpossible };

// Parses an ISO 8601 calendar date "YYYY-MM-DD" (exactly that shape).
// kMalformed: not of that shape. kImpossible: the shape is right but there is
// no such day (month 13, 30 February). Years 1800-2199 are accepted.
DateParse ParseIsoDate(std::string_view text, Date* out);

// "YYYY-MM-DD"; "" for kNoDate.
std::string FormatIsoDate(Date date);

// Whole years between birth and on (age in completed years on that date).
int AgeInYears(Date birth, Date on);

// The same day and month `years` later (earlier if negative); 29 February
// becomes 28 February in a year that has none.
Date AddCivilYears(Date date, int years);

// Today's date in UTC.
Date TodayUtc();

}  // namespace populus
