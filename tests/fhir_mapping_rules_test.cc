// The pure parts of the FHIR mapping, without files: dates and periods, the
// typed element reader, and reference resolution. Each expected answer is
// worked out by hand from the FHIR R4 specification.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <list>
#include <string>

#include "fhir/element_reader.h"
#include "fhir/fhir_dates.h"
#include "fhir/reference_keys.h"

namespace populus::fhir {
namespace {

using simdjson::dom::element;

TEST(FhirDates, TheDayIsTheOneWrittenWhateverTheOffset) {
  std::string_view day;
  EXPECT_EQ(DatePart("2019-03-04", &day), DateText::kOk);
  EXPECT_EQ(day, "2019-03-04");
  // 23:30 at -05:00 is the 5th in UTC, but the record names the 4th.
  EXPECT_EQ(DatePart("2019-03-04T23:30:00-05:00", &day), DateText::kOk);
  EXPECT_EQ(day, "2019-03-04");
  EXPECT_EQ(DatePart("", &day), DateText::kAbsent);
  EXPECT_EQ(DatePart("2019", &day), DateText::kPartial);
  EXPECT_EQ(DatePart("2019-03", &day), DateText::kPartial);
  EXPECT_EQ(DatePart("2019-02-29", &day), DateText::kMalformed);  // not a leap year
  EXPECT_EQ(DatePart("2019-03-04 10:00", &day), DateText::kMalformed);
  EXPECT_EQ(DatePart("04/03/2019", &day), DateText::kMalformed);
}

TEST(FhirDates, MinutesBetweenTimesApplyTheirOffsets) {
  // 09:00 in London summer time (+01:00) is 08:00 UTC: 10 minutes to 08:10Z.
  EXPECT_EQ(MinutesBetween("2024-06-01T09:00:00+01:00", "2024-06-01T08:10:00Z"), 10);
  EXPECT_EQ(MinutesBetween("2024-02-01T09:00:00Z", "2024-02-01T09:15:30Z"), 15);
  // Across midnight.
  EXPECT_EQ(MinutesBetween("2024-02-01T23:50:00Z", "2024-02-02T00:05:00Z"), 15);
  // No time, or the end first: no duration.
  EXPECT_EQ(MinutesBetween("2024-02-01", "2024-02-01T09:15:00Z"), -1);
  EXPECT_EQ(MinutesBetween("2024-02-01T09:15:00Z", "2024-02-01T09:00:00Z"), -1);
}

TEST(FhirDates, APeriodEndingBeforeItStartsIsFoundByInstantOrByDay) {
  EXPECT_TRUE(EndsBeforeStart("2024-02-02", "2024-02-01"));
  EXPECT_FALSE(EndsBeforeStart("2024-02-01", "2024-02-01"));
  EXPECT_TRUE(EndsBeforeStart("2024-02-01T10:00:00Z", "2024-02-01T09:59:00Z"));
  // 10:00+01:00 is 09:00Z: an end at 09:30Z is after it.
  EXPECT_FALSE(EndsBeforeStart("2024-06-01T10:00:00+01:00", "2024-06-01T09:30:00Z"));
  // One side without a time: compared by day.
  EXPECT_FALSE(EndsBeforeStart("2024-02-01T10:00:00Z", "2024-02-01"));
  EXPECT_TRUE(EndsBeforeStart("2024-02-01T10:00:00Z", "2024-01-31"));
  // What cannot be compared is not called out of order.
  EXPECT_FALSE(EndsBeforeStart("", "2024-01-31"));
  EXPECT_FALSE(EndsBeforeStart("2024-02-01", "2024-01"));
}

class ParsedJson : public ::testing::Test {
 protected:
  element Parse(const std::string& text) {
    documents_.emplace_back(text);
    parsers_.emplace_back();
    element e;
    EXPECT_EQ(parsers_.back().parse(documents_.back()).get(e), simdjson::SUCCESS) << text;
    return e;
  }

 private:
  std::list<std::string> documents_;
  std::list<simdjson::dom::parser> parsers_;
};

using FhirElementReader = ParsedJson;

TEST_F(FhirElementReader, AWrongJsonTypeReadsAsAbsentAndTheFirstIsRemembered) {
  const element e = Parse(R"({"gender": 5, "birthDate": "1950-01-02", "deceasedBoolean": "no"})");
  ElementReader json;
  EXPECT_EQ(json.Str(e, "birthDate"), "1950-01-02");
  EXPECT_FALSE(json.wrong_type());
  EXPECT_EQ(json.Str(e, "missing"), "");
  EXPECT_FALSE(json.wrong_type());  // absent is not wrong
  EXPECT_EQ(json.Str(e, "gender"), "");
  ASSERT_TRUE(json.wrong_type());
  EXPECT_EQ(json.wrong_type_key(), "gender");
  EXPECT_EQ(json.wrong_type_reason(), "'gender' is a number where FHIR requires a string");
  bool deceased = true;
  EXPECT_FALSE(json.Boolean(e, "deceasedBoolean", &deceased));
  EXPECT_EQ(json.wrong_type_key(), "gender");  // still the first
  json.Reset();
  EXPECT_FALSE(json.wrong_type());
}

TEST_F(FhirElementReader, NumbersAreNumbersNotTextThatLooksLikeOne) {
  const element e = Parse(R"({"q": {"value": "140"}, "r": {"value": 140.5}, "n": 3})");
  ElementReader json;
  element q;
  ASSERT_TRUE(json.Obj(e, "r", &q));
  double v = 0;
  EXPECT_TRUE(json.Number(q, "value", &v));
  EXPECT_DOUBLE_EQ(v, 140.5);
  ASSERT_TRUE(json.Obj(e, "q", &q));
  EXPECT_FALSE(json.Number(q, "value", &v));
  EXPECT_EQ(json.wrong_type_reason(), "'value' is a string where FHIR requires a number");
  json.Reset();
  int64_t n = 0;
  EXPECT_TRUE(json.Integer(e, "n", &n));
  EXPECT_EQ(n, 3);
}

TEST_F(FhirElementReader, FirstTakesAnObjectOrTheFirstOfAnArrayOfObjects) {
  const element e = Parse(R"({"a": {"x": 1}, "b": [{"x": 2}, {"x": 3}], "c": ["text"]})");
  ElementReader json;
  element out;
  int64_t x = 0;
  ASSERT_TRUE(json.First(e, "a", &out));
  ASSERT_TRUE(json.Integer(out, "x", &x));
  EXPECT_EQ(x, 1);
  ASSERT_TRUE(json.First(e, "b", &out));
  ASSERT_TRUE(json.Integer(out, "x", &x));
  EXPECT_EQ(x, 2);
  EXPECT_FALSE(json.First(e, "c", &out));
  EXPECT_EQ(json.wrong_type_reason(), "'c' is a string where FHIR requires an array of objects");
}

using FhirReferenceKeys = ParsedJson;

TEST_F(FhirReferenceKeys, EveryFormOfReferenceReachesTheResourceItNames) {
  ElementReader json;
  ReferenceKeys patients("Patient");
  const element first = Parse(
      R"({"identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "943 476 5919"},
                         {"system": "https://example.org/mrn", "value": "M-1"}]})");
  patients.Add(json, first, "p1", "urn:uuid:aaaa", 0);
  patients.Add(json, Parse("{}"), "p2", "", 1);

  auto resolve = [&](const std::string& reference) {
    return patients.Resolve(json, Parse(reference));
  };
  EXPECT_EQ(resolve(R"({"reference": "urn:uuid:aaaa"})"), 0u);                           // fullUrl
  EXPECT_EQ(resolve(R"({"reference": "Patient/p2"})"), 1u);                              // relative
  EXPECT_EQ(resolve(R"({"reference": "https://server.example/fhir/Patient/p1"})"), 0u);  // absolute
  EXPECT_EQ(resolve(R"({"reference": "Patient/p2/_history/3"})"), 1u);  // versioned
  // Conditional and logical references, an NHS number compared without spaces.
  EXPECT_EQ(resolve(R"({"reference":
                         "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"})"),
            0u);
  EXPECT_EQ(resolve(R"({"identifier": {"system": "https://example.org/mrn", "value": "M-1"}})"),
            0u);
  EXPECT_EQ(resolve(R"({"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number",
                                        "value": "943 476 5919"}})"),
            0u);
  // Nothing is guessed.
  EXPECT_EQ(resolve(R"({"reference": "Patient/p3"})"), kNoResource);
  EXPECT_EQ(resolve(R"({"reference": "Organization/p1"})"), kNoResource);  // another type
  EXPECT_EQ(resolve(R"({"reference": "p1"})"), kNoResource);
  EXPECT_EQ(resolve(R"({"identifier": {"system": "https://example.org/other", "value": "M-1"}})"),
            kNoResource);
  EXPECT_EQ(resolve(R"({"display": "Mrs Smith"})"), kNoResource);
}

TEST_F(FhirReferenceKeys, ARepeatsOwnFullUrlResolvesToTheFirst) {
  ElementReader json;
  ReferenceKeys organisations("Organization");
  organisations.Add(json, Parse("{}"), "ORG1", "urn:uuid:first", 4);
  organisations.AddFullUrlOf("ORG1", "urn:uuid:repeat");
  organisations.AddFullUrlOf("NOPE", "urn:uuid:nothing");
  EXPECT_EQ(organisations.Resolve(json, Parse(R"({"reference": "urn:uuid:repeat"})")), 4u);
  EXPECT_EQ(organisations.Resolve(json, Parse(R"({"reference": "urn:uuid:nothing"})")),
            kNoResource);
}

TEST_F(FhirReferenceKeys, AReferenceInAMessageNeverShowsAnNhsNumber) {
  ElementReader json;
  const std::string shown =
      ReferenceText(json, Parse(R"({"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number",
                                     "value": "9434765919"}})"));
  EXPECT_EQ(shown.find("9434765919"), std::string::npos) << shown;
  EXPECT_NE(shown.find("https://fhir.nhs.uk/Id/nhs-number"), std::string::npos) << shown;
  EXPECT_EQ(ReferenceText(json, Parse(R"({"display": "x"})")), "(empty)");
}

TEST_F(FhirReferenceKeys, AStoredReferenceIsParsedAndResolved) {
  ElementReader json;
  ReferenceKeys organisations("Organization");
  organisations.AddIdentifier("https://fhir.nhs.uk/Id/ods-organization-code", "A81001", 2);
  simdjson::dom::parser parser;
  std::string text;
  EXPECT_EQ(organisations.ResolveText(
                &parser, json,
                R"({"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code",
                                   "value": "A81001"}})",
                &text),
            2u);
  EXPECT_EQ(text, "identifier https://fhir.nhs.uk/Id/ods-organization-code|A81001");
  EXPECT_EQ(organisations.ResolveText(&parser, json, "", &text), kNoResource);
  EXPECT_EQ(organisations.ResolveText(&parser, json, "{not json", &text), kNoResource);
}

}  // namespace
}  // namespace populus::fhir
