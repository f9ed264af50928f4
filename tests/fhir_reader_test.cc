// Reading FHIR R4 resources: real Synthea Bundles (../shared/reference/
// fhir-synthea/) against an independent count of their entries, and
// hand-made NDJSON and Bundles with every kind of bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "fhir/resource_reader.h"
#include "test_support.h"

namespace populus::fhir {
namespace {
namespace fs = std::filesystem;
using populus::testing::TempDir;
using populus::testing::WriteFile;

struct Read {
  std::vector<std::string> types, jsons, urls, where;
  std::vector<std::string> problems;  // "location: reason"
  std::vector<std::string> named;     // the resourceType each problem's text names
  std::vector<ReadProblem::Kind> kinds;
  ReadSummary summary;
  Status status;
};

Read ReadAll(const std::string& path) {
  Read r;
  r.status = ReadResources(
      path,
      [&](const Resource& res) {
        r.types.emplace_back(res.type);
        r.jsons.emplace_back(res.json);
        r.urls.emplace_back(res.full_url);
        r.where.push_back(res.where->Describe());
      },
      [&](const Location& where, const ReadProblem& problem) {
        r.problems.push_back(where.Describe() + ": " + problem.reason);
        r.named.emplace_back(problem.named_type);
        r.kinds.push_back(problem.kind);
      },
      &r.summary);
  return r;
}

TEST(FhirReader, SyntheaBundlesAgreeWithAnIndependentCount) {
  const std::string dir = populus::testing::SharedDir() + "/reference/fhir-synthea";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  // Independently: every Bundle parsed whole with nlohmann::json.
  std::map<std::string, uint64_t> expected;
  uint64_t entries = 0, files = 0;
  std::vector<std::string> expected_urls;
  std::vector<std::string> names;
  for (const auto& f : fs::directory_iterator(dir)) names.push_back(f.path().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (!name.ends_with(".json")) continue;
    ++files;
    const auto bundle = nlohmann::json::parse(populus::testing::ReadFile(name));
    ASSERT_EQ(bundle["resourceType"], "Bundle");
    for (const auto& e : bundle["entry"]) {
      ++expected[e["resource"]["resourceType"].get<std::string>()];
      expected_urls.push_back(e.value("fullUrl", std::string()));
      ++entries;
    }
  }
  ASSERT_EQ(files, 5u);
  const Read r = ReadAll(dir);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.summary.files, 5u);
  EXPECT_EQ(r.summary.resources, entries);
  EXPECT_EQ(r.summary.by_type, expected);
  EXPECT_EQ(r.urls, expected_urls);
  // Each resource handed over is the entry's own JSON, whole.
  std::map<std::string, uint64_t> reparsed;
  for (size_t i = 0; i < r.jsons.size(); ++i) {
    const auto resource = nlohmann::json::parse(r.jsons[i]);
    EXPECT_EQ(resource["resourceType"], r.types[i]);
    ++reparsed[r.types[i]];
  }
  EXPECT_EQ(reparsed, expected);
  EXPECT_GT(expected["Patient"], 0u);
  EXPECT_GT(expected["Observation"], 0u);
}

TEST(FhirReader, NdjsonLineByLineWithBadLinesReported) {
  TempDir dir;
  WriteFile(dir / "Patient.000.ndjson",
            "{\"resourceType\":\"Patient\",\"id\":\"a\",\"birthDate\":\"1950-02-01\"}\n"
            "\n"                                                 // blank: skipped
            "{\"resourceType\":\"Patient\",\"id\":\"b\"\n"       // 3: malformed
            "{\"id\":\"c\"}\n"                                   // 4: no resourceType
            "[1,2]\n"                                            // 5: not an object
            "{\"resourceType\":\"Patient\",\"id\":\"d\"}\r\n");  // 6: CRLF is fine
  WriteFile(dir / "Condition.000.ndjson",
            "{\"resourceType\":\"Condition\",\"id\":\"x\",\"subject\":{\"reference\":"
            "\"Patient/a\"}}");  // no final newline
  WriteFile(dir / "notes.txt", "not read");
  const Read r = ReadAll(dir.path());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  // Files in name order: Condition before Patient.
  EXPECT_EQ(r.types, (std::vector<std::string>{"Condition", "Patient", "Patient"}));
  EXPECT_EQ(r.where,
            (std::vector<std::string>{"Condition.000.ndjson line 1", "Patient.000.ndjson line 1",
                                      "Patient.000.ndjson line 6"}));
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_NE(r.problems[0].find("Patient.000.ndjson line 3: malformed JSON"), std::string::npos)
      << r.problems[0];
  EXPECT_EQ(r.problems[1], "Patient.000.ndjson line 4: no resourceType");
  EXPECT_EQ(r.problems[2], "Patient.000.ndjson line 5: not a JSON object");
  EXPECT_EQ(r.summary.files, 2u);
  EXPECT_EQ(r.summary.problems, 3u);
  EXPECT_EQ(nlohmann::json::parse(r.jsons[2])["id"], "d");
}

TEST(FhirReader, BundlesEntryByEntry) {
  TempDir dir;
  WriteFile(dir / "b.json", R"({"resourceType":"Bundle","type":"collection","entry":[
      {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"1"}},
      {"resource":{"resourceType":"Observation","id":"2"},"fullUrl":"urn:uuid:2"},
      {"fullUrl":"urn:uuid:3"},
      {"resource":{"id":"4"}}]})");
  WriteFile(dir / "c.json", R"({"resourceType":"Bundle","type":"history","entry":[]})");
  WriteFile(dir / "d.json", R"({"resourceType":"Patient","id":"single"})");
  WriteFile(dir / "e.json", R"({"resourceType":"Bundle","type":"searchset"})");
  WriteFile(dir / "f.json", R"({"resourceType": "Bundle", "type": "transaction", "entry": [)");
  const Read r = ReadAll(dir.path());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.types, (std::vector<std::string>{"Patient", "Observation", "Patient"}));
  EXPECT_EQ(r.urls, (std::vector<std::string>{"urn:uuid:1", "urn:uuid:2", ""}));
  EXPECT_EQ(r.where, (std::vector<std::string>{"b.json entry 0", "b.json entry 1", "d.json"}));
  ASSERT_EQ(r.problems.size(), 4u) << r.problems.back();
  EXPECT_EQ(r.problems[0], "b.json entry 2: the entry has no resource");
  EXPECT_EQ(r.problems[1], "b.json entry 3: no resourceType");
  EXPECT_NE(r.problems[2].find("c.json: Bundle type 'history' is not read"), std::string::npos);
  EXPECT_NE(r.problems[3].find("f.json"), std::string::npos) << r.problems[3];
}

TEST(FhirReader, AProblemNamesThePatientItsTextOrFileNameShows) {
  TempDir dir;
  WriteFile(dir / "Patient.000.ndjson",
            "{\"resourceType\":\"Patient\",\"id\":\"a\",\"birthDate\":\"19\n"  // 1: cut short
            "{\"id\":\"b\",\"gender\":\"male\"\n");  // 2: names no type: the file's
  WriteFile(dir / "Condition.000.ndjson",
            "{\"resourceType\":\"Condition\",\"id\":\"c\",\"subject\":{\n"  // 1: a Condition
            "{\"resourceType\" : \"Patient\", \"id\":\"d\"\n"  // 2: its text says Patient
            // 3: a Condition whose contained Patient is cut short: a Patient, to be safe
            "{\"resourceType\":\"Condition\",\"contained\":[{\"resourceType\":\"Patient\"\n"
            "{\"resourceType\":\"Organization\",\"id\":\"o\"\n"  // 4: an Organization
            "[1]\n");                                     // 5: names nothing: the file's type
  WriteFile(dir / "export-1.ndjson", "{\"id\":\"e\"\n");  // a file named for no type
  WriteFile(dir / "history.json", R"({"resourceType":"Bundle","type":"history","entry":[
      {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"1"}},
      {"fullUrl":"urn:uuid:2","resource":{"resourceType":"Condition","id":"2"}},
      {"request":{"method":"DELETE","url":"Patient/3"}}]})");
  // A Bundle cut short, with a Patient in what is lost.
  WriteFile(dir / "torn.json", R"({"resourceType":"Bundle","type":"collection","entry":[
      {"resource":{"resourceType":"Condition","id":"4"}},
      {"resource":{"resourceType":"Patient","id":"5",)");
  const Read r = ReadAll(dir.path());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.problems.size(), 12u);
  const std::vector<std::string> expected = {"Condition", "Patient",   "Patient", "Organization",
                                             "Condition",                   // Condition.000.ndjson
                                             "Patient",   "Patient",        // Patient.000.ndjson
                                             "",                            // export-1.ndjson
                                             "Patient",   "Condition", "",  // history.json
                                             "Patient"};                    // torn.json
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.named[i], expected[i]) << r.problems[i];
  }
  EXPECT_EQ(r.problems[8].find("history.json entry 0: Bundle type 'history' is not read"), 0u)
      << r.problems[8];
  for (size_t i = 8; i <= 10; ++i) EXPECT_EQ(r.kinds[i], ReadProblem::Kind::kBundleTypeNotRead);
  EXPECT_EQ(r.kinds[0], ReadProblem::Kind::kMalformed);
  // Nothing of the history Bundle is read, nor of the torn one (the whole
  // file is checked before its first entry is read): it is one problem, a
  // Patient's.
  EXPECT_TRUE(r.types.empty());
  EXPECT_EQ(r.problems[11].find("torn.json: malformed JSON"), 0u) << r.problems[11];
  EXPECT_EQ(ResourceTypeOfFileName("Patient.000.ndjson"), "Patient");
  EXPECT_EQ(ResourceTypeOfFileName("MedicationRequest-2.ndjson"), "MedicationRequest");
  EXPECT_EQ(ResourceTypeOfFileName("Patients.ndjson"), "");
}

TEST(FhirReader, AnEntryThatIsNotAResourceIsOneProblemAndTheRestIsRead) {
  TempDir dir;
  // The file's structure holds, so the entries after a bad one are still
  // told apart and read.
  WriteFile(dir / "b.json", R"({"resourceType":"Bundle","type":"collection","entry":[
      {"resource":{"resourceType":"Patient","id":"1"}},
      5,
      {"resource":{"resourceType":"Patient","id":"2"}},
      {"fullUrl":"urn:uuid:3" "resource":{"resourceType":"Patient","id":"3"}},
      {"resource":{"resourceType":"Condition","id":"4"},"fullUrl":"urn:uuid:4"},
      {"resource":{"resourceType":"Condition","id":"5"},
       "resource":{"resourceType":"Patient","id":"6"}}]})");
  const Read r = ReadAll(dir.path());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.types, (std::vector<std::string>{"Patient", "Patient", "Condition"}));
  EXPECT_EQ(r.where,
            (std::vector<std::string>{"b.json entry 0", "b.json entry 2", "b.json entry 4"}));
  EXPECT_EQ(r.urls.back(), "urn:uuid:4");
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_EQ(r.problems[0], "b.json entry 1: malformed Bundle entry");
  EXPECT_EQ(r.named[0], "");  // it names nothing
  EXPECT_EQ(r.problems[1], "b.json entry 3: malformed Bundle entry");
  EXPECT_EQ(r.named[1], "Patient");  // a Patient is lost: the load will be refused
  // Two resources in one entry: neither is read, and the Patient counts.
  EXPECT_EQ(r.problems[2], "b.json entry 5: malformed Bundle entry: it has 2 'resource' members");
  EXPECT_EQ(r.named[2], "Patient");
}

TEST(FhirReader, ABundlesMembersAreFoundInAnyOrderAndHoweverTheirNamesAreWritten) {
  TempDir dir;
  // The entries before the type, names written with escapes, a member populus
  // does not read, and space everywhere JSON allows it.
  WriteFile(dir / "a.json",
            "\n { \"\\u0065ntry\" : [ {\"resource\" : "
            "{\"resourceType\":\"Observation\",\"id\":\"o\"} } ] ,"
            " \"meta\": {\"tag\": [{\"code\": \"]\"}]},"
            " \"typ\\u0065\": \"coll\\u0065ction\", "
            "\"resourceType\":\"Bundle\" }\r\n");
  // Two entry arrays: which to read cannot be told, so neither is.
  WriteFile(dir / "b.json", R"({"resourceType":"Bundle","type":"collection",
      "entry":[{"resource":{"resourceType":"Patient","id":"1"}}],
      "entry":[{"resource":{"resourceType":"Patient","id":"2"}}]})");
  // Something after the Bundle: the file is not one JSON value.
  WriteFile(dir / "c.json", R"({"resourceType":"Bundle","type":"collection","entry":[
      {"resource":{"resourceType":"Condition","id":"5"}}]} {"resourceType":"Patient"})");
  const Read r = ReadAll(dir.path());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.types, (std::vector<std::string>{"Observation"}));
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0], "b.json: malformed Bundle: it has 2 'entry' members");
  EXPECT_EQ(r.named[0], "Patient");
  EXPECT_EQ(r.problems[1].find("c.json: malformed JSON: text after the JSON object (byte 114)"), 0u)
      << r.problems[1];
}

TEST(FhirReader, AResourceWithAMemberGivenTwiceIsNotRead) {
  TempDir dir;
  WriteFile(dir / "Patient.ndjson",
            // 1: two birthDates: which one a parser keeps is not agreed
            "{\"resourceType\":\"Patient\",\"id\":\"a\",\"birthDate\":\"1950-01-01\","
            "\"birthDate\":\"1990-01-01\"}\n"
            // 2: the same names in different objects are fine
            "{\"resourceType\":\"Patient\",\"id\":\"b\",\"name\":[{\"family\":\"X\"},"
            "{\"family\":\"Y\"}],\"meta\":{\"id\":\"b\"}}\n");
  WriteFile(dir / "Condition.ndjson",
            // 1: deep inside: a coding's code twice
            "{\"resourceType\":\"Condition\",\"id\":\"c\",\"code\":{\"coding\":[{\"system\":"
            "\"http://snomed.info/sct\",\"code\":\"1\",\"code\":\"2\"}]}}\n"
            // 2: an object of many members (sorted to compare), one of them twice
            "{\"resourceType\":\"Condition\",\"id\":\"d\",\"a\":1,\"b\":2,\"c\":3,\"e\":4,"
            "\"f\":5,\"g\":6,\"h\":7,\"i\":8,\"j\":9,\"a\":10}\n"
            // 3: many members, none twice
            "{\"resourceType\":\"Condition\",\"id\":\"e\",\"a\":1,\"b\":2,\"c\":3,\"e\":4,"
            "\"f\":5,\"g\":6,\"h\":7,\"i\":8,\"j\":9,\"k\":10}\n");
  const Read r = ReadAll(dir.path());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.where,
            (std::vector<std::string>{"Condition.ndjson line 3", "Patient.ndjson line 2"}));
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_EQ(r.problems[0],
            "Condition.ndjson line 1: malformed JSON: the member 'code' is given twice in one "
            "object");
  EXPECT_EQ(r.problems[1],
            "Condition.ndjson line 2: malformed JSON: the member 'a' is given twice in one object");
  EXPECT_EQ(r.problems[2],
            "Patient.ndjson line 1: malformed JSON: the member 'birthDate' is given twice in one "
            "object");
  EXPECT_EQ(r.named[2], "Patient");  // so the load is refused
}

TEST(FhirReader, AByteOrderMarkAtTheStartOfAFileIsSkipped) {
  TempDir dir;
  WriteFile(dir / "Patient.ndjson",
            "\xEF\xBB\xBF{\"resourceType\":\"Patient\",\"id\":\"a\"}\n"
            "{\"resourceType\":\"Patient\",\"id\":\"b\"}\n");
  WriteFile(dir / "bundle.json",
            "\xEF\xBB\xBF"
            R"({"resourceType":"Bundle","type":"collection","entry":[
      {"resource":{"resourceType":"Condition","id":"c"}}]})");
  WriteFile(dir / "single.json",
            "\xEF\xBB\xBF"
            R"({"resourceType":"Observation","id":"d"})");
  const Read r = ReadAll(dir.path());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.types, (std::vector<std::string>{"Patient", "Patient", "Condition", "Observation"}));
  EXPECT_EQ(nlohmann::json::parse(r.jsons[0])["id"], "a");
  EXPECT_EQ(nlohmann::json::parse(r.jsons[3])["id"], "d");
}

TEST(FhirReader, APassOverSkipsOnlyWhatItCanTellIsSkippedWithoutParsing) {
  TempDir dir;
  WriteFile(dir / "mixed.ndjson",
            // 0: a plain Condition: skipped, never parsed (so its tear goes unseen)
            "{\"resourceType\": \"Condition\", \"id\": \"c1\", \"subject\": \n"
            // 1: a Patient: read
            "{\"resourceType\":\"Patient\",\"id\":\"p1\"}\n"
            // 2: a Condition holding a contained Patient: not every type is skipped
            "{\"resourceType\":\"Condition\",\"id\":\"c2\",\"contained\":"
            "[{\"resourceType\":\"Patient\",\"id\":\"x\"}]}\n"
            // 3: the type written with an escape: cannot be told, so parsed
            "{\"resourceType\":\"Cond\\u0069tion\",\"id\":\"c3\"}\n"
            // 4: a string ending in "resourceType: parsed to be sure
            "{\"id\":\"c4\",\"note\":\"\\\"resourceType\",\"resourceType\":\"Condition\"}\n"
            // 5: no type at all: parsed and reported
            "{\"id\":\"c5\"}\n");
  WriteFile(dir / "bundle.json", R"({"resourceType":"Bundle","type":"collection","entry":[
      {"resource":{"resourceType":"Observation","id":"o1"}},
      {"resource":{"resourceType":"Patient","id":"p2"}}]})");
  Read r;
  std::vector<std::string> asked;
  r.status = ReadResources(
      dir.path(), [&](const Resource& res) { r.types.emplace_back(res.type); },
      [&](const Location& where, const ReadProblem& problem) {
        r.problems.push_back(where.Describe() + ": " + problem.reason);
      },
      &r.summary,
      [&](std::string_view type, std::string_view) {
        asked.emplace_back(type);
        return type != "Patient";
      });
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  // Read: p2 (bundle.json sorts first), p1, c2, c3 (its type decoded), c4.
  EXPECT_EQ(r.types, (std::vector<std::string>{"Patient", "Patient", "Condition", "Condition",
                                               "Condition"}));
  EXPECT_EQ(r.summary.skipped, 2u);  // o1 and c1
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].find("mixed.ndjson line 6:"), 0u) << r.problems[0];
  EXPECT_EQ(asked, (std::vector<std::string>{"Observation", "Patient", "Condition", "Patient",
                                             "Condition", "Patient"}));
}

TEST(FhirReader, APathThatIsNotThereIsAnError) {
  TempDir dir;
  const Read r = ReadAll(dir / "missing");
  EXPECT_EQ(r.status.kind(), Status::Kind::kUsage);
}

}  // namespace
}  // namespace populus::fhir
