// FHIR R4 ingest (fhir/fhir_ingest.h): Synthea's Bundles against an
// independent count, and hand-made NDJSON and Bundles whose every mapping
// choice a reader can check by eye.
#include "fhir/fhir_ingest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/snomed_id.h"
#include "common/vocabulary.h"
#include "store/snapshot.h"
#include "test_support.h"

namespace populus::fhir {
namespace {
namespace fs = std::filesystem;
using populus::testing::kNhs;
using populus::testing::kTestKey;
using populus::testing::TempDir;
using populus::testing::WriteFile;

Date Day(const char* text) {
  Date d = kNoDate;
  EXPECT_EQ(ParseIsoDate(text, &d), DateParse::kOk);
  return d;
}

Status Load(const std::string& input, const std::string& data_dir, IngestResult* result,
            const std::string& organisations = "", const std::string& default_practice = "",
            bool lenient = false, int64_t max_errors = -1) {
  ::setenv("POPULUS_PSEUDO_KEY", kTestKey, 1);
  FhirIngestOptions o;
  o.input = input;
  o.ingest.data_dir = data_dir;
  o.ingest.extract_date = Day("2024-06-30");
  o.ingest.progress = ProgressBar::Mode::kNever;
  o.ingest.lenient = lenient;
  o.ingest.max_errors = max_errors;
  o.loinc_map = populus::testing::SourceDir() + "/data/fhir/loinc-to-snomed.csv";
  o.organisations_csv = organisations;
  o.default_practice = default_practice;
  const Status st = IngestFhir(o, result);
  ::unsetenv("POPULUS_PSEUDO_KEY");
  return st;
}

std::string SyntheaDir() { return populus::testing::SharedDir() + "/reference/fhir-synthea"; }

// The ICS hierarchy Synthea's records lack, in the extract's CSV format.
std::string WriteHierarchy(const TempDir& dir) {
  WriteFile(dir / "organisations.csv",
            "code,name,type,parent_code\nQVV,Test ICS,ics,\nU1,Test PCN,pcn,QVV\n"
            "J1,Test Practice,practice,U1\n");
  return dir / "organisations.csv";
}

// Events of one patient as (date, code) pairs.
std::multiset<std::pair<std::string, std::string>> EventsOf(const Snapshot& s, uint32_t patient) {
  std::multiset<std::pair<std::string, std::string>> out;
  const auto dates = s.events().date;
  const CodeColumn codes = s.events().code;
  auto [begin, end] = s.events().range(patient);
  for (uint64_t r = begin; r < end; ++r) {
    out.emplace(FormatIsoDate(dates[r]), std::string(codes.value(r)));
  }
  return out;
}

TEST(FhirIngest, SyntheaBundlesLoadEveryResourceOfAMappedTypeAndRoundTripPatientsAndConditions) {
  // The independent count: every Bundle parsed whole with another JSON library.
  std::map<std::string, uint64_t> expected;
  std::vector<nlohmann::json> patients, conditions;
  for (const auto& entry : fs::directory_iterator(SyntheaDir())) {
    std::ifstream in(entry.path());
    const nlohmann::json bundle = nlohmann::json::parse(in);
    for (const auto& e : bundle["entry"]) {
      const std::string type = e["resource"]["resourceType"];
      ++expected[type];
      if (type == "Patient") patients.push_back(e["resource"]);
      if (type == "Condition") conditions.push_back(e["resource"]);
    }
  }
  ASSERT_EQ(patients.size(), 5u);
  TempDir dir;
  IngestResult result;
  const Status st = Load(SyntheaDir(), dir / "data", &result, WriteHierarchy(dir), "J1");
  ASSERT_TRUE(st.ok()) << st.message();
  const nlohmann::json& by_type = result.source_summary["resources"];
  const std::set<std::string> mapped = {"Patient", "Condition", "Observation", "Encounter",
                                        "Immunization"};
  for (const auto& [type, n] : expected) {
    SCOPED_TRACE(type);
    ASSERT_TRUE(by_type.contains(type));
    EXPECT_EQ(by_type[type]["read"].get<uint64_t>(), n);
    EXPECT_EQ(by_type[type]["quarantined"].get<uint64_t>(), 0u);
    if (mapped.count(type)) {
      EXPECT_EQ(by_type[type]["loaded"].get<uint64_t>(), n);
    } else {  // Claim, DiagnosticReport, ...: read and counted, nothing stored
      EXPECT_EQ(by_type[type]["not_used"].get<uint64_t>(), n);
    }
  }

  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  EXPECT_EQ(s->manifest()["source"]["format"], "fhir-r4");
  EXPECT_EQ(s->manifest()["patient_identifier"], "patient-id");  // no NHS numbers in Synthea
  ASSERT_EQ(s->rows("patients"), 5u);
  // One event per Condition, Observation (none has measured components) and
  // Immunization; one appointment or hospital row per Encounter.
  EXPECT_EQ(s->rows("events"),
            expected["Condition"] + expected["Observation"] + expected["Immunization"]);
  EXPECT_EQ(s->rows("appointments") + s->rows("hospital_activity"), expected["Encounter"]);

  std::map<std::string, uint32_t> row_of;
  const ColumnFile& ids = s->column("patients", "pseudonym");
  for (uint32_t p = 0; p < s->rows("patients"); ++p) row_of[std::string(ids.string(p))] = p;
  const auto birth = s->patients().date_of_birth;
  const auto sex = s->patients().sex;
  for (const auto& patient : patients) {
    const std::string id = patient["id"];
    ASSERT_TRUE(row_of.count(id)) << id;
    EXPECT_EQ(FormatIsoDate(birth[row_of[id]]), patient["birthDate"].get<std::string>());
    EXPECT_EQ(sex[row_of[id]],
              static_cast<uint8_t>(patient["gender"] == "male" ? Sex::kMale : Sex::kFemale));
  }
  ASSERT_EQ(conditions.size(), 3u);
  for (const auto& c : conditions) {
    std::string subject = c["subject"]["reference"];
    subject = subject.substr(subject.rfind(':') + 1);  // urn:uuid:<the Patient's id>
    const auto& coding = c["code"]["coding"][0];
    const std::string code = coding["code"];
    // Synthea's sample codes are not valid SNOMED CT ids, so they are kept
    // with their system rather than lost.
    const std::string stored =
        IsSnomedConceptId(code) ? code : coding["system"].get<std::string>() + "|" + code;
    const std::string onset = c["onsetDateTime"].get<std::string>().substr(0, 10);
    EXPECT_EQ(EventsOf(*s, row_of.at(subject)).count({onset, stored}), 1u) << stored;
  }
  EXPECT_FALSE(result.warnings.empty());  // registration taken from birth, said so
}

TEST(FhirIngest, SyntheaWithoutAPracticeIsQuarantinedNotGuessed) {
  TempDir dir;
  IngestResult result;
  const Status st = Load(SyntheaDir(), dir / "data", &result, WriteHierarchy(dir));
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_FALSE(result.published);
  EXPECT_EQ(result.source_summary["resources"]["Patient"]["quarantined"].get<uint64_t>(), 5u);
  EXPECT_FALSE(fs::exists(dir / "data/CURRENT"));
  EXPECT_NE(populus::testing::ReadFile(result.quarantine_file).find("--default-practice"),
            std::string::npos);
}

// A hand-made practice export: Bulk Data NDJSON, one file per type.
struct Export {
  std::map<std::string, std::string> files;
  Export() {
    files["Organization.000.ndjson"] =
        R"({"resourceType":"Organization","id":"ics","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"QVV"}],"name":"Test ICS","type":[{"coding":[{"system":"https://digital.nhs.uk/services/organisation-data-service/CodeSystem/ODSOrganisationRole","code":"RO318"}]}]})"
        "\n"
        R"({"resourceType":"Organization","id":"pcn","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"U00001"}],"name":"Poole Bay PCN","type":[{"coding":[{"system":"https://fhir.populus.example/CodeSystem/organisation-type","code":"pcn"}]}],"partOf":{"reference":"Organization/ics"}})"
        "\n"
        R"({"resourceType":"Organization","id":"gp","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"J00001"}],"name":"Harbour Surgery","type":[{"coding":[{"system":"https://digital.nhs.uk/services/organisation-data-service/CodeSystem/ODSOrganisationRole","code":"RO76"}]}],"partOf":{"reference":"https://server.example/fhir/Organization/pcn"},"address":[{"postalCode":"BH15 1AA"}]})"
        "\n"
        R"({"resourceType":"Organization","id":"trust","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RDZ"}],"name":"A hospital trust"})"
        "\n";
    files["PractitionerRole.000.ndjson"] =
        R"({"resourceType":"PractitionerRole","id":"nurse1","practitioner":{"reference":"Practitioner/p1"},"organization":{"reference":"Organization/gp"},"code":[{"coding":[{"system":"https://fhir.populus.example/CodeSystem/staff-role","code":"nurse"}]}]})"
        "\n";
    files["Practitioner.000.ndjson"] = R"({"resourceType":"Practitioner","id":"p1"})"
                                       "\n";
    // Patient a: NHS number with spaces, registration as PDS writes it.
    // Patient b: referred to only by conditional reference.
    files["Patient.000.ndjson"] =
        R"({"resourceType":"Patient","id":"a","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0018"}],"name":[{"family":"Smith"}],"address":[{"line":["1 High St"],"postalCode":"BH15 1AA"}],"gender":"female","birthDate":"1940-05-01","generalPractitioner":[{"reference":"Organization/gp","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"J00001","period":{"start":"1990-01-01"}}}],"extension":[{"url":"https://fhir.populus.example/StructureDefinition/lsoa","valueString":"E01015432"},{"url":"https://fhir.populus.example/StructureDefinition/imd-decile","valueInteger":3},{"url":"https://fhir.populus.example/StructureDefinition/care-home-resident","valueBoolean":true},{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"494131000000105"}]}}]})"
        "\n"
        R"({"resourceType":"Patient","id":"b","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"gender":"male","birthDate":"1975-11-30","deceasedDateTime":"2019-03-01T10:00:00Z","generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"J00001"}}],"extension":[{"url":"https://fhir.populus.example/StructureDefinition/registration-period","valuePeriod":{"start":"2000-06-01"}}]})"
        "\n";
    files["Observation.000.ndjson"] =
        // A blood pressure panel in LOINC: two SNOMED CT events with values.
        R"({"resourceType":"Observation","id":"bp","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2023-02-03T09:30:00+00:00","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":142,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":88,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})"
        "\n"
        // Height in centimetres becomes metres.
        R"({"resourceType":"Observation","id":"ht","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]},"subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018"},"effectiveDateTime":"2023-02-03","valueQuantity":{"value":162,"system":"http://unitsofmeasure.org","code":"cm"}})"
        "\n"
        // A LOINC code with no mapping is kept with its system.
        R"({"resourceType":"Observation","id":"x","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"12345-6"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2023-02-04"})"
        "\n"
        // Entered in error: excluded.
        R"({"resourceType":"Observation","id":"err","status":"entered-in-error","code":{"coding":[{"system":"http://snomed.info/sct","code":"60621009"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2023-02-04","valueQuantity":{"value":31}})"
        "\n"
        // A coded answer that is a SNOMED CT finding is stored as the finding.
        R"({"resourceType":"Observation","id":"smk","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"72166-2"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2022-01-01","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"77176002"}]}})"
        "\n";
    files["Condition.000.ndjson"] =
        R"({"resourceType":"Condition","id":"dm","verificationStatus":{"coding":[{"code":"confirmed"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"subject":{"reference":"Patient/a"},"onsetDateTime":"2001-07-01"})"
        "\n"
        R"({"resourceType":"Condition","id":"refuted","verificationStatus":{"coding":[{"code":"refuted"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]},"subject":{"reference":"Patient/a"},"onsetDateTime":"2001-07-01"})"
        "\n";
    files["MedicationRequest.000.ndjson"] =
        R"({"resourceType":"MedicationRequest","id":"m1","status":"completed","intent":"order","medicationCodeableConcept":{"coding":[{"system":"https://dmd.nhs.uk","code":"42084911000001109"}]},"subject":{"reference":"Patient/a"},"authoredOn":"2024-01-10","dispenseRequest":{"quantity":{"value":56}}})"
        "\n"
        R"({"resourceType":"MedicationRequest","id":"plan","status":"active","intent":"plan","medicationCodeableConcept":{"coding":[{"system":"https://dmd.nhs.uk","code":"42084911000001109"}]},"subject":{"reference":"Patient/a"},"authoredOn":"2023-01-10"})"
        "\n";
    files["Encounter.000.ndjson"] =
        R"({"resourceType":"Encounter","id":"ae","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"EMER"},"subject":{"reference":"Patient/a"},"period":{"start":"2023-05-01T22:00:00Z"},"serviceProvider":{"reference":"Organization/trust"}})"
        "\n"
        R"({"resourceType":"Encounter","id":"adm","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"priority":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActPriority","code":"EM"}]},"subject":{"reference":"Patient/a"},"period":{"start":"2023-05-02","end":"2023-05-06"},"serviceProvider":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RDZ"}}})"
        "\n"
        // The encounter of an appointment in the load: the appointment is the record.
        R"({"resourceType":"Encounter","id":"gpvisit","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/a"},"period":{"start":"2024-02-01T09:00:00Z"},"appointment":[{"reference":"Appointment/ap1"}]})"
        "\n";
    files["Appointment.000.ndjson"] =
        R"({"resourceType":"Appointment","id":"ap1","status":"fulfilled","start":"2024-02-01T09:00:00Z","end":"2024-02-01T09:15:00Z","created":"2024-01-20","extension":[{"url":"https://fhir.populus.example/StructureDefinition/appointment-mode","valueCode":"telephone"}],"participant":[{"actor":{"reference":"Patient/a"},"status":"accepted"},{"actor":{"reference":"Practitioner/p1"},"status":"accepted"}]})"
        "\n";
  }
  void Write(const std::string& dir) const {
    fs::create_directories(dir);
    for (const auto& [name, text] : files) WriteFile(dir + "/" + name, text);
  }
};

TEST(FhirIngest, HandMadeExportMapsEveryResourceAsDocumented) {
  TempDir dir;
  Export input;
  input.Write(dir / "in");
  IngestResult result;
  const Status st = Load(dir / "in", dir / "data", &result);
  ASSERT_TRUE(st.ok()) << st.message();
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  EXPECT_EQ(s->manifest()["patient_identifier"], "nhs-number-hmac-sha256");

  // The hierarchy from partOf (relative and absolute references); the trust
  // has no ICS type, so it is not an organisation of the snapshot.
  ASSERT_EQ(s->rows("organisations"), 3u);
  std::map<std::string, uint32_t> org;
  const ColumnFile& org_codes = s->column("organisations", "code");
  for (uint32_t o = 0; o < 3; ++o) org[std::string(org_codes.string(o))] = o;
  const auto parent = s->organisations().parent;
  const auto type = s->organisations().type;
  EXPECT_EQ(parent[org["J00001"]], org["U00001"]);
  EXPECT_EQ(parent[org["U00001"]], org["QVV"]);
  EXPECT_EQ(type[org["J00001"]], static_cast<uint8_t>(OrgType::kPractice));
  EXPECT_EQ(type[org["QVV"]], static_cast<uint8_t>(OrgType::kIcs));
  EXPECT_EQ(result.source_summary["resources"]["Organization"]["not_used"].get<uint64_t>(), 1u);

  // Patients: pseudonymised exactly as the CSV path does, same key.
  TempDir csv;
  populus::testing::ExtractFiles extract;
  extract.Write(csv / "extract");
  ASSERT_TRUE(
      populus::testing::IngestWithTestKey(csv / "extract", csv / "data", Day("2024-06-30")).ok());
  std::unique_ptr<Snapshot> from_csv;
  ASSERT_TRUE(Snapshot::Open(csv / "data", &from_csv).ok());
  std::map<std::string, uint32_t> csv_row;
  for (uint32_t p = 0; p < from_csv->rows("patients"); ++p) {
    csv_row[std::string(from_csv->patients().pseudonym[p])] = p;
  }
  ASSERT_EQ(s->rows("patients"), 2u);
  for (uint32_t p = 0; p < 2; ++p) {
    const std::string pseudonym(s->patients().pseudonym[p]);
    ASSERT_TRUE(csv_row.count(pseudonym)) << "pseudonym differs from the CSV path's";
    const uint32_t c = csv_row[pseudonym];
    for (const char* column : {"date_of_birth", "registered_from", "date_of_death"}) {
      EXPECT_EQ(s->column("patients", column).values<Date>()[p],
                from_csv->column("patients", column).values<Date>()[c])
          << column;
    }
    EXPECT_EQ(s->patients().sex[p], from_csv->patients().sex[c]);
  }
  // Patient a carries the populus extensions; find it by its LSOA.
  uint32_t a = 0;
  while (s->patients().lsoa.value(a) != "E01015432") ++a;
  EXPECT_EQ(s->patients().imd_decile[a], 3);
  EXPECT_EQ(s->patients().care_home[a], 1);
  EXPECT_EQ(s->patients().ethnicity.value(a), "494131000000105");
  EXPECT_EQ(s->patients().practice[a], org["J00001"]);

  // No NHS number, name or address anywhere in the data directory.
  for (const auto& f : fs::recursive_directory_iterator(dir / "data")) {
    if (!f.is_regular_file()) continue;
    const std::string text = populus::testing::ReadFile(f.path().string());
    for (const char* secret : {"9990000018", "999 000 0018", "9990000026", "Smith", "High St"}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << f.path();
    }
  }

  // Events: LOINC mapped to SNOMED CT with converted values; unmapped LOINC
  // kept with its system; the finding of a coded answer; the refuted
  // condition and the entered-in-error observation left out.
  EXPECT_EQ(EventsOf(*s, a), (std::multiset<std::pair<std::string, std::string>>{
                                 {"2001-07-01", "44054006"},
                                 {"2022-01-01", "77176002"},
                                 {"2023-02-03", "72313002"},
                                 {"2023-02-03", "1091811000000102"},
                                 {"2023-02-03", "50373000"},
                                 {"2023-02-04", "http://loinc.org|12345-6"}}));
  EventValues values(*s);
  const CodeColumn codes = s->events().code;
  auto [begin, end] = s->events().range(a);
  std::map<std::string, std::pair<float, std::string>> measured;
  for (uint64_t r = begin; r < end; ++r) {
    if (values.has(r)) {
      measured[std::string(codes.value(r))] = {values.value(r), std::string(values.unit(r))};
    }
  }
  EXPECT_EQ(measured["72313002"], std::make_pair(142.0f, std::string("mm[Hg]")));
  EXPECT_EQ(measured["1091811000000102"], std::make_pair(88.0f, std::string("mm[Hg]")));
  EXPECT_FLOAT_EQ(measured["50373000"].first, 1.62f);
  EXPECT_EQ(measured["50373000"].second, "m");
  const nlohmann::json& by_type = result.source_summary["resources"];
  EXPECT_EQ(by_type["Observation"]["excluded"].get<uint64_t>(), 1u);
  EXPECT_EQ(by_type["Condition"]["excluded"].get<uint64_t>(), 1u);
  EXPECT_EQ(by_type["MedicationRequest"]["excluded"].get<uint64_t>(), 1u);  // the plan
  EXPECT_EQ(by_type["Encounter"]["excluded"].get<uint64_t>(), 1u);          // the appointment's

  // One issue, with its quantity.
  ASSERT_EQ(s->rows("medications"), 1u);
  EXPECT_EQ(s->medications().dmd_code.value(0), "42084911000001109");
  EXPECT_EQ(s->medications().quantity[0], 56.0f);

  // A&E at the trust; an emergency admission of 4 days.
  ASSERT_EQ(s->rows("hospital_activity"), 2u);
  const auto setting = s->hospital_activity().setting;
  EXPECT_EQ(setting[0], static_cast<uint8_t>(HospitalSetting::kAe));
  EXPECT_EQ(setting[1], static_cast<uint8_t>(HospitalSetting::kEmergencyAdmission));
  EXPECT_EQ(s->hospital_activity().length_of_stay_days[1], 4);
  EXPECT_EQ(s->hospital_activity().provider.value(0), "RDZ");
  EXPECT_EQ(s->hospital_activity().provider.value(1), "RDZ");

  // The appointment: at the nurse's practice, by telephone, 15 minutes.
  ASSERT_EQ(s->rows("appointments"), 1u);
  uint8_t nurse;
  ASSERT_TRUE(ParseStaffRole("nurse", &nurse));
  EXPECT_EQ(s->appointments().staff_role[0], nurse);
  EXPECT_EQ(s->appointments().mode[0], static_cast<uint8_t>(AppointmentMode::kTelephone));
  EXPECT_EQ(s->appointments().status[0], static_cast<uint8_t>(AppointmentStatus::kAttended));
  EXPECT_EQ(s->appointments().duration_minutes[0], 15);
  EXPECT_EQ(FormatIsoDate(s->appointments().booked_date[0]), "2024-01-20");
  EXPECT_EQ(s->appointments().practice[0], org["J00001"]);
}

TEST(FhirIngest, PerPatientBundlesMayRepeatTheirPracticeWordForWordButNotDiffer) {
  TempDir dir;
  Export input;
  input.Write(dir / "in");
  // Each patient's Bundle carries the practice again, under its own fullUrl.
  const std::string practice =
      R"({"resourceType":"Organization","id":"gp2","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"J00002"}],"name":"Quay Surgery","type":[{"coding":[{"system":"https://digital.nhs.uk/services/organisation-data-service/CodeSystem/ODSOrganisationRole","code":"RO76"}]}],"partOf":{"reference":"Organization/pcn"}})";
  auto bundle = [&](const std::string& org_url, const std::string& nhs, const std::string& org) {
    return R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":")" + org_url +
           R"(","resource":)" + org + R"(},{"fullUrl":"urn:uuid:p)" + nhs +
           R"(","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
           nhs +
           R"("}],"gender":"female","birthDate":"1970-01-01","generalPractitioner":[{"reference":")" +
           org_url + R"("}]}}]})";
  };
  WriteFile(dir / "in/patient-1.json", bundle("urn:uuid:org-1", "9990000042", practice));
  WriteFile(dir / "in/patient-2.json", bundle("urn:uuid:org-2", "9990000050", practice));
  IngestResult result;
  const Status st = Load(dir / "in", dir / "data", &result);
  ASSERT_TRUE(st.ok()) << st.message();
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  const auto& orgs = s->organisations();
  uint32_t quay = 0;
  while (quay < orgs.rows && orgs.code[quay] != "J00002") ++quay;
  ASSERT_LT(quay, orgs.rows);  // loaded once
  size_t registered = 0;
  for (uint32_t p = 0; p < s->patients().rows; ++p) registered += s->patients().practice[p] == quay;
  EXPECT_EQ(registered, 2u);  // each through its own Bundle's fullUrl
  const nlohmann::json& org_counts = result.source_summary["resources"]["Organization"];
  // Not used: the repeat, and the export's trust (it has no populus type).
  EXPECT_EQ(org_counts["not_used"].get<uint64_t>(), 2u);
  EXPECT_EQ(org_counts["quarantined"].get<uint64_t>(), 0u);

  // The same id with another name is a conflict, and rejects the load.
  std::string renamed = practice;
  renamed.replace(renamed.find("Quay Surgery"), 12, "Quay Medical");
  WriteFile(dir / "in/patient-2.json", bundle("urn:uuid:org-2", "9990000050", renamed));
  IngestResult rejected;
  EXPECT_EQ(Load(dir / "in", dir / "data2", &rejected).kind(), Status::Kind::kData);
  const std::string quarantine = populus::testing::ReadFile(rejected.quarantine_file);
  EXPECT_NE(quarantine.find("patient-2.json,0,id,duplicate-resource"), std::string::npos)
      << quarantine;
}

TEST(FhirIngest, BundleUrnReferencesResolveAndBadResourcesAreQuarantinedWithTheirPlace) {
  TempDir dir;
  Export input;
  // Bad lines among good ones: each quarantined with file, line and reason.
  input.files["Condition.000.ndjson"] +=
      "{\"resourceType\":\"Condition\",\"id\":\"broken\",\n"  // line 3: malformed
      R"({"resourceType":"Condition","id":"dangling","code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"subject":{"reference":"Patient/nobody"},"onsetDateTime":"2001-07-01"})"
      "\n"  // line 4
      R"({"resourceType":"Condition","id":"partial","code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"subject":{"reference":"Patient/a"},"onsetDateTime":"2001-07"})"
      "\n"  // line 5
      R"({"resourceType":"Conditoin","id":"typo"})"
      "\n";  // line 6
  input.Write(dir / "in");
  // A transaction Bundle whose entries refer to each other by urn:uuid.
  WriteFile(dir / "in/bundle.json",
            R"({"resourceType":"Bundle","type":"transaction","entry":[
{"fullUrl":"urn:uuid:0b3a","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"gender":"female","birthDate":"2010-02-14","generalPractitioner":[{"reference":"Organization/gp"}]},"request":{"method":"POST","url":"Patient"}},
{"fullUrl":"urn:uuid:77c1","resource":{"resourceType":"Condition","code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]},"subject":{"reference":"urn:uuid:0b3a"},"onsetDateTime":"2015-03-03"},"request":{"method":"POST","url":"Condition"}},
{"fullUrl":"urn:uuid:77c2","resource":{"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140"}]},"patient":{"reference":"urn:uuid:0b3a"},"occurrenceDateTime":"2016-10-01"},"request":{"method":"POST","url":"Immunization"}}
]})");
  IngestResult result;
  const Status st = Load(dir / "in", dir / "data", &result);
  ASSERT_TRUE(st.ok()) << st.message();
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  ASSERT_EQ(s->rows("patients"), 3u);
  uint32_t child = 0;
  while (FormatIsoDate(s->patients().date_of_birth[child]) != "2010-02-14") {
    ++child;
  }
  EXPECT_EQ(EventsOf(*s, child),
            (std::multiset<std::pair<std::string, std::string>>{
                {"2015-03-03", "195967001"}, {"2016-10-01", "http://hl7.org/fhir/sid/cvx|140"}}));

  const std::string quarantine = populus::testing::ReadFile(result.quarantine_file);
  EXPECT_NE(quarantine.find("Condition.000.ndjson,3,,malformed-resource"), std::string::npos)
      << quarantine;
  EXPECT_NE(quarantine.find("Condition.000.ndjson,4,subject,dangling-reference"),
            std::string::npos);
  EXPECT_NE(quarantine.find("Patient/nobody"), std::string::npos);
  EXPECT_NE(quarantine.find("Condition.000.ndjson,5,onsetDateTime,invalid-date"),
            std::string::npos);
  EXPECT_NE(quarantine.find("Condition.000.ndjson,6,resourceType,unknown-resource-type"),
            std::string::npos);
  const nlohmann::json& by_type = result.source_summary["resources"];
  EXPECT_EQ(by_type["Condition"]["quarantined"].get<uint64_t>(), 2u);
  EXPECT_EQ(by_type["Conditoin"]["quarantined"].get<uint64_t>(), 1u);

  // The four bad lines count once each against --max-errors.
  IngestResult at_four;
  EXPECT_TRUE(Load(dir / "in", dir / "data", &at_four, "", "", false, 4).ok());
  IngestResult at_three;
  EXPECT_EQ(Load(dir / "in", dir / "data", &at_three, "", "", false, 3).kind(),
            Status::Kind::kData);
  EXPECT_NE(at_three.rejection.find("4 event"), std::string::npos) << at_three.rejection;
}

TEST(FhirIngest, ABadPatientRejectsTheLoadAndLeavesThePublishedSnapshotAlone) {
  TempDir dir;
  Export input;
  input.Write(dir / "good");
  IngestResult first;
  ASSERT_TRUE(Load(dir / "good", dir / "data", &first).ok());
  input.files["Patient.000.ndjson"] +=
      R"({"resourceType":"Patient","id":"c","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000042"}],"gender":"female","generalPractitioner":[{"reference":"Organization/gp"}]})"
      "\n";
  input.Write(dir / "bad");
  IngestResult second;
  const Status st = Load(dir / "bad", dir / "data", &second);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_FALSE(second.published);
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  EXPECT_EQ(s->version(), first.version);
  const std::string quarantine = populus::testing::ReadFile(second.quarantine_file);
  EXPECT_NE(quarantine.find("Patient.000.ndjson,3,birthDate,missing-element"), std::string::npos)
      << quarantine;
  EXPECT_EQ(quarantine.find("9990000042"), std::string::npos);
  // With --lenient the patient is quarantined and the rest loads.
  IngestResult third;
  ASSERT_TRUE(Load(dir / "bad", dir / "data", &third, "", "", true).ok());
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  EXPECT_EQ(s->rows("patients"), 2u);
}

// The published snapshot's version, or empty.
std::string PublishedVersion(const std::string& data_dir) {
  std::unique_ptr<Snapshot> s;
  if (!Snapshot::Open(data_dir, &s).ok()) return "";
  return s->version();
}

TEST(FhirIngest, ABrokenPatientOrOrganizationLineRejectsTheLoadUnlessLenient) {
  TempDir dir;
  Export good;
  good.Write(dir / "good");
  IngestResult first;
  ASSERT_TRUE(Load(dir / "good", dir / "data", &first).ok());
  struct Case {
    const char* name;
    std::string file, line;
    const char* quarantined;  // file,line,column,rule
    const char* rejection;
  };
  const std::vector<Case> cases = {
      // Cut short: the JSON does not parse, but its text names a Patient.
      {"truncated Patient", "Patient.000.ndjson",
       R"({"resourceType":"Patient","id":"c","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"99900)",
       "Patient.000.ndjson,3,,malformed-resource", "1 patient row"},
      // Names no resourceType at all: it is in the Patient file.
      {"Patient file line without a type", "Patient.000.ndjson",
       R"({"id":"c","birthDate":"1950-01-01"})", "Patient.000.ndjson,3,,malformed-resource",
       "1 patient row"},
      // In another file, but its text names a Patient.
      {"Patient text in the Condition file", "Condition.000.ndjson",
       R"({"resourceType": "Patient", "id": "c", "gender": "female")",
       "Condition.000.ndjson,3,,malformed-resource", "1 patient row"},
      {"truncated Organization", "Organization.000.ndjson",
       R"({"resourceType":"Organization","id":"gp2","name":"Ano)",
       "Organization.000.ndjson,5,,malformed-resource", "1 organisation row"},
      // A misspelt type in the Patient file is a lost Patient too.
      {"misspelt type in the Patient file", "Patient.000.ndjson",
       R"({"resourceType":"Patinet","id":"c"})",
       "Patient.000.ndjson,3,resourceType,unknown-resource-type", "1 patient row"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Export input;
    input.files[c.file] += c.line + "\n";
    const std::string in = dir / (std::string("in-") + c.name);
    input.Write(in);
    IngestResult rejected;
    EXPECT_EQ(Load(in, dir / "data", &rejected).kind(), Status::Kind::kData);
    EXPECT_FALSE(rejected.published);
    EXPECT_NE(rejected.rejection.find(c.rejection), std::string::npos) << rejected.rejection;
    EXPECT_EQ(PublishedVersion(dir / "data"), first.version);
    const std::string quarantine = populus::testing::ReadFile(rejected.quarantine_file);
    EXPECT_NE(quarantine.find(c.quarantined), std::string::npos) << quarantine;
    EXPECT_EQ(quarantine.find("99900"), std::string::npos);  // no part of an NHS number
    // With --lenient it is quarantined and the rest loads.
    IngestResult lenient;
    ASSERT_TRUE(Load(in, dir / "data", &lenient, "", "", true).ok());
    std::unique_ptr<Snapshot> s;
    ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
    EXPECT_EQ(s->rows("patients"), 2u);
    EXPECT_EQ(s->rows("organisations"), 3u);
    EXPECT_NE(populus::testing::ReadFile(lenient.quarantine_file).find(c.quarantined),
              std::string::npos);
    // Back to the first load's state for the next case.
    ASSERT_TRUE(Load(dir / "good", dir / "data", &first).ok());
  }
}

TEST(FhirIngest, APatientInAHistoryBundleRejectsTheLoadUnlessLenient) {
  TempDir dir;
  Export input;
  input.Write(dir / "in");
  // A history Bundle is not read: its Patient must not vanish unseen.
  WriteFile(dir / "in/history.json", R"({"resourceType":"Bundle","type":"history","entry":[
{"fullUrl":"https://server.example/fhir/Patient/h","resource":{"resourceType":"Patient","id":"h","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"gender":"female","birthDate":"2010-02-14","generalPractitioner":[{"reference":"Organization/gp"}]},"request":{"method":"PUT","url":"Patient/h"}},
{"fullUrl":"https://server.example/fhir/Condition/hc","resource":{"resourceType":"Condition","id":"hc","code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]},"subject":{"reference":"Patient/h"},"onsetDateTime":"2015-03-03"},"request":{"method":"PUT","url":"Condition/hc"}}
]})");
  IngestResult rejected;
  EXPECT_EQ(Load(dir / "in", dir / "data", &rejected).kind(), Status::Kind::kData);
  EXPECT_FALSE(rejected.published);
  EXPECT_NE(rejected.rejection.find("1 patient row"), std::string::npos) << rejected.rejection;
  const std::string quarantine = populus::testing::ReadFile(rejected.quarantine_file);
  EXPECT_NE(quarantine.find("history.json,0,,unread-bundle-type"), std::string::npos) << quarantine;
  EXPECT_NE(quarantine.find("history.json,1,,unread-bundle-type"), std::string::npos);
  IngestResult lenient;
  ASSERT_TRUE(Load(dir / "in", dir / "data", &lenient, "", "", true).ok());
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  EXPECT_EQ(s->rows("patients"), 2u);
}

TEST(FhirIngest, AnInputWithNothingToLoadIsRefusedAndThePublishedSnapshotStays) {
  TempDir dir;
  Export good;
  good.Write(dir / "good");
  IngestResult first;
  ASSERT_TRUE(Load(dir / "good", dir / "data", &first).ok());
  auto refused = [&](const std::string& in, Status::Kind kind, const char* says) {
    SCOPED_TRACE(in);
    for (bool lenient : {false, true}) {
      IngestResult result;
      const Status st = Load(in, dir / "data", &result, "", "", lenient);
      EXPECT_EQ(st.kind(), kind) << st.message();
      EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
      EXPECT_FALSE(result.published);
      EXPECT_EQ(PublishedVersion(dir / "data"), first.version);
    }
  };
  fs::create_directories(dir / "empty");
  refused(dir / "empty", Status::Kind::kUsage, "no .ndjson or .json file");
  WriteFile(dir / "other/notes.txt", "not FHIR");
  refused(dir / "other", Status::Kind::kUsage, "no .ndjson or .json file");
  WriteFile(dir / "blank/Patient.000.ndjson", "\n\n");
  WriteFile(dir / "blank/bundle.json", R"({"resourceType":"Bundle","type":"collection"})");
  refused(dir / "blank", Status::Kind::kData, "no FHIR resource could be read from its 2 file(s)");
  WriteFile(dir / "broken/Patient.000.ndjson", "{\"resourceType\":\"Patient\",\n");
  refused(dir / "broken", Status::Kind::kData, "Patient.000.ndjson line 1: malformed JSON");
  Export no_patients;
  no_patients.files.erase("Patient.000.ndjson");
  no_patients.Write(dir / "no-patients");
  refused(dir / "no-patients", Status::Kind::kData, "holds no Patient resource");
}

TEST(FhirIngest, DuplicateIdsAndFullUrlsAreQuarantinedWithWhereTheFirstIs) {
  TempDir dir;
  Export input;
  // Patient a again, with another NHS number.
  input.files["Patient.000.ndjson"] +=
      R"({"resourceType":"Patient","id":"a","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000042"}],"gender":"male","birthDate":"1960-01-01","generalPractitioner":[{"reference":"Organization/gp"}]})"
      "\n";
  // Condition dm twice: the second is quarantined, the first loads.
  const std::string& conditions = input.files["Condition.000.ndjson"];
  input.files["Condition.000.ndjson"] += conditions.substr(0, conditions.find('\n') + 1);
  input.Write(dir / "in");
  // Two entries with one fullUrl.
  WriteFile(dir / "in/bundle.json", R"({"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:77c1","resource":{"resourceType":"Condition","code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]},"subject":{"reference":"Patient/b"},"onsetDateTime":"2015-03-03"}},
{"fullUrl":"urn:uuid:77c1","resource":{"resourceType":"Condition","code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},"subject":{"reference":"Patient/b"},"onsetDateTime":"2016-03-03"}}
]})");
  IngestResult rejected;
  EXPECT_EQ(Load(dir / "in", dir / "data", &rejected).kind(), Status::Kind::kData);
  EXPECT_NE(rejected.rejection.find("1 patient row"), std::string::npos) << rejected.rejection;
  std::string quarantine = populus::testing::ReadFile(rejected.quarantine_file);
  EXPECT_NE(quarantine.find("Patient.000.ndjson,3,id,duplicate-resource"), std::string::npos)
      << quarantine;
  EXPECT_NE(quarantine.find("the first is at Patient.000.ndjson line 1"), std::string::npos);
  EXPECT_EQ(quarantine.find("9990000042"), std::string::npos);

  IngestResult lenient;
  ASSERT_TRUE(Load(dir / "in", dir / "data", &lenient, "", "", true).ok());
  quarantine = populus::testing::ReadFile(lenient.quarantine_file);
  EXPECT_NE(quarantine.find("Condition.000.ndjson,3,id,duplicate-resource"), std::string::npos)
      << quarantine;
  EXPECT_NE(quarantine.find("bundle.json,1,fullUrl,duplicate-resource"), std::string::npos);
  EXPECT_NE(quarantine.find("the first is at bundle.json entry 0"), std::string::npos);
  const nlohmann::json& by_type = lenient.source_summary["resources"];
  EXPECT_EQ(by_type["Patient"]["quarantined"].get<uint64_t>(), 1u);
  EXPECT_EQ(by_type["Condition"]["quarantined"].get<uint64_t>(), 2u);
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  ASSERT_EQ(s->rows("patients"), 2u);
  // Patient a is the first one (born 1940), with its diabetes once.
  uint32_t a = 0;
  while (s->patients().lsoa.value(a) != "E01015432") ++a;
  EXPECT_EQ(FormatIsoDate(s->patients().date_of_birth[a]), "1940-05-01");
  EXPECT_EQ(EventsOf(*s, a).count({"2001-07-01", "44054006"}), 1u);
  // Patient b has the first entry's condition only.
  const uint32_t b = 1 - a;
  EXPECT_EQ(EventsOf(*s, b),
            (std::multiset<std::pair<std::string, std::string>>{{"2015-03-03", "195967001"}}));
}

TEST(FhirIngest, ElementsOfTheWrongJsonTypeOrOutsideTheValueSetAreQuarantined) {
  TempDir dir;
  Export input;
  input.files["Patient.000.ndjson"] +=
      // 3: a number where FHIR has a dateTime
      R"({"resourceType":"Patient","id":"c","gender":"female","birthDate":"1950-01-01","deceasedDateTime":5,"generalPractitioner":[{"reference":"Organization/gp"}],"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000042"}]})"
      "\n"
      // 4: not an administrative gender
      R"({"resourceType":"Patient","id":"d","gender":"banana","birthDate":"1950-01-01","generalPractitioner":[{"reference":"Organization/gp"}],"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}]})"
      "\n"
      // 5: a birthDate as a number
      R"({"resourceType":"Patient","id":"e","gender":"male","birthDate":19500101,"generalPractitioner":[{"reference":"Organization/gp"}],"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000050"}]})"
      "\n";
  input.files["Observation.000.ndjson"] +=
      // 6: a string where FHIR has a decimal
      R"({"resourceType":"Observation","id":"sbp","status":"final","code":{"coding":[{"system":"http://snomed.info/sct","code":"72313002"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2023-03-01","valueQuantity":{"value":"140","unit":"mmHg"}})"
      "\n"
      // 7: the same in a component
      R"({"resourceType":"Observation","id":"bp2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2023-03-02","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":"150","code":"mm[Hg]","system":"http://unitsofmeasure.org"}}]})"
      "\n";
  input.files["Encounter.000.ndjson"] +=
      // 4: ends before it starts
      R"({"resourceType":"Encounter","id":"back","status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/a"},"period":{"start":"2023-06-10","end":"2023-06-02"}})"
      "\n"
      // 5: 22:00Z to 21:30-01:00 (22:30Z): in order, though the clock reads earlier
      R"({"resourceType":"Encounter","id":"tz","status":"finished","class":{"code":"EMER"},"subject":{"reference":"Patient/a"},"period":{"start":"2023-07-01T22:00:00Z","end":"2023-07-01T21:30:00-01:00"}})"
      "\n"
      // 6: 10:00Z to 10:30+02:00 (08:30Z): backwards, though the clock reads later
      R"({"resourceType":"Encounter","id":"tz2","status":"finished","class":{"code":"EMER"},"subject":{"reference":"Patient/a"},"period":{"start":"2023-07-02T10:00:00+00:00","end":"2023-07-02T10:30:00+02:00"}})"
      "\n";
  input.Write(dir / "in");
  IngestResult rejected;
  EXPECT_EQ(Load(dir / "in", dir / "data", &rejected).kind(), Status::Kind::kData);
  EXPECT_NE(rejected.rejection.find("3 patient row"), std::string::npos) << rejected.rejection;
  std::string quarantine = populus::testing::ReadFile(rejected.quarantine_file);
  for (const char* expected : {"Patient.000.ndjson,3,deceasedDateTime,invalid-json-type",
                               "Patient.000.ndjson,4,gender,invalid-value",
                               "Patient.000.ndjson,5,birthDate,invalid-json-type"}) {
    EXPECT_NE(quarantine.find(expected), std::string::npos) << expected << "\n" << quarantine;
  }
  EXPECT_NE(quarantine.find("'deceasedDateTime' is a number where FHIR requires a string"),
            std::string::npos);
  EXPECT_NE(quarantine.find("gender 'banana' is not an administrative gender"), std::string::npos);

  IngestResult lenient;
  ASSERT_TRUE(Load(dir / "in", dir / "data", &lenient, "", "", true).ok());
  quarantine = populus::testing::ReadFile(lenient.quarantine_file);
  for (const char* expected : {"Observation.000.ndjson,6,value,invalid-json-type",
                               "Observation.000.ndjson,7,value,invalid-json-type",
                               "Encounter.000.ndjson,4,period.end,invalid-period",
                               "Encounter.000.ndjson,6,period.end,invalid-period"}) {
    EXPECT_NE(quarantine.find(expected), std::string::npos) << expected << "\n" << quarantine;
  }
  EXPECT_EQ(quarantine.find("Encounter.000.ndjson,5,"), std::string::npos) << quarantine;
  EXPECT_NE(quarantine.find("'value' is a string where FHIR requires a number"), std::string::npos);
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  EXPECT_EQ(s->rows("patients"), 2u);
  EXPECT_EQ(s->rows("hospital_activity"), 3u);  // ae, adm and tz
  uint32_t a = 0;
  while (s->patients().lsoa.value(a) != "E01015432") ++a;
  for (const auto& [date, code] : EventsOf(*s, a)) {
    EXPECT_NE(date, "2023-03-01") << code;  // neither measurement is stored without its value
    EXPECT_NE(date, "2023-03-02") << code;
  }
}

TEST(FhirIngest, AByteOrderMarkAtTheStartOfAFileIsAccepted) {
  TempDir dir;
  Export input;
  for (auto& [name, text] : input.files) text = "\xEF\xBB\xBF" + text;
  input.Write(dir / "in");
  WriteFile(dir / "in/bundle.json",
            "\xEF\xBB\xBF"
            R"({"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:0b3a","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"gender":"female","birthDate":"2010-02-14","generalPractitioner":[{"reference":"Organization/gp"}]}}]})");
  IngestResult result;
  const Status st = Load(dir / "in", dir / "data", &result);
  ASSERT_TRUE(st.ok()) << st.message();
  std::unique_ptr<Snapshot> s;
  ASSERT_TRUE(Snapshot::Open(dir / "data", &s).ok());
  EXPECT_EQ(s->rows("patients"), 3u);
  EXPECT_EQ(s->rows("organisations"), 3u);
  const std::string quarantine = populus::testing::ReadFile(result.quarantine_file);
  EXPECT_EQ(std::count(quarantine.begin(), quarantine.end(), '\n'), 1) << quarantine;  // header
}

}  // namespace
}  // namespace populus::fhir
