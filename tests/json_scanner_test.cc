// The JSON scanner that walks a Bundle without parsing it: against
// nlohmann::json on random documents (every value's extent, every member's
// name and value), and on text that is out of place in each way it checks.
#include "fhir/json_scanner.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace populus::fhir {
namespace {

// A random JSON value with strings full of quotes, backslashes, brackets
// and non-ASCII text, nested up to `depth`.
nlohmann::json RandomValue(std::mt19937_64& rng, int depth) {
  const int kind = static_cast<int>(rng() % (depth > 0 ? 7 : 5));
  switch (kind) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<double>(static_cast<int64_t>(rng() % 200001) - 100000) / 8.0;
    case 3:
    case 4: {
      static const std::vector<std::string> kPieces = {
          "a", "\"", "\\", "{", "}", "[", "]", ",", ":", "\\\"", "é", "\n", "resourceType", " "};
      std::string s;
      const size_t n = rng() % 8;
      for (size_t i = 0; i < n; ++i) s += kPieces[rng() % kPieces.size()];
      return s;
    }
    case 5: {
      nlohmann::json a = nlohmann::json::array();
      const size_t n = rng() % 5;
      for (size_t i = 0; i < n; ++i) a.push_back(RandomValue(rng, depth - 1));
      return a;
    }
    default: {
      nlohmann::json o = nlohmann::json::object();
      const size_t n = rng() % 5;
      for (size_t i = 0; i < n; ++i) {
        o[RandomValue(rng, 0).dump() + std::to_string(i)] = RandomValue(rng, depth - 1);
      }
      return o;
    }
  }
}

TEST(JsonScanner, FindsTheEndOfEveryValueNlohmannWrites) {
  std::mt19937_64 rng(20261204);
  for (int round = 0; round < 400; ++round) {
    const nlohmann::json value = RandomValue(rng, 5);
    // Compact and spaced out: the extent is the same text either way.
    for (const int indent : {-1, 2}) {
      const std::string text = value.dump(indent);
      JsonScanner scan(text);
      size_t end = 0;
      ASSERT_TRUE(scan.ValueEnd(0, &end)) << scan.error() << " in " << text;
      EXPECT_EQ(end, text.size()) << text;
      // Cut short anywhere inside an object or array, it does not balance.
      if (value.is_structured()) {
        for (size_t cut = 1; cut < text.size(); cut += 1 + text.size() / 40) {
          JsonScanner torn(std::string_view(text).substr(0, cut));
          size_t torn_end = 0;
          EXPECT_FALSE(torn.ValueEnd(0, &torn_end)) << text.substr(0, cut);
        }
      }
    }
  }
}

TEST(JsonScanner, WalksAnObjectsMembersAndAnArraysElementsAsNlohmannReadsThem) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    nlohmann::json object = RandomValue(rng, 4);
    if (!object.is_object()) continue;
    const std::string text = object.dump(round % 2 == 0 ? -1 : 1);
    JsonScanner scan(text);
    nlohmann::json rebuilt = nlohmann::json::object();
    size_t end = 0;
    ASSERT_TRUE(scan.Members(
        0,
        [&](std::string_view raw, size_t begin, size_t value_end) {
          std::string name;
          ASSERT_TRUE(DecodeJsonString(raw, &name)) << raw;
          rebuilt[name] = nlohmann::json::parse(text.substr(begin, value_end - begin));
        },
        &end))
        << scan.error();
    EXPECT_EQ(end, text.size());
    EXPECT_EQ(rebuilt, object) << text;

    const nlohmann::json array = nlohmann::json::array({object, RandomValue(rng, 3), 1});
    const std::string array_text = " " + array.dump(1);
    JsonScanner walk(array_text);
    nlohmann::json elements = nlohmann::json::array();
    ASSERT_TRUE(walk.Elements(
        1,
        [&](size_t begin, size_t value_end) {
          elements.push_back(nlohmann::json::parse(array_text.substr(begin, value_end - begin)));
        },
        &end))
        << walk.error();
    EXPECT_EQ(end, array_text.size());
    EXPECT_EQ(elements, array);
  }
}

struct Failure {
  std::string text;
  std::string reason;  // a part of the error
  size_t at;
};

TEST(JsonScanner, SaysWhatIsOutOfPlaceAndWhere) {
  const std::vector<Failure> members = {
      {R"({"a":1 "b":2})", "'\"' where ',' or '}' should be", 7},
      {R"({"a" 1})", "no ':' after a member name", 5},
      {R"({"a":[1,2}})", "'}' closes a '['", 9},
      {R"({"a":"x)", "ends inside a string", 5},
      {R"({"a":1,})", "'}' where a member name should be", 7},
      {R"({"a":1)", "ends inside the object", 0},
      {R"({a:1})", "'a' where a member name should be", 1},
      {R"({"a":})", "'}' where a value should be", 5},
      {"{\"a\":\"\\\\\"x}", "'x' where ',' or '}' should be", 9},  // "\\" ends the string
      {"[1]", "not a JSON object", 0},
  };
  for (const Failure& f : members) {
    JsonScanner scan(f.text);
    size_t end = 0;
    EXPECT_FALSE(scan.Members(
        0, [](std::string_view, size_t, size_t) {}, &end))
        << f.text;
    EXPECT_NE(scan.error().find(f.reason), std::string::npos) << f.text << ": " << scan.error();
    EXPECT_EQ(scan.error_at(), f.at) << f.text << ": " << scan.error();
  }
  const std::vector<Failure> elements = {
      {"[1 2]", "'2' where ',' or ']' should be", 3},
      {"[1,", "the text ends where a value should be", 3},
      {"[{]", "']' closes a '{'", 2},
      {"[1,2", "ends inside the array", 0},
  };
  for (const Failure& f : elements) {
    JsonScanner scan(f.text);
    size_t end = 0;
    EXPECT_FALSE(scan.Elements(
        0, [](size_t, size_t) {}, &end))
        << f.text;
    EXPECT_NE(scan.error().find(f.reason), std::string::npos) << f.text << ": " << scan.error();
    EXPECT_EQ(scan.error_at(), f.at) << f.text << ": " << scan.error();
  }
  // Nesting past the limit is refused, as simdjson refuses it.
  const std::string deep =
      std::string(JsonScanner::kMaxDepth + 1, '[') + std::string(JsonScanner::kMaxDepth + 1, ']');
  JsonScanner scan(deep);
  size_t end = 0;
  EXPECT_FALSE(scan.ValueEnd(0, &end));
  EXPECT_NE(scan.error().find("nested more than 1024 deep"), std::string::npos);
  const std::string limit =
      std::string(JsonScanner::kMaxDepth, '[') + std::string(JsonScanner::kMaxDepth, ']');
  JsonScanner fits(limit);
  EXPECT_TRUE(fits.ValueEnd(0, &end)) << fits.error();
}

TEST(JsonScanner, TellsHowFarItHasGoneForAReaderThatGivesBackMemory) {
  // An array of strings some 200 MB long, never built as a document.
  std::string text = "[";
  const std::string item = "\"" + std::string(1 << 20, 'x') + "\",";
  for (int i = 0; i < 200; ++i) text += item;
  text += "1]";
  std::vector<size_t> passed;
  JsonScanner scan(text, [&](size_t at) { passed.push_back(at); });
  size_t end = 0;
  size_t elements = 0;
  ASSERT_TRUE(scan.Elements(
      0, [&](size_t, size_t) { ++elements; }, &end));
  EXPECT_EQ(elements, 201u);
  EXPECT_EQ(end, text.size());
  ASSERT_GE(passed.size(), 2u);  // every 64 MB or so
  for (size_t i = 1; i < passed.size(); ++i) EXPECT_GE(passed[i] - passed[i - 1], size_t{64} << 20);
}

TEST(JsonScanner, DecodesAMemberNameAsJsonDoes) {
  std::string out;
  ASSERT_TRUE(DecodeJsonString("\\u0065ntry", &out));
  EXPECT_EQ(out, "entry");
  ASSERT_TRUE(DecodeJsonString("a\\\"b\\\\", &out));
  EXPECT_EQ(out, "a\"b\\");
  ASSERT_TRUE(DecodeJsonString("caf\xC3\xA9", &out));
  EXPECT_EQ(out, "caf\xC3\xA9");
  EXPECT_FALSE(DecodeJsonString("tab\there", &out));  // a raw control character
  EXPECT_FALSE(DecodeJsonString("\\x41", &out));      // not a JSON escape
  EXPECT_FALSE(DecodeJsonString("\xC3", &out));       // not UTF-8
}

}  // namespace
}  // namespace populus::fhir
