// `populus export --format fhir`: a snapshot as FHIR R4 NDJSON. Every line of
// an export of a generated ICS is parsed and checked against the snapshot row
// it came from; a hand-made extract pins whole resources to the mapping
// contract (fhir_systems.h); and the output directory rules are tested.
#include "fhir/fhir_export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "analysis/registers.h"
#include "common/vocabulary.h"
#include "fhir/fhir_ingest.h"
#include "fhir/fhir_systems.h"
#include "ingest/pseudonymiser.h"
#include "store/snapshot.h"
#include "synth/generate.h"
#include "test_support.h"

namespace populus::fhir {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;
using populus::testing::ExtractFiles;
using populus::testing::RunPopulus;
using populus::testing::TempDir;

const std::string kSource = populus::testing::SourceDir();
const char* const kTypes[] = {"Organization", "PractitionerRole",  "Patient",   "Condition",
                              "Observation",  "MedicationRequest", "Encounter", "Appointment"};

std::unordered_set<std::string> ConditionCodes() {
  std::vector<analysis::RegisterRule> rules;
  const Status st = analysis::LoadRegisterRules(kSource + "/data/registers/ltc-registers.csv",
                                                kSource + "/data/codelists", &rules);
  EXPECT_TRUE(st.ok()) << st.message();
  std::unordered_set<std::string> codes;
  for (const auto& r : rules) codes.insert(r.diagnosis.begin(), r.diagnosis.end());
  return codes;
}

std::string Pseudonym(uint64_t nhs_number) {
  Pseudonymiser p;
  EXPECT_TRUE(Pseudonymiser::FromKey(populus::testing::kTestKey, &p).ok());
  return p.Pseudonym(nhs_number);
}

// An export read back: every resource of each type, parsed, in file order,
// and the raw text of all files.
struct Exported {
  std::map<std::string, std::vector<json>> resources;
  std::map<std::string, std::unordered_map<std::string, size_t>> index;  // type -> id -> position
  std::string text;
  bool Has(const std::string& type, const std::string& id) const {
    auto t = index.find(type);
    return t != index.end() && t->second.count(id) > 0;
  }
  // A copy, so that a missing element reads as null rather than asserting.
  json Get(const std::string& type, const std::string& id) const {
    auto t = index.find(type);
    if (t == index.end()) return nullptr;
    auto r = t->second.find(id);
    return r == t->second.end() ? json(nullptr) : resources.at(type)[r->second];
  }
};

// FHIR's id type: 1-64 of A-Z a-z 0-9 - and '.'.
bool IsFhirId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

// Reads every <Type>.000.ndjson in dir, checking the NDJSON framing, that
// each line is a JSON object of the file's type, and that ids are valid FHIR
// ids, unique within the type.
Exported ReadExport(const std::string& dir) {
  Exported out;
  for (const char* type : kTypes) {
    const std::string path = dir + "/" + type + ".000.ndjson";
    if (!fs::exists(path)) continue;
    const std::string text = populus::testing::ReadFile(path);
    EXPECT_FALSE(text.empty()) << path;
    EXPECT_EQ(text.back(), '\n') << path;
    EXPECT_EQ(text.find('\r'), std::string::npos) << path;
    out.text += text;
    auto& resources = out.resources[type];
    auto& index = out.index[type];
    size_t begin = 0;
    int n = 0;
    while (begin < text.size()) {
      size_t end = text.find('\n', begin);
      if (end == std::string::npos) end = text.size();
      ++n;
      json r = json::parse(text.begin() + static_cast<std::ptrdiff_t>(begin),
                           text.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
      begin = end + 1;
      if (r.is_discarded() || !r.is_object()) {
        ADD_FAILURE() << path << " line " << n << " is not a JSON object";
        continue;
      }
      EXPECT_EQ(r.value("resourceType", ""), type) << path << " line " << n;
      const std::string id = r.value("id", "");
      EXPECT_TRUE(IsFhirId(id)) << path << " line " << n << " id '" << id << "'";
      EXPECT_TRUE(index.emplace(id, resources.size()).second)
          << type << " id " << id << " repeated";
      resources.push_back(std::move(r));
    }
  }
  return out;
}

// Every "reference" anywhere in a resource.
void CollectReferences(const json& j, std::vector<std::string>* out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (key == "reference" && value.is_string()) out->push_back(value.get<std::string>());
      CollectReferences(value, out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) CollectReferences(v, out);
  }
}

// The value of an extension of a resource by URL, or null.
json Extension(const json& resource, std::string_view url) {
  for (const auto& e : resource.value("extension", json::array())) {
    if (e.value("url", "") == url) return e;
  }
  return nullptr;
}

json Coding(std::string_view system, std::string_view code) {
  return json{{"coding", json::array({{{"system", system}, {"code", code}}})}};
}

std::string Ref(const std::string& type, const std::string& id) { return type + "/" + id; }

class FhirExportGenerated : public ::testing::Test {
 protected:
  // One small generated ICS, ingested and exported once for the suite.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    synth::GenerateOptions g;
    g.config_path = kSource + "/data/ics/dorset-like.toml";
    g.data_root = kSource;
    g.out_dir = *dir_ / "extract";
    g.scale = 0.0025;
    g.threads = 2;
    synth::GenerateResult gr;
    Status st = synth::Generate(g, &gr);
    ASSERT_TRUE(st.ok()) << st.message();
    st = populus::testing::IngestWithTestKey(*dir_ / "extract", *dir_ / "data",
                                             DaysFromCivil(2019, 6, 30));
    ASSERT_TRUE(st.ok()) << st.message();
    ExportOptions o;
    o.data_dir = *dir_ / "data";
    o.out_dir = *dir_ / "fhir";
    o.condition_codes = ConditionCodes();
    result_ = new ExportResult();
    st = ExportFhir(o, result_);
    ASSERT_TRUE(st.ok()) << st.message();
    exported_ = new Exported(ReadExport(*dir_ / "fhir"));
  }
  static void TearDownTestSuite() {
    delete exported_;
    delete result_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(exported_, nullptr);
    ASSERT_TRUE(Snapshot::Open(*dir_ / "data", &snap_).ok());
  }
  size_t Count(const std::string& type) const {
    auto it = exported_->resources.find(type);
    return it == exported_->resources.end() ? 0 : it->second.size();
  }
  std::string PatientId(uint32_t p) const { return std::string(snap_->patients().pseudonym[p]); }
  // The patient row of each row of a patient-indexed table.
  std::vector<uint32_t> RowPatients(const std::string& table) const {
    const auto offsets = snap_->column(table, "patient_offsets").values<uint64_t>();
    std::vector<uint32_t> out(snap_->rows(table));
    for (uint32_t p = 0; p + 1 < offsets.size(); ++p) {
      for (uint64_t r = offsets[p]; r < offsets[p + 1]; ++r) out[r] = p;
    }
    return out;
  }

  static TempDir* dir_;
  static ExportResult* result_;
  static Exported* exported_;
  std::unique_ptr<Snapshot> snap_;
};
TempDir* FhirExportGenerated::dir_ = nullptr;
ExportResult* FhirExportGenerated::result_ = nullptr;
Exported* FhirExportGenerated::exported_ = nullptr;

// Export, then ingest the export: the same snapshot, table by table, and each
// patient's record the same (dates, codes, values, units).
TEST_F(FhirExportGenerated, IngestingTheExportGivesTheSameSnapshot) {
  ::setenv("POPULUS_PSEUDO_KEY", populus::testing::kTestKey, 1);
  FhirIngestOptions o;
  o.input = *dir_ / "fhir";
  o.ingest.data_dir = *dir_ / "back";
  o.ingest.extract_date = DaysFromCivil(2019, 6, 30);
  o.ingest.progress = ProgressBar::Mode::kNever;
  o.loinc_map = kSource + "/data/fhir/loinc-to-snomed.csv";
  IngestResult r;
  const Status st = IngestFhir(o, &r);
  ::unsetenv("POPULUS_PSEUDO_KEY");
  ASSERT_TRUE(st.ok()) << st.message();
  for (const auto& [type, n] : r.source_summary["resources"].items()) {
    EXPECT_EQ(n["loaded"], n["read"]) << type;
  }
  std::unique_ptr<Snapshot> back;
  ASSERT_TRUE(Snapshot::Open(*dir_ / "back", &back).ok());
  for (const char* table : {"organisations", "patients", "events", "medications",
                            "hospital_activity", "appointments"}) {
    EXPECT_EQ(back->rows(table), snap_->rows(table)) << table;
  }
  // Patients come back keyed by their pseudonym, in the same order.
  ASSERT_EQ(back->rows("patients"), snap_->rows("patients"));
  const EventValues a(*snap_), b(*back);
  const CodeColumn a_codes = snap_->events().code, b_codes = back->events().code;
  const auto a_dates = snap_->events().date;
  const auto b_dates = back->events().date;
  for (uint32_t p = 0; p < snap_->rows("patients"); ++p) {
    ASSERT_EQ(back->patients().pseudonym[p], PatientId(p));
    for (const char* column :
         {"date_of_birth", "registered_from", "registered_to", "date_of_death"}) {
      ASSERT_EQ(back->column("patients", column).values<Date>()[p],
                snap_->column("patients", column).values<Date>()[p]);
    }
    ASSERT_EQ(back->patients().sex[p], snap_->patients().sex[p]);
    ASSERT_EQ(back->patients().ethnicity.value(p), snap_->patients().ethnicity.value(p));
    auto record = [](const Snapshot& s, const EventValues& v, const CodeColumn& codes,
                     std::span<const Date> dates, uint32_t patient) {
      std::multiset<std::tuple<Date, std::string, float, std::string>> out;
      auto [begin, end] = s.events().range(patient);
      for (uint64_t e = begin; e < end; ++e) {
        out.emplace(dates[e], std::string(codes.value(e)), v.has(e) ? v.value(e) : -1.0f,
                    v.has(e) ? std::string(v.unit(e)) : "");
      }
      return out;
    };
    ASSERT_EQ(record(*back, b, b_codes, b_dates, p), record(*snap_, a, a_codes, a_dates, p))
        << "patient row " << p;
  }
}

TEST_F(FhirExportGenerated, OneResourcePerRowOfEachTable) {
  EXPECT_EQ(Count("Organization"), snap_->rows("organisations"));
  EXPECT_EQ(Count("Patient"), snap_->rows("patients"));
  EXPECT_EQ(Count("Condition") + Count("Observation"), snap_->rows("events"));
  EXPECT_EQ(Count("MedicationRequest"), snap_->rows("medications"));
  EXPECT_EQ(Count("Encounter"), snap_->rows("hospital_activity"));
  EXPECT_EQ(Count("Appointment"), snap_->rows("appointments"));
  std::set<std::pair<uint32_t, uint8_t>> roles;
  const auto practice = snap_->appointments().practice;
  const auto role = snap_->appointments().staff_role;
  for (size_t i = 0; i < practice.size(); ++i) roles.insert({practice[i], role[i]});
  EXPECT_EQ(Count("PractitionerRole"), roles.size());
  for (const char* type : kTypes) EXPECT_GT(Count(type), 0u) << type;
  // The result agrees with the files.
  ASSERT_EQ(result_->types.size(), 8u);
  uint64_t bytes = 0;
  for (size_t t = 0; t < 8; ++t) {
    EXPECT_EQ(result_->types[t].resource_type, kTypes[t]);
    EXPECT_EQ(result_->types[t].resources, Count(kTypes[t]));
    EXPECT_EQ(result_->types[t].bytes,
              fs::file_size(*dir_ / "fhir/" + std::string(kTypes[t]) + ".000.ndjson"));
    bytes += result_->types[t].bytes;
  }
  EXPECT_EQ(result_->bytes_written, bytes);
  EXPECT_EQ(result_->count("Patient"), snap_->rows("patients"));
  // Nothing but the eight files and populus's output marker.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(*dir_ / "fhir")) {
    if (e.path().filename() == ".populus-output") continue;
    ++entries;
    EXPECT_EQ(e.path().extension(), ".ndjson") << e.path();
  }
  EXPECT_EQ(entries, 8);
}

TEST_F(FhirExportGenerated, EveryReferenceResolves) {
  for (const auto& [type, resources] : exported_->resources) {
    for (const json& r : resources) {
      std::vector<std::string> refs;
      CollectReferences(r, &refs);
      for (const std::string& ref : refs) {
        const size_t slash = ref.find('/');
        ASSERT_NE(slash, std::string::npos) << ref;
        EXPECT_TRUE(exported_->Has(ref.substr(0, slash), ref.substr(slash + 1)))
            << type << " " << r["id"] << " refers to " << ref << ", which is not in the export";
      }
    }
  }
}

// Whether a string holds a run of exactly ten digits (an NHS number's shape).
bool HasTenDigitRun(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j - i == 10) return true;
    i = j == i ? i + 1 : j;
  }
  return false;
}

bool IsPseudonym(std::string_view s) {
  if (s.rfind("Patient/", 0) == 0) s.remove_prefix(8);
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Fails for any value shaped like an NHS number, other than codes (a SNOMED CT
// or dm+d id can be ten digits long) and pseudonyms (hex, which may hold digit
// runs by chance).
void CheckNoNhsShapedValue(const json& j, const std::string& key, const std::string& where) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) CheckNoNhsShapedValue(v, k, where);
  } else if (j.is_array()) {
    for (const auto& v : j) CheckNoNhsShapedValue(v, key, where);
  } else if (j.is_string() && key != "code" && !IsPseudonym(j.get<std::string>())) {
    EXPECT_FALSE(HasTenDigitRun(j.get<std::string>())) << where << " " << key << ": " << j;
  } else if (j.is_number_integer() || j.is_number_unsigned()) {
    EXPECT_FALSE(HasTenDigitRun(j.dump())) << where << " " << key << ": " << j;
  }
}

TEST_F(FhirExportGenerated, NoNhsNumberAnywhere) {
  // The extract's NHS numbers appear nowhere in the text, not even inside
  // another value.
  std::unordered_set<std::string> nhs_numbers;
  std::ifstream patients(*dir_ / "extract/patients.csv");
  std::string line;
  std::getline(patients, line);
  ASSERT_EQ(line.rfind("nhs_number,", 0), 0u) << line;
  while (std::getline(patients, line)) nhs_numbers.insert(line.substr(0, line.find(',')));
  ASSERT_GT(nhs_numbers.size(), 1000u);
  const std::string& text = exported_->text;
  size_t digits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    digits = std::isdigit(static_cast<unsigned char>(text[i])) ? digits + 1 : 0;
    if (digits >= 10) {
      ASSERT_EQ(nhs_numbers.count(text.substr(i - 9, 10)), 0u) << "an NHS number at byte " << i;
    }
  }
  // No value shaped like one, and no name, address or telecom on a Patient,
  // nor an NHS number identifier.
  for (const auto& [type, resources] : exported_->resources) {
    for (const json& r : resources) CheckNoNhsShapedValue(r, "", type + " " + r.value("id", ""));
  }
  for (json p : exported_->resources.at("Patient")) {
    EXPECT_FALSE(p.contains("name") || p.contains("address") || p.contains("telecom")) << p;
    for (json id : p["identifier"]) EXPECT_NE(id["system"], kNhsNumberSystem);
  }
}

TEST_F(FhirExportGenerated, PatientsMatchTheSnapshot) {
  const auto birth = snap_->patients().date_of_birth;
  const auto sex = snap_->patients().sex;
  const auto practice = snap_->patients().practice;
  const auto from = snap_->patients().registered_from;
  const auto to = snap_->patients().registered_to;
  const auto death = snap_->patients().date_of_death;
  const CodeColumn lsoa = snap_->patients().lsoa;
  const auto imd = snap_->patients().imd_decile;
  const CodeColumn ethnicity = snap_->patients().ethnicity;
  const auto care_home = snap_->patients().care_home;
  const ColumnFile& org_code = snap_->column("organisations", "code");
  ASSERT_EQ(snap_->manifest()["patient_identifier"], "nhs-number-hmac-sha256");
  int dead = 0, left = 0, in_care_home = 0, with_ethnicity = 0;
  for (uint32_t p = 0; p < snap_->rows("patients"); ++p) {
    json r = exported_->Get("Patient", PatientId(p));
    ASSERT_FALSE(r.is_null()) << "no Patient " << PatientId(p);
    EXPECT_EQ(PatientId(p).size(), 64u);
    EXPECT_EQ(r["identifier"],
              json::array({{{"system", kPseudonymSystem}, {"value", PatientId(p)}}}));
    EXPECT_EQ(r["birthDate"], FormatIsoDate(birth[p]));
    const char* gender = sex[p] == 1   ? "male"
                         : sex[p] == 2 ? "female"
                         : sex[p] == 9 ? "other"
                                       : "unknown";
    EXPECT_EQ(r["gender"], gender);
    EXPECT_EQ(r["generalPractitioner"],
              json::array({{{"reference", "Organization/org-" + std::to_string(practice[p])}}}));
    // The practice is the Organization with the practice's ODS code.
    json org = exported_->Get("Organization", "org-" + std::to_string(practice[p]));
    ASSERT_FALSE(org.is_null());
    EXPECT_EQ(org["identifier"][0]["value"], org_code.string(practice[p]));
    EXPECT_EQ(org["type"][0], Coding(kOrganisationTypeSystem, "practice"));
    if (death[p] != kNoDate) {
      ++dead;
      EXPECT_EQ(r["deceasedDateTime"], FormatIsoDate(death[p]));
    } else {
      EXPECT_FALSE(r.contains("deceasedDateTime"));
    }
    json period = {{"start", FormatIsoDate(from[p])}};
    if (to[p] != kNoDate) {
      ++left;
      period["end"] = FormatIsoDate(to[p]);
    }
    EXPECT_EQ(Extension(r, kRegistrationPeriodExtension)["valuePeriod"], period);
    const json lsoa_ext = Extension(r, kLsoaExtension);
    if (lsoa.value(p).empty()) {
      EXPECT_TRUE(lsoa_ext.is_null());
    } else {
      EXPECT_EQ(lsoa_ext["valueString"], lsoa.value(p));
    }
    const json imd_ext = Extension(r, kImdDecileExtension);
    if (imd[p] == 0) {
      EXPECT_TRUE(imd_ext.is_null());
    } else {
      EXPECT_EQ(imd_ext["valueInteger"], imd[p]);
    }
    const json care_ext = Extension(r, kCareHomeExtension);
    if (care_home[p] > 1) {
      EXPECT_TRUE(care_ext.is_null());
    } else {
      EXPECT_EQ(care_ext["valueBoolean"], care_home[p] == 1);
      in_care_home += care_home[p];
    }
    const json eth_ext = Extension(r, kEthnicCategoryExtension);
    if (ethnicity.value(p).empty()) {
      EXPECT_TRUE(eth_ext.is_null());
    } else {
      ++with_ethnicity;
      EXPECT_EQ(eth_ext["valueCodeableConcept"], Coding(kSnomedSystem, ethnicity.value(p)));
    }
  }
  // The generated ICS exercises every branch.
  EXPECT_GT(dead, 0);
  EXPECT_GT(left, 0);
  EXPECT_GT(in_care_home, 0);
  EXPECT_GT(with_ethnicity, 0);
}

TEST_F(FhirExportGenerated, OrganisationsMatchTheSnapshot) {
  const ColumnFile& code = snap_->column("organisations", "code");
  const ColumnFile& name = snap_->column("organisations", "name");
  const ColumnFile& postcode = snap_->column("organisations", "postcode");
  const auto type = snap_->organisations().type;
  const auto parent = snap_->organisations().parent;
  for (uint32_t o = 0; o < snap_->rows("organisations"); ++o) {
    json r = exported_->Get("Organization", "org-" + std::to_string(o));
    ASSERT_FALSE(r.is_null()) << o;
    EXPECT_EQ(r["identifier"],
              json::array({{{"system", kOdsOrganisationSystem}, {"value", code.string(o)}}}));
    EXPECT_EQ(r["name"], name.string(o));
    EXPECT_EQ(r["type"],
              json::array({Coding(kOrganisationTypeSystem, Name(static_cast<OrgType>(type[o])))}));
    if (parent[o] == kNoRow) {
      EXPECT_FALSE(r.contains("partOf"));
    } else {
      EXPECT_EQ(r["partOf"]["reference"], "Organization/org-" + std::to_string(parent[o]));
    }
    if (postcode.string(o).empty()) {
      EXPECT_FALSE(r.contains("address"));
    } else {
      EXPECT_EQ(r["address"], json::array({{{"postalCode", postcode.string(o)}}}));
    }
  }
}

TEST_F(FhirExportGenerated, EventsSplitByTheRegisterCodelists) {
  const auto codes = ConditionCodes();
  ASSERT_GT(codes.size(), 100u);
  const auto date = snap_->events().date;
  const CodeColumn code = snap_->events().code;
  const EventValues values(*snap_);
  const auto patient = RowPatients("events");
  uint64_t conditions = 0, with_value = 0, coded_with_value = 0;
  for (uint64_t row = 0; row < snap_->rows("events"); ++row) {
    const std::string c(code.value(row));
    const bool is_condition = codes.count(c) > 0 && !values.has(row);
    const std::string id = (is_condition ? "c" : "o") + std::to_string(row);
    json r = exported_->Get(is_condition ? "Condition" : "Observation", id);
    ASSERT_FALSE(r.is_null()) << "event row " << row << " (" << c << ") is not " << id;
    EXPECT_EQ(r["code"], Coding(kSnomedSystem, c)) << id;
    EXPECT_EQ(r["subject"]["reference"], Ref("Patient", PatientId(patient[row]))) << id;
    const std::string day = FormatIsoDate(date[row]);
    if (is_condition) {
      ++conditions;
      EXPECT_EQ(r["onsetDateTime"], day);
      EXPECT_EQ(r["recordedDate"], day);
      EXPECT_EQ(r["clinicalStatus"],
                Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"));
      EXPECT_EQ(r["verificationStatus"],
                Coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"));
      EXPECT_EQ(r["category"],
                json::array({Coding("http://terminology.hl7.org/CodeSystem/condition-category",
                                    "problem-list-item")}));
    } else {
      EXPECT_EQ(r["status"], "final");
      EXPECT_EQ(r["effectiveDateTime"], day);
      if (values.has(row)) {
        ++with_value;
        if (codes.count(c)) ++coded_with_value;
        json q = r["valueQuantity"];
        // Shortest round-trip text: the same float comes back.
        EXPECT_EQ(q["value"].get<float>(), values.value(row)) << id;
        const std::string unit(values.unit(row));
        if (unit.empty()) {
          EXPECT_EQ(q, json({{"value", q["value"]}})) << id;
        } else {
          EXPECT_EQ(q["unit"], unit);
          EXPECT_EQ(q["system"], "http://unitsofmeasure.org");
          EXPECT_EQ(q["code"], unit);
        }
      } else {
        EXPECT_FALSE(r.contains("valueQuantity")) << id;
      }
    }
  }
  EXPECT_EQ(conditions, Count("Condition"));
  EXPECT_GT(conditions, 100u);
  EXPECT_GT(with_value, 100u);
}

TEST_F(FhirExportGenerated, AnEventOfTheExtractComesThrough) {
  // Independently of the snapshot: the extract's first event with a value
  // and its first diagnosis without one, found by patient, date and code.
  const auto codes = ConditionCodes();
  std::ifstream events(*dir_ / "extract/events.csv");
  std::string line;
  std::getline(events, line);
  ASSERT_EQ(line, "patient,date,snomed_code,numeric_value,unit");
  std::vector<std::string> measured, diagnosed;
  while (std::getline(events, line) && (measured.empty() || diagnosed.empty())) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) f.push_back(field);
    f.resize(5);
    if (measured.empty() && !f[3].empty() && !f[4].empty()) measured = f;
    if (diagnosed.empty() && f[3].empty() && codes.count(f[2])) diagnosed = f;
  }
  ASSERT_FALSE(measured.empty());
  ASSERT_FALSE(diagnosed.empty());
  auto find = [&](const std::string& type, const std::vector<std::string>& f,
                  const char* date_field) {
    const std::string subject = Ref("Patient", Pseudonym(std::stoull(f[0])));
    std::vector<json> found;
    const json code = Coding(kSnomedSystem, f[2]);
    for (const json& r : exported_->resources.at(type)) {
      if (r.value(date_field, "") == f[1] && r.value("code", json()) == code &&
          r.value("subject", json::object()).value("reference", "") == subject) {
        found.push_back(r);
      }
    }
    return found;
  };
  const auto observations = find("Observation", measured, "effectiveDateTime");
  ASSERT_FALSE(observations.empty()) << "no Observation for " << measured[0] << " " << measured[1];
  bool value_found = false;
  for (json r : observations) {
    value_found =
        value_found || (r["valueQuantity"]["value"].get<float>() == std::stof(measured[3]) &&
                        r["valueQuantity"]["unit"] == measured[4]);
  }
  EXPECT_TRUE(value_found) << measured[3] << " " << measured[4];
  EXPECT_FALSE(find("Condition", diagnosed, "onsetDateTime").empty())
      << "no Condition for " << diagnosed[2] << " on " << diagnosed[1];
  EXPECT_TRUE(find("Observation", diagnosed, "effectiveDateTime").empty());
}

TEST_F(FhirExportGenerated, MedicationsEncountersAndAppointmentsMatchTheSnapshot) {
  {
    const auto date = snap_->medications().date;
    const CodeColumn code = snap_->medications().dmd_code;
    const auto quantity = snap_->medications().quantity;
    const auto patient = RowPatients("medications");
    for (uint64_t row = 0; row < snap_->rows("medications"); ++row) {
      json r = exported_->Get("MedicationRequest", "m" + std::to_string(row));
      ASSERT_FALSE(r.is_null()) << row;
      EXPECT_EQ(r["status"], "completed");
      EXPECT_EQ(r["intent"], "order");
      EXPECT_EQ(r["medicationCodeableConcept"], Coding(kDmdSystem, code.value(row)));
      EXPECT_EQ(r["subject"]["reference"], Ref("Patient", PatientId(patient[row])));
      EXPECT_EQ(r["authoredOn"], FormatIsoDate(date[row]));
      if (std::isnan(quantity[row])) {
        EXPECT_FALSE(r.contains("dispenseRequest"));
      } else {
        EXPECT_EQ(r["dispenseRequest"]["quantity"]["value"].get<float>(), quantity[row]);
      }
    }
  }
  {
    const auto date = snap_->hospital_activity().date;
    const auto setting = snap_->hospital_activity().setting;
    const CodeColumn provider = snap_->hospital_activity().provider;
    const auto stay = snap_->hospital_activity().length_of_stay_days;
    const auto patient = RowPatients("hospital_activity");
    std::map<std::string, int> classes;
    for (uint64_t row = 0; row < snap_->rows("hospital_activity"); ++row) {
      json r = exported_->Get("Encounter", "h" + std::to_string(row));
      ASSERT_FALSE(r.is_null()) << row;
      const auto s = static_cast<HospitalSetting>(setting[row]);
      const char* act = s == HospitalSetting::kAe           ? "EMER"
                        : s == HospitalSetting::kOutpatient ? "AMB"
                                                            : "IMP";
      ++classes[act];
      EXPECT_EQ(r["status"], "finished");
      EXPECT_EQ(r["class"], json({{"system", kActCodeSystem}, {"code", act}}));
      EXPECT_EQ(r["type"], json::array({Coding(kHospitalSettingSystem, Name(s))}));
      if (s == HospitalSetting::kEmergencyAdmission) {
        EXPECT_EQ(r["priority"], Coding(kActPrioritySystem, "EM"));
      } else if (s == HospitalSetting::kElectiveAdmission) {
        EXPECT_EQ(r["priority"], Coding(kActPrioritySystem, "EL"));
      } else {
        EXPECT_FALSE(r.contains("priority"));
      }
      EXPECT_EQ(r["subject"]["reference"], Ref("Patient", PatientId(patient[row])));
      json period = {{"start", FormatIsoDate(date[row])}};
      if (stay[row] != UINT16_MAX) period["end"] = FormatIsoDate(date[row] + stay[row]);
      EXPECT_EQ(r["period"], period);
      if (provider.value(row).empty()) {
        EXPECT_FALSE(r.contains("serviceProvider"));
      } else {
        EXPECT_EQ(r["serviceProvider"],
                  json({{"identifier",
                         {{"system", kOdsOrganisationSystem}, {"value", provider.value(row)}}}}));
      }
    }
    EXPECT_EQ(classes.size(), 3u);
  }
  {
    const auto practice = snap_->appointments().practice;
    const auto patient = snap_->appointments().patient;
    const auto date = snap_->appointments().date;
    const auto booked = snap_->appointments().booked_date;
    const auto role = snap_->appointments().staff_role;
    const auto mode = snap_->appointments().mode;
    const auto status = snap_->appointments().status;
    const auto duration = snap_->appointments().duration_minutes;
    const std::map<uint8_t, std::string> statuses = {
        {1, "fulfilled"}, {2, "noshow"}, {3, "cancelled"}, {4, "booked"}};
    for (uint64_t row = 0; row < snap_->rows("appointments"); ++row) {
      json r = exported_->Get("Appointment", "a" + std::to_string(row));
      ASSERT_FALSE(r.is_null()) << row;
      EXPECT_EQ(r["status"], statuses.at(status[row]));
      EXPECT_EQ(r["start"], FormatIsoDate(date[row]) + "T00:00:00Z");
      ASSERT_TRUE(r.contains("end"));  // FHIR: an end with every start
      if (duration[row] == UINT16_MAX || duration[row] == 0) {
        EXPECT_FALSE(r.contains("minutesDuration"));
      } else {
        EXPECT_EQ(r["minutesDuration"], duration[row]);
      }
      if (booked[row] == kNoDate) {
        EXPECT_FALSE(r.contains("created"));
      } else {
        EXPECT_EQ(r["created"], FormatIsoDate(booked[row]));
      }
      EXPECT_EQ(r["extension"],
                json::array({{{"url", kAppointmentModeExtension},
                              {"valueCode", Name(static_cast<AppointmentMode>(mode[row]))}}}));
      json participants = json::array();
      if (patient[row] != kNoRow) {
        participants.push_back({{"actor", {{"reference", Ref("Patient", PatientId(patient[row]))}}},
                                {"status", "accepted"}});
      }
      const std::string role_id =
          "role-" + std::to_string(practice[row]) + "-" + std::to_string(role[row]);
      participants.push_back(
          {{"actor", {{"reference", "PractitionerRole/" + role_id}}}, {"status", "accepted"}});
      EXPECT_EQ(r["participant"], participants);
      json pr = exported_->Get("PractitionerRole", role_id);
      ASSERT_FALSE(pr.is_null()) << role_id;
      EXPECT_EQ(pr["organization"]["reference"],
                "Organization/org-" + std::to_string(practice[row]));
      EXPECT_EQ(pr["code"], json::array({Coding(kStaffRoleSystem, StaffRoles()[role[row]])}));
      EXPECT_EQ(pr["active"], true);
    }
  }
}

// A hand-made extract whose resources are written out whole.
class FhirExportHandMade : public ::testing::Test {
 protected:
  void SetUp() override {
    ExtractFiles x;
    // A name that needs JSON escaping: quotes, a backslash and a tab.
    x.files["organisations.csv"] =
        "code,name,type,parent_code,postcode\n"
        "QVV,Test ICS,ics,,\n"
        "LOC01,Poole Bay,locality,QVV,\n"
        "U00001,Poole Bay PCN,pcn,LOC01,\n"
        "J00001,Harbour Surgery,practice,U00001,BH15 1AA\n"
        "J00002,\"Quay \"\"Medical\"\" \\ Centre\t2\",practice,U00001,\n"
        "J00001-S1,Harbour Surgery main site,site,J00001,BH15 1AA\n";
    x.files["events.csv"] =
        "patient,date,snomed_code,numeric_value,unit\n"
        "9990000018,2015-01-01,38341003,,\n"            // hypertension: a Condition
        "9990000018,2015-01-01,72313002,142.5,mmHg\n"   // systolic BP
        "9990000018,2016-03-04,38341003,150,mmHg\n"     // a register code with a value
        "9990000026,2016-01-01,1091811000000102,88,\n"  // a value without a unit
        "9990000034,2012-01-01,195967001,,\n"           // asthma: a Condition
        "9990000034,2013-01-01,72313002,,\n";           // no value, not a diagnosis
    x.files["medications.csv"] =
        "patient,date,dmd_code,quantity\n"
        "9990000018,2016-01-01,319283006,28\n"
        "9990000026,2017-01-01,319283006,\n";
    x.files["hospital_activity.csv"] =
        "patient,date,setting,provider,length_of_stay_days\n"
        "9990000018,2017-06-20,ae,RD3,\n"
        "9990000018,2017-07-01,emergency-admission,RD3,5\n"
        "9990000026,2018-01-02,elective-admission,,0\n"
        "9990000034,2016-05-05,outpatient,RBD,\n";
    x.files["appointments.csv"] =
        "practice_code,patient,date,booked_date,staff_role,mode,status,duration_minutes\n"
        "J00001,9990000018,2019-06-03,2019-05-20,gp,face-to-face,attended,10\n"
        "J00001,,2019-06-04,,nurse,telephone,did-not-attend,\n"
        "J00002,9990000026,2019-01-05,,gp,video,cancelled,0\n"
        "J00002,9990000026,2019-02-10,2019-02-01,other,home-visit,booked,600\n";
    x.Write(dir_ / "extract");
    const Status st = populus::testing::IngestWithTestKey(dir_ / "extract", dir_ / "data",
                                                          DaysFromCivil(2019, 6, 30));
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(Snapshot::Open(dir_ / "data", &snap_).ok());
  }
  Status Export(const std::string& out, bool overwrite = false) {
    ExportOptions o;
    o.data_dir = dir_ / "data";
    o.out_dir = out;
    o.overwrite = overwrite;
    o.condition_codes = {"38341003", "195967001"};
    return ExportFhir(o, &result_);
  }
  std::string Org(const std::string& code) const {
    const ColumnFile& c = snap_->column("organisations", "code");
    for (uint64_t o = 0; o < c.rows(); ++o) {
      if (c.string(o) == code) return "org-" + std::to_string(o);
    }
    ADD_FAILURE() << code;
    return "";
  }
  // The row of a patient-indexed table with this patient, date and (for
  // events and medications) code.
  uint64_t Row(const std::string& table, uint64_t nhs, const std::string& day,
               const std::string& code = "") const {
    const std::string key = Pseudonym(nhs);
    const ColumnFile& ps = snap_->column("patients", "pseudonym");
    const auto date = snap_->column(table, "date").values<int32_t>();
    const auto offsets = snap_->column(table, "patient_offsets").values<uint64_t>();
    const CodeColumn& codes =
        table == "events" ? snap_->events().code : snap_->medications().dmd_code;
    for (uint32_t p = 0; p < ps.rows(); ++p) {
      if (ps.string(p) != key) continue;
      for (uint64_t r = offsets[p]; r < offsets[p + 1]; ++r) {
        if (FormatIsoDate(date[r]) != day) continue;
        if (!code.empty() && codes.value(r) != code) continue;
        return r;
      }
    }
    ADD_FAILURE() << table << " " << nhs << " " << day << " " << code;
    return 0;
  }

  TempDir dir_;
  std::unique_ptr<Snapshot> snap_;
  ExportResult result_;
};

TEST_F(FhirExportHandMade, WritesTheContractsResources) {
  const Status st = Export(dir_ / "out");
  ASSERT_TRUE(st.ok()) << st.message();
  const Exported e = ReadExport(dir_ / "out");
  const std::string alice = Pseudonym(9990000018), bob = Pseudonym(9990000026),
                    carol = Pseudonym(9990000034);
  const std::string surgery = Org("J00001"), quay = Org("J00002");

  EXPECT_EQ(e.Get("Organization", quay),
            json({{"resourceType", "Organization"},
                  {"id", quay},
                  {"identifier", {{{"system", kOdsOrganisationSystem}, {"value", "J00002"}}}},
                  {"type", {Coding(kOrganisationTypeSystem, "practice")}},
                  {"name", "Quay \"Medical\" \\ Centre\t2"},
                  {"partOf", {{"reference", "Organization/" + Org("U00001")}}}}));
  EXPECT_EQ(e.Get("Organization", surgery)["address"], json::array({{{"postalCode", "BH15 1AA"}}}));
  EXPECT_FALSE(e.Get("Organization", Org("QVV")).contains("partOf"));

  const std::string url_reg(kRegistrationPeriodExtension);
  EXPECT_EQ(
      e.Get("Patient", alice),
      json({{"resourceType", "Patient"},
            {"id", alice},
            {"extension",
             {{{"url", kRegistrationPeriodExtension}, {"valuePeriod", {{"start", "1990-01-01"}}}},
              {{"url", kLsoaExtension}, {"valueString", "E01015432"}},
              {{"url", kImdDecileExtension}, {"valueInteger", 3}},
              {{"url", kCareHomeExtension}, {"valueBoolean", true}},
              {{"url", kEthnicCategoryExtension},
               {"valueCodeableConcept", Coding(kSnomedSystem, "494131000000105")}}}},
            {"identifier", {{{"system", kPseudonymSystem}, {"value", alice}}}},
            {"gender", "female"},
            {"birthDate", "1940-05-01"},
            {"generalPractitioner", {{{"reference", "Organization/" + surgery}}}}}));
  json b = e.Get("Patient", bob);
  EXPECT_EQ(b["gender"], "male");
  EXPECT_EQ(b["deceasedDateTime"], "2019-03-01");
  EXPECT_EQ(b["generalPractitioner"][0]["reference"], "Organization/" + quay);
  EXPECT_EQ(Extension(b, kCareHomeExtension)["valueBoolean"], false);
  EXPECT_TRUE(Extension(b, kEthnicCategoryExtension).is_null());
  // Carol left in 2018; nothing else recorded.
  EXPECT_EQ(e.Get("Patient", carol)["extension"],
            json::array({{{"url", kRegistrationPeriodExtension},
                          {"valuePeriod", {{"start", "2010-02-14"}, {"end", "2018-12-31"}}}}}));

  const json subject_alice = {{"reference", "Patient/" + alice}};
  const std::string htn = "c" + std::to_string(Row("events", 9990000018, "2015-01-01", "38341003"));
  EXPECT_EQ(
      e.Get("Condition", htn),
      json({{"resourceType", "Condition"},
            {"id", htn},
            {"clinicalStatus",
             Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")},
            {"verificationStatus",
             Coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")},
            {"category",
             {Coding("http://terminology.hl7.org/CodeSystem/condition-category",
                     "problem-list-item")}},
            {"code", Coding(kSnomedSystem, "38341003")},
            {"subject", subject_alice},
            {"onsetDateTime", "2015-01-01"},
            {"recordedDate", "2015-01-01"}}));
  const std::string sbp = "o" + std::to_string(Row("events", 9990000018, "2015-01-01", "72313002"));
  EXPECT_EQ(e.Get("Observation", sbp), json({{"resourceType", "Observation"},
                                             {"id", sbp},
                                             {"status", "final"},
                                             {"code", Coding(kSnomedSystem, "72313002")},
                                             {"subject", subject_alice},
                                             {"effectiveDateTime", "2015-01-01"},
                                             {"valueQuantity",
                                              {{"value", 142.5},
                                               {"unit", "mmHg"},
                                               {"system", "http://unitsofmeasure.org"},
                                               {"code", "mmHg"}}}}));
  // A register code with a value is an Observation, not a Condition.
  const uint64_t measured_htn = Row("events", 9990000018, "2016-03-04", "38341003");
  EXPECT_EQ(e.Get("Observation", "o" + std::to_string(measured_htn))["valueQuantity"]["value"],
            150);
  EXPECT_TRUE(e.Get("Condition", "c" + std::to_string(measured_htn)).is_null());
  EXPECT_EQ(e.Get("Observation",
                  "o" + std::to_string(Row("events", 9990000026, "2016-01-01")))["valueQuantity"],
            json({{"value", 88}}));
  EXPECT_FALSE(
      e.Get("Condition", "c" + std::to_string(Row("events", 9990000034, "2012-01-01"))).is_null());
  EXPECT_FALSE(e.Get("Observation", "o" + std::to_string(Row("events", 9990000034, "2013-01-01")))
                   .contains("valueQuantity"));
  EXPECT_EQ(e.resources.at("Condition").size(), 2u);
  EXPECT_EQ(e.resources.at("Observation").size(), 4u);

  const std::string m1 = "m" + std::to_string(Row("medications", 9990000018, "2016-01-01"));
  EXPECT_EQ(e.Get("MedicationRequest", m1),
            json({{"resourceType", "MedicationRequest"},
                  {"id", m1},
                  {"status", "completed"},
                  {"intent", "order"},
                  {"medicationCodeableConcept", Coding(kDmdSystem, "319283006")},
                  {"subject", subject_alice},
                  {"authoredOn", "2016-01-01"},
                  {"dispenseRequest", {{"quantity", {{"value", 28}}}}}}));
  EXPECT_FALSE(
      e.Get("MedicationRequest", "m" + std::to_string(Row("medications", 9990000026, "2017-01-01")))
          .contains("dispenseRequest"));

  const std::string h = "h" + std::to_string(Row("hospital_activity", 9990000018, "2017-07-01"));
  EXPECT_EQ(e.Get("Encounter", h),
            json({{"resourceType", "Encounter"},
                  {"id", h},
                  {"status", "finished"},
                  {"class", {{"system", kActCodeSystem}, {"code", "IMP"}}},
                  {"type", {Coding(kHospitalSettingSystem, "emergency-admission")}},
                  {"priority", Coding(kActPrioritySystem, "EM")},
                  {"subject", subject_alice},
                  {"period", {{"start", "2017-07-01"}, {"end", "2017-07-06"}}},
                  {"serviceProvider",
                   {{"identifier", {{"system", kOdsOrganisationSystem}, {"value", "RD3"}}}}}}));
  json elective =
      e.Get("Encounter", "h" + std::to_string(Row("hospital_activity", 9990000026, "2018-01-02")));
  EXPECT_EQ(elective["priority"], Coding(kActPrioritySystem, "EL"));
  EXPECT_EQ(elective["period"], json({{"start", "2018-01-02"}, {"end", "2018-01-02"}}));
  EXPECT_FALSE(elective.contains("serviceProvider"));
  json ae =
      e.Get("Encounter", "h" + std::to_string(Row("hospital_activity", 9990000018, "2017-06-20")));
  EXPECT_EQ(ae["class"]["code"], "EMER");
  EXPECT_FALSE(ae.contains("priority"));
  EXPECT_EQ(ae["period"], json({{"start", "2017-06-20"}}));
  EXPECT_EQ(e.Get("Encounter", "h" + std::to_string(Row("hospital_activity", 9990000034,
                                                        "2016-05-05")))["class"]["code"],
            "AMB");

  // Appointments are ordered by practice row, then date.
  const auto practice_row = [&](const std::string& code) { return Org(code).substr(4); };
  std::map<std::string, json> appointments;  // by start
  for (const json& a : e.resources.at("Appointment")) appointments[a.value("start", "")] = a;
  ASSERT_EQ(appointments.size(), 4u);
  json& a1 = appointments["2019-06-03T00:00:00Z"];
  EXPECT_EQ(
      a1,
      json({{"resourceType", "Appointment"},
            {"id", a1["id"]},
            {"extension", {{{"url", kAppointmentModeExtension}, {"valueCode", "face-to-face"}}}},
            {"status", "fulfilled"},
            {"start", "2019-06-03T00:00:00Z"},
            {"end", "2019-06-03T00:10:00Z"},
            {"minutesDuration", 10},
            {"created", "2019-05-20"},
            {"participant",
             {{{"actor", subject_alice}, {"status", "accepted"}},
              {{"actor", {{"reference", "PractitionerRole/role-" + practice_row("J00001") + "-0"}}},
               {"status", "accepted"}}}}}));
  json& a2 = appointments["2019-06-04T00:00:00Z"];
  EXPECT_EQ(a2["status"], "noshow");
  EXPECT_EQ(a2["end"], "2019-06-05T00:00:00Z");  // length unknown: the whole day
  EXPECT_FALSE(a2.contains("minutesDuration"));
  EXPECT_FALSE(a2.contains("created"));
  EXPECT_EQ(a2["extension"][0]["valueCode"], "telephone");
  EXPECT_EQ(
      a2["participant"],
      json::array(
          {{{"actor", {{"reference", "PractitionerRole/role-" + practice_row("J00001") + "-1"}}},
            {"status", "accepted"}}}));
  json& a3 = appointments["2019-01-05T00:00:00Z"];
  EXPECT_EQ(a3["status"], "cancelled");
  EXPECT_EQ(a3["end"], "2019-01-05T00:00:00Z");  // 0 minutes: no minutesDuration
  EXPECT_FALSE(a3.contains("minutesDuration"));
  json& a4 = appointments["2019-02-10T00:00:00Z"];
  EXPECT_EQ(a4["status"], "booked");
  EXPECT_EQ(a4["end"], "2019-02-10T10:00:00Z");
  EXPECT_EQ(a4["minutesDuration"], 600);
  EXPECT_EQ(a4["extension"][0]["valueCode"], "home-visit");

  // Roles: the (practice, role) pairs appointments use.
  std::set<std::string> roles;
  for (const json& r : e.resources.at("PractitionerRole")) roles.insert(r["id"]);
  const std::string j1 = practice_row("J00001"), j2 = practice_row("J00002");
  EXPECT_EQ(roles, (std::set<std::string>{"role-" + j1 + "-0", "role-" + j1 + "-1",
                                          "role-" + j2 + "-0", "role-" + j2 + "-13"}));
  EXPECT_EQ(e.Get("PractitionerRole", "role-" + j2 + "-13"),
            json({{"resourceType", "PractitionerRole"},
                  {"id", "role-" + j2 + "-13"},
                  {"active", true},
                  {"organization", {{"reference", "Organization/" + quay}}},
                  {"code", {Coding(kStaffRoleSystem, "other")}}}));
  // The files come in one order of one resource per line.
  EXPECT_EQ(result_.count("Organization"), 6u);
  EXPECT_EQ(result_.count("Patient"), 3u);
  EXPECT_EQ(result_.count("Encounter"), 4u);
}

TEST_F(FhirExportHandMade, RefusesADirectoryPopulusDidNotWrite) {
  populus::testing::WriteFile(dir_ / "out/notes.txt", "keep me\n");
  populus::testing::WriteFile(dir_ / "out/Practitioner.000.ndjson", "{}\n");
  auto names_in = [](const fs::path& d) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(d)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  };
  const std::set<std::string> before = {"notes.txt", "Practitioner.000.ndjson"};
  Status st = Export(dir_ / "out");
  EXPECT_EQ(st.kind(), Status::Kind::kUsage) << st.message();
  EXPECT_NE(st.message().find("--overwrite"), std::string::npos) << st.message();
  EXPECT_EQ(names_in(dir_ / "out"), before);
  // --overwrite does not replace a directory populus did not write.
  st = Export(dir_ / "out", true);
  EXPECT_EQ(st.kind(), Status::Kind::kUsage) << st.message();
  EXPECT_NE(st.message().find("not written by populus"), std::string::npos) << st.message();
  EXPECT_EQ(names_in(dir_ / "out"), before);
  EXPECT_EQ(populus::testing::ReadFile(dir_ / "out/notes.txt"), "keep me\n");

  // A new directory: the eight files and populus's marker, no staging beside it.
  ASSERT_TRUE(Export(dir_ / "new").ok());
  std::set<std::string> expected = {".populus-output"};
  for (const char* type : kTypes) expected.insert(std::string(type) + ".000.ndjson");
  EXPECT_EQ(names_in(dir_ / "new"), expected);
  EXPECT_FALSE(fs::exists(dir_ / "new.partial"));
  // Replacing populus's own export replaces it whole.
  populus::testing::WriteFile(dir_ / "new/Practitioner.000.ndjson", "{}\n");
  ASSERT_TRUE(Export(dir_ / "new", true).ok());
  EXPECT_EQ(names_in(dir_ / "new"), expected);

  // A file in the way of OUT_DIR, the data directory itself, a folder inside
  // it and a folder around it are refused, and the snapshot stays whole.
  populus::testing::WriteFile(dir_ / "file", "x");
  EXPECT_EQ(Export(dir_ / "file", true).kind(), Status::Kind::kUsage);
  EXPECT_EQ(populus::testing::ReadFile(dir_ / "file"), "x");
  EXPECT_EQ(Export(dir_ / "data", true).kind(), Status::Kind::kUsage);
  EXPECT_EQ(Export(dir_ / "data/versions", true).kind(), Status::Kind::kUsage);
  EXPECT_EQ(Export(dir_ / "data/fhir", true).kind(), Status::Kind::kUsage);
  EXPECT_EQ(Export(dir_.path(), true).kind(), Status::Kind::kUsage);
  EXPECT_FALSE(fs::exists(dir_ / "data/fhir"));
  EXPECT_EQ(RunPopulus({"info", dir_ / "data"}).exit_code, 0);
  // A data directory with no snapshot: an error, and no output directory.
  ExportOptions o;
  o.data_dir = dir_ / "nothing";
  o.out_dir = dir_ / "out2";
  ExportResult r;
  EXPECT_FALSE(ExportFhir(o, &r).ok());
  EXPECT_FALSE(fs::exists(dir_ / "out2"));
}

TEST_F(FhirExportHandMade, OverwriteReplacesAnEarlierExport) {
  ASSERT_TRUE(Export(dir_ / "out").ok());
  populus::testing::WriteFile(dir_ / "out/Encounter.000.ndjson", "{\"stale\":true}\n");
  // The same snapshot has encounters: the stale file is replaced.
  ASSERT_TRUE(Export(dir_ / "out", true).ok());
  EXPECT_EQ(ReadExport(dir_ / "out").resources.at("Encounter").size(), 4u);
}

TEST_F(FhirExportHandMade, EstimatesTheDiskItNeedsBeforeItStarts) {
  ExportOptions o;
  o.data_dir = dir_ / "data";
  o.out_dir = dir_ / "not/yet/made";
  uint64_t needed = 0, free = 0;
  ASSERT_TRUE(EstimateExport(o, &needed, &free).ok());
  // 6 organisations, 3 patients, 6 events, 2 prescriptions, 4 appointments
  // and 4 hospital rows, at the measured average size of a resource.
  EXPECT_EQ(needed, (6u + 3 + 6 + 2 + 4 + 4) * kEstimatedBytesPerResource);
  EXPECT_GT(free, 0u);
  EXPECT_FALSE(fs::exists(dir_ / "not"));
}

TEST_F(FhirExportHandMade, TheCommandLine) {
  auto run = RunPopulus({"export", "--format", "fhir", dir_ / "data", dir_ / "out"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("MB/s"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Observation"), std::string::npos) << run.out;
  // The default register file makes the diagnoses Conditions.
  EXPECT_EQ(ReadExport(dir_ / "out").resources.at("Condition").size(), 2u);
  run = RunPopulus({"export", dir_ / "data", dir_ / "out"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("--overwrite"), std::string::npos) << run.err;
  run = RunPopulus({"export", dir_ / "data", dir_ / "out", "--overwrite", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out);
  EXPECT_EQ(report["types"]["Patient"]["resources"], 3);
  EXPECT_EQ(report["types"]["Appointment"]["file"], "Appointment.000.ndjson");
  EXPECT_EQ(report["resources"], 6 + 4 + 3 + 6 + 2 + 4 + 4);
  EXPECT_EQ(RunPopulus({"export", "--format", "csv", dir_ / "data", dir_ / "o3"}).exit_code, 1);
  EXPECT_EQ(RunPopulus({"export", dir_ / "data"}).exit_code, 1);
}

TEST(FhirExport, PatientIdModeUsesTheLocalIdentifierSystem) {
  TempDir dir;
  ExtractFiles x;
  x.files["patients.csv"] =
      "patient_id,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death\n"
      "P-0001,1950-01-01,I,J00001,2000-01-01,,\n"
      "P-0002,1960-01-01,U,J00002,2000-01-01,,\n";
  x.Write(dir / "extract");
  ASSERT_TRUE(
      populus::testing::IngestWithTestKey(dir / "extract", dir / "data", DaysFromCivil(2019, 6, 30))
          .ok());
  ExportOptions o;
  o.data_dir = dir / "data";
  o.out_dir = dir / "out";
  ExportResult r;
  ASSERT_TRUE(ExportFhir(o, &r).ok());
  const Exported e = ReadExport(dir / "out");
  EXPECT_EQ(e.Get("Patient", "P-0001")["identifier"],
            json::array({{{"system", kLocalPatientIdSystem}, {"value", "P-0001"}}}));
  EXPECT_EQ(e.Get("Patient", "P-0001")["gender"], "other");
  EXPECT_EQ(e.Get("Patient", "P-0002")["gender"], "unknown");
  // No events, medications, hospital activity or appointments: no files.
  EXPECT_EQ(e.resources.size(), 2u);
  EXPECT_FALSE(fs::exists(dir / "out/Appointment.000.ndjson"));
  EXPECT_FALSE(fs::exists(dir / "out/PractitionerRole.000.ndjson"));
}

TEST(FhirExport, CodesAndStrings) {
  EXPECT_EQ(json::parse(CodeableConceptJson("38341003", kSnomedSystem)),
            Coding(kSnomedSystem, "38341003"));
  EXPECT_EQ(json::parse(CodeableConceptJson("319283006", kDmdSystem)),
            Coding(kDmdSystem, "319283006"));
  // A FHIR token "system|code" from another code system, split at the last '|'.
  EXPECT_EQ(json::parse(CodeableConceptJson("http://loinc.org|8480-6", kSnomedSystem)),
            Coding(kLoincSystem, "8480-6"));
  EXPECT_EQ(json::parse(CodeableConceptJson("urn:x|a|b", kSnomedSystem)), Coding("urn:x|a", "b"));
  EXPECT_EQ(json::parse(CodeableConceptJson("ABC-1", kSnomedSystem)),
            json({{"coding", {{{"code", "ABC-1"}}}}}));
  EXPECT_EQ(CodeableConceptJson("", kSnomedSystem), "");
  EXPECT_EQ(CodeableConceptJson("http://loinc.org|", kSnomedSystem), "");
  const std::string nasty = std::string("a\"b\\c\nd\re\tf\x01g\x1fh\xc3\xa9/") + '\0' + "z";
  std::string out = "x";
  AppendJsonString(nasty, &out);
  EXPECT_EQ(out.substr(0, 2), "x\"");
  EXPECT_EQ(json::parse(out.substr(1)).get<std::string>(), nasty);
  for (char c : out) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

}  // namespace
}  // namespace populus::fhir
