#include "ingest/quarantine.h"

#include <gtest/gtest.h>

#include <set>

namespace populus {
namespace {

TEST(Quarantine, RawRecordsLoseTheirNhsNumbers) {
  EXPECT_EQ(SanitisedRawRecord("9990000018,2019-01-01,\"x"), "**********,2019-01-01,\"x");
  EXPECT_EQ(SanitisedRawRecord("a,943 476 5919,b"), "a,*** *** ****,b");
  // Runs of other lengths (dates, SNOMED codes) are kept.
  EXPECT_EQ(SanitisedRawRecord("2019,73211009,999791000000106"), "2019,73211009,999791000000106");
}

TEST(Quarantine, RawRecordsStayValidUtf8) {
  EXPECT_EQ(SanitisedRawRecord("caf\xC3\xA9,bad\xFF,tab\tok,bell\x07"),
            "caf\xC3\xA9,bad\\xFF,tab\tok,bell\\x07");
}

TEST(Quarantine, MaskedRecordReplacesTheIdentifierAndQuotes) {
  std::vector<std::string_view> fields = {"9990000018", "2019-01-01", "a,b", "say \"hi\""};
  EXPECT_EQ(MaskedRecord(fields, 0, "pseudonym:abc"),
            "pseudonym:abc,2019-01-01,\"a,b\",\"say \"\"hi\"\"\"");
  EXPECT_EQ(MaskIdentifier("9990000019"), "[masked: 10 characters]");
}

TEST(Quarantine, EveryRuleHasADistinctNameAndADescription) {
  std::set<std::string_view> names;
  for (Rule r : AllRules()) {
    EXPECT_TRUE(names.insert(RuleName(r)).second) << RuleName(r);
    EXPECT_FALSE(RuleDescription(r).empty());
  }
  EXPECT_EQ(names.size(), 34u);  // 26 for any extract, 8 more for FHIR
}

}  // namespace
}  // namespace populus
