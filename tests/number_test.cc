// The one number parser (common/number.h): what populus reads as a number.
#include "common/number.h"

#include <gtest/gtest.h>

#include <limits>

namespace populus {
namespace {

TEST(ParseDecimal, ReadsTheDecimalsPopulusFilesHold) {
  double v = 0;
  ASSERT_TRUE(ParseDecimal("140", &v));
  EXPECT_EQ(v, 140);
  ASSERT_TRUE(ParseDecimal("-2.5", &v));
  EXPECT_EQ(v, -2.5);
  ASSERT_TRUE(ParseDecimal("1e-3", &v));
  EXPECT_EQ(v, 0.001);
  ASSERT_TRUE(ParseDecimal("83.56", &v));
  EXPECT_EQ(v, 83.56);
  ASSERT_TRUE(ParseDecimal("0", &v));
  EXPECT_EQ(v, 0);
}

TEST(ParseDecimal, RefusesAnythingElseAndLeavesTheOutputAlone) {
  for (const char* text : {"", " 1", "1 ", "1,5", "1.5x", "0x10", "inf", "-inf", "nan", "NaN",
                           "infinity", "1e400", "-1e400", "+1", "++1", "--1", "1e", "e5", "."}) {
    double v = 7;
    EXPECT_FALSE(ParseDecimal(text, &v)) << "'" << text << "'";
    EXPECT_EQ(v, 7) << "'" << text << "'";
  }
}

TEST(ParseDecimal, ALeadingPlusOnlyWhereAllowed) {
  double v = 0;
  EXPECT_FALSE(ParseDecimal("+5", &v));
  ASSERT_TRUE(ParseDecimal("+5", &v, LeadingPlus::kAllowed));
  EXPECT_EQ(v, 5);
  EXPECT_FALSE(ParseDecimal("+", &v, LeadingPlus::kAllowed));
  EXPECT_FALSE(ParseDecimal("+-5", &v, LeadingPlus::kAllowed));
  EXPECT_FALSE(ParseDecimal("++5", &v, LeadingPlus::kAllowed));
}

TEST(ParseWholeNumber, DigitsOnlyUpToTheLimit) {
  uint64_t v = 0;
  ASSERT_TRUE(ParseWholeNumber("42", 100, &v));
  EXPECT_EQ(v, 42u);
  ASSERT_TRUE(ParseWholeNumber("100", 100, &v));
  EXPECT_EQ(v, 100u);
  EXPECT_FALSE(ParseWholeNumber("101", 100, &v));
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  ASSERT_TRUE(ParseWholeNumber("18446744073709551615", max, &v));
  EXPECT_EQ(v, max);
  for (const char* text :
       {"", "-1", "+1", "1.0", " 1", "1 ", "1e3", "18446744073709551616", "0x1"}) {
    v = 7;
    EXPECT_FALSE(ParseWholeNumber(text, max, &v)) << "'" << text << "'";
    EXPECT_EQ(v, 7u) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace populus
