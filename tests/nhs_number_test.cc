#include "ingest/nhs_number.h"

#include <gtest/gtest.h>

#include "ingest/snomed_id.h"

namespace populus {
namespace {

TEST(NhsNumber, AcceptsValidNumbersInBothLayouts) {
  uint64_t n = 0;
  // 943 476 5919 is the NHS Data Dictionary's worked example.
  EXPECT_EQ(ParseNhsNumber("9434765919", &n), NhsNumberCheck::kValid);
  EXPECT_EQ(n, 9434765919u);
  EXPECT_EQ(ParseNhsNumber("943 476 5919", &n), NhsNumberCheck::kValid);
  EXPECT_EQ(n, 9434765919u);
  EXPECT_EQ(ParseNhsNumber("9990000018", &n), NhsNumberCheck::kValid);
}

TEST(NhsNumber, RejectsWrongCheckDigit) {
  uint64_t n = 0;
  EXPECT_EQ(ParseNhsNumber("9434765918", &n), NhsNumberCheck::kBadCheckDigit);
  EXPECT_EQ(ParseNhsNumber("9990000019", &n), NhsNumberCheck::kBadCheckDigit);
  // 999000014x: the remainder gives check 10, so no tenth digit makes it valid.
  for (char c = '0'; c <= '9'; ++c) {
    EXPECT_EQ(ParseNhsNumber(std::string("999000014") + c, &n), NhsNumberCheck::kBadCheckDigit);
  }
  EXPECT_EQ(NhsCheckDigit(999000014), -1);
}

TEST(NhsNumber, RejectsOtherShapes) {
  uint64_t n = 0;
  for (const char* text : {"", "943476591", "94347659190", "943-476-5919", "943 4765919",
                           "94347659a9", " 9434765919"}) {
    EXPECT_EQ(ParseNhsNumber(text, &n), NhsNumberCheck::kMalformed) << text;
  }
}

TEST(SnomedId, ConceptIdentifiers) {
  EXPECT_TRUE(IsSnomedConceptId("73211009"));              // diabetes mellitus
  EXPECT_TRUE(IsSnomedConceptId("999791000000106"));       // UK extension concept
  EXPECT_TRUE(IsSnomedConceptId("100005"));                // shortest shape: six digits
  EXPECT_FALSE(IsSnomedConceptId("12345"));                // too short
  EXPECT_FALSE(IsSnomedConceptId("0123456"));              // leading zero
  EXPECT_FALSE(IsSnomedConceptId("1234567890123456789"));  // too long
  EXPECT_FALSE(IsSnomedConceptId("73211019"));             // partition 01: a description id
  EXPECT_FALSE(IsSnomedConceptId("73211029"));             // partition 02: a relationship id
  EXPECT_FALSE(IsSnomedConceptId("7321100X"));
}

}  // namespace
}  // namespace populus
