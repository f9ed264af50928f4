// The rules for one field of an extract row (ingest/field_rules.h), without
// files.
#include "ingest/field_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace populus::field_rules {
namespace {

TEST(FieldRules, Postcodes) {
  for (const char* ok : {"BH1 1AA", "BH12 3PQ", "W1A 0AX", "M1 1AE", "CR2 6XH", "DN55 1PT"}) {
    EXPECT_TRUE(IsPostcode(ok)) << ok;
  }
  for (const char* bad : {"", "BH11AA", "bh1 1aa", "BH1  1AA", "BH1 1A", "1BH 1AA", "BH123 1AA",
                          "BH1 AAA", "BH1-1AA"}) {
    EXPECT_FALSE(IsPostcode(bad)) << bad;
  }
}

TEST(FieldRules, LowerLayerSuperOutputAreas) {
  EXPECT_TRUE(IsLsoa("E01000001"));
  EXPECT_TRUE(IsLsoa("W01001958"));
  for (const char* bad : {"", "E0100000", "E010000011", "E02000001", "S01000001", "E01O00001"}) {
    EXPECT_FALSE(IsLsoa(bad)) << bad;
  }
}

TEST(FieldRules, PatientIdentifiers) {
  EXPECT_TRUE(IsPatientId("P-0001_a.b:c"));
  EXPECT_TRUE(IsPatientId(std::string(128, 'x')));
  EXPECT_FALSE(IsPatientId(std::string(129, 'x')));
  for (const char* bad : {"", "a b", "a/b", "a,b", "é"}) EXPECT_FALSE(IsPatientId(bad)) << bad;
}

TEST(FieldRules, Values) {
  float v = 0;
  ASSERT_TRUE(ParseNumber("140", &v));
  EXPECT_EQ(v, 140.0f);
  ASSERT_TRUE(ParseNumber("+5.5", &v));  // some systems write the sign
  EXPECT_EQ(v, 5.5f);
  for (const char* bad : {"", "1e39", "-1e39", "nan", "inf", " 1", "1,5", "++1"}) {
    EXPECT_FALSE(ParseNumber(bad, &v)) << bad;
  }
  int64_t w = 0;
  ASSERT_TRUE(ParseWhole("10", 1, 10, &w));
  EXPECT_EQ(w, 10);
  ASSERT_TRUE(ParseWhole("0", 0, 1, &w));
  EXPECT_EQ(w, 0);
  for (const char* bad : {"", "11", "-1", "+1", "1.0", "0x1"}) {
    EXPECT_FALSE(ParseWhole(bad, 1, 10, &w)) << bad;
  }
  EXPECT_FALSE(ParseWhole("0", 1, 10, &w));
}

}  // namespace
}  // namespace populus::field_rules
