#include "common/civil_date.h"

#include <gtest/gtest.h>

namespace populus {
namespace {

TEST(CivilDate, EpochAndKnownDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2019, 6, 30), 18077);
}

TEST(CivilDate, RoundTripsEveryDayFrom1800To2199) {
  for (Date d = DaysFromCivil(1800, 1, 1); d <= DaysFromCivil(2199, 12, 31); ++d) {
    const YearMonthDay ymd = CivilFromDays(d);
    ASSERT_EQ(DaysFromCivil(ymd.year, ymd.month, ymd.day), d);
    Date parsed;
    ASSERT_EQ(ParseIsoDate(FormatIsoDate(d), &parsed), DateParse::kOk);
    ASSERT_EQ(parsed, d);
  }
}

TEST(CivilDate, RejectsImpossibleDays) {
  Date d;
  EXPECT_EQ(ParseIsoDate("2019-13-01", &d), DateParse::kImpossible);
  EXPECT_EQ(ParseIsoDate("2019-02-29", &d), DateParse::kImpossible);
  EXPECT_EQ(ParseIsoDate("1900-02-29", &d), DateParse::kImpossible);
  EXPECT_EQ(ParseIsoDate("2000-02-29", &d), DateParse::kOk);
  EXPECT_EQ(ParseIsoDate("2019-04-31", &d), DateParse::kImpossible);
  EXPECT_EQ(ParseIsoDate("2019-00-10", &d), DateParse::kImpossible);
  EXPECT_EQ(ParseIsoDate("1799-12-31", &d), DateParse::kImpossible);
}

TEST(CivilDate, RejectsOtherShapes) {
  Date d;
  for (const char* text : {"", "2019-1-01", "01/02/2019", "2019-01-01T00:00", "2019/01/01",
                           "20190101", "2019-0a-01", " 2019-01-01"}) {
    EXPECT_EQ(ParseIsoDate(text, &d), DateParse::kMalformed) << text;
  }
}

TEST(CivilDate, AgeInCompletedYears) {
  const Date birth = DaysFromCivil(1940, 5, 1);
  EXPECT_EQ(AgeInYears(birth, DaysFromCivil(2019, 4, 30)), 78);
  EXPECT_EQ(AgeInYears(birth, DaysFromCivil(2019, 5, 1)), 79);
  const Date leapling = DaysFromCivil(2000, 2, 29);
  EXPECT_EQ(AgeInYears(leapling, DaysFromCivil(2001, 2, 28)), 0);
  EXPECT_EQ(AgeInYears(leapling, DaysFromCivil(2001, 3, 1)), 1);
}

}  // namespace
}  // namespace populus
