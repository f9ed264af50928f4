#include "common/nhs_number.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/snomed_id.h"
#include "test_support.h"

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

TEST(SnomedId, VerhoeffPublishedExamples) {
  // The worked examples usually given for Verhoeff's scheme.
  EXPECT_TRUE(HasValidVerhoeffCheckDigit("2363"));
  EXPECT_FALSE(HasValidVerhoeffCheckDigit("2364"));
  EXPECT_TRUE(HasValidVerhoeffCheckDigit("1428570"));
}

TEST(SnomedId, EveryCodeInThePublishedReferenceCodelistsIsAConcept) {
  // ../shared/reference/codelists: NHS Digital refsets and OpenSAFELY/PRIMIS lists.
  const std::string dir = testing::SharedDir() + "/reference/codelists";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no reference data at " << dir;
  size_t codes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      const std::string code = line.substr(0, line.find(','));
      ASSERT_TRUE(IsSnomedConceptId(code)) << entry.path().filename() << ": " << code;
      ++codes;
    }
  }
  EXPECT_GT(codes, 10000u);
}

}  // namespace
}  // namespace populus
