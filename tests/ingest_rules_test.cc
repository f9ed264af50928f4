// One test per validation rule: a valid extract plus one bad row, and the
// quarantine must name the file, line, column and rule - and the load must be
// published or rejected as the policy says.
#include <gtest/gtest.h>

#include "extract/csv_reader.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "test_support.h"

namespace populus {
namespace {
using testing::ExtractFiles;
using testing::TempDir;

struct RuleCase {
  const char* name;
  const char* file;
  const char* bad_row;  // appended to the file (header added if the file is new)
  const char* column;
  const char* rule;
  bool rejects_load;
};

const char* HeaderFor(const std::string& file) {
  if (file == "events.csv") return "patient,date,snomed_code,numeric_value,unit\n";
  if (file == "medications.csv") return "patient,date,dmd_code,quantity\n";
  if (file == "appointments.csv") {
    return "practice_code,patient,date,booked_date,staff_role,mode,status,duration_minutes\n";
  }
  if (file == "hospital_activity.csv") return "patient,date,setting,provider,length_of_stay_days\n";
  return "";
}

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

class IngestRule : public ::testing::TestWithParam<RuleCase> {};

TEST_P(IngestRule, QuarantinesTheRowWithItsReason) {
  const RuleCase& c = GetParam();
  ::setenv("POPULUS_PSEUDO_KEY", testing::kTestKey, 1);
  TempDir extract, data;
  ExtractFiles x;
  std::string& text = x.files[c.file];
  if (text.empty()) text = HeaderFor(c.file);
  // A good row first, so the bad row's line number is known: header 1, good 2, bad 3.
  if (std::string(c.file) == "events.csv") text += "9990000018,2015-01-01,38341003,,\n";
  if (std::string(c.file) == "medications.csv")
    text += "9990000018,2015-01-01,42109611000001109,28\n";
  if (std::string(c.file) == "appointments.csv") {
    text += "J00001,9990000018,2019-01-07,,gp,face-to-face,attended,10\n";
  }
  if (std::string(c.file) == "hospital_activity.csv") text += "9990000018,2018-12-23,ae,RBD,\n";
  text += c.bad_row;
  text += "\n";
  x.Write(extract.path());

  IngestOptions o;
  o.extract_dir = extract.path();
  o.data_dir = data.path();
  o.extract_date = DaysFromCivil(2019, 6, 30);
  o.progress = ProgressBar::Mode::kNever;
  IngestResult r;
  const Status st = Ingest(o, &r);
  ::unsetenv("POPULUS_PSEUDO_KEY");
  if (c.rejects_load) {
    ASSERT_EQ(st.kind(), Status::Kind::kData) << st.message();
    EXPECT_FALSE(r.published);
    EXPECT_FALSE(std::filesystem::exists(data / "CURRENT"));
  } else {
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_TRUE(r.published);
  }

  CsvReader reader;
  ASSERT_TRUE(reader.Open(r.quarantine_file).ok());
  CsvRecord rec;
  ASSERT_TRUE(reader.Next(&rec));  // header
  ASSERT_TRUE(reader.Next(&rec)) << "nothing was quarantined";
  ASSERT_EQ(rec.fields.size(), 6u);
  EXPECT_EQ(rec.fields[0], c.file);
  const std::string expected_line = std::string(c.file) == "organisations.csv" ? "8"
                                    : std::string(c.file) == "patients.csv"    ? "5"
                                                                               : "3";
  EXPECT_EQ(rec.fields[1], expected_line);
  EXPECT_EQ(rec.fields[2], c.column);
  EXPECT_EQ(rec.fields[3], c.rule);
  EXPECT_FALSE(rec.fields[4].empty());
  EXPECT_FALSE(reader.Next(&rec)) << "more than one row was quarantined";
}

// clang-format off
const RuleCase kCases[] = {
  // organisations.csv: a bad row rejects the load.
  {"OrgUnknownParent", "organisations.csv", "J00009,New Surgery,practice,U99999,", "parent_code", "unknown-parent", true},
  {"OrgBadType", "organisations.csv", "J00009,New Surgery,surgery,U00001,", "type", "invalid-organisation-type", true},
  {"OrgDuplicate", "organisations.csv", "J00002,Copy,practice,U00001,", "code", "duplicate-organisation", true},
  {"OrgHierarchy", "organisations.csv", "U00009,Odd PCN,pcn,J00001,", "parent_code", "invalid-hierarchy", true},
  {"OrgColumnCount", "organisations.csv", "J00009,New Surgery,practice", "", "column-count", true},
  {"OrgPostcodeShape", "organisations.csv", "J00009,New Surgery,practice,U00001,AAA9 9AA", "postcode", "invalid-value", true},
  {"OrgNameNhsNumber", "organisations.csv", "J00009,Dr 999 000 0026,practice,U00001,", "name", "identifier-in-text", true},
  {"OrgPharmacyUnderSite", "organisations.csv", "FY001,Quay Pharmacy,pharmacy,J00001-S1,", "parent_code", "invalid-hierarchy", true},
  {"OrgPostcode", "organisations.csv", "J00009,New Surgery,practice,U00001,not a postcode", "postcode", "invalid-value", true},
  // patients.csv: a bad row rejects the load.
  {"PatientCheckDigit", "patients.csv", "9990000019,1950-01-01,F,J00001,2000-01-01,,,,,,", "nhs_number", "nhs-number", true},
  {"PatientNhsShape", "patients.csv", "99900000,1950-01-01,F,J00001,2000-01-01,,,,,,", "nhs_number", "nhs-number", true},
  {"PatientDuplicate", "patients.csv", "9990000018,1950-01-01,F,J00001,2000-01-01,,,,,,", "nhs_number", "duplicate-patient", true},
  {"PatientSex", "patients.csv", "9990000042,1950-01-01,X,J00001,2000-01-01,,,,,,", "sex", "unknown-sex", true},
  {"PatientPractice", "patients.csv", "9990000042,1950-01-01,F,U00001,2000-01-01,,,,,,", "practice_code", "unknown-practice", true},
  {"PatientBirthDate", "patients.csv", "9990000042,1950-02-30,F,J00001,2000-01-01,,,,,,", "date_of_birth", "invalid-date", true},
  {"PatientFutureBirth", "patients.csv", "9990000042,2020-01-01,F,J00001,2020-01-01,,,,,,", "date_of_birth", "future-date", true},
  {"PatientDeathBeforeBirth", "patients.csv", "9990000042,1950-01-01,F,J00001,2000-01-01,,1949-01-01,,,,", "date_of_death", "before-birth", true},
  {"PatientRegistration", "patients.csv", "9990000042,1950-01-01,F,J00001,2000-01-01,1999-01-01,,,,,", "registered_to", "registration-dates", true},
  {"PatientImd", "patients.csv", "9990000042,1950-01-01,F,J00001,2000-01-01,,,,11,,", "imd_decile", "out-of-range", true},
  {"PatientLsoa", "patients.csv", "9990000042,1950-01-01,F,J00001,2000-01-01,,,BH15,,,", "lsoa", "invalid-value", true},
  {"PatientCareHome", "patients.csv", "9990000042,1950-01-01,F,J00001,2000-01-01,,,,,,yes", "care_home", "invalid-value", true},
  {"PatientMissingBirth", "patients.csv", "9990000042,,F,J00001,2000-01-01,,,,,,", "date_of_birth", "missing-value", true},
  {"PatientRegisteredFuture", "patients.csv", "9990000042,1950-01-01,F,J00001,2020-01-01,,,,,,", "registered_from", "future-date", true},
  {"PatientRegisteredAfterDeath", "patients.csv", "9990000042,1950-01-01,F,J00001,2010-01-01,,2005-01-01,,,,", "registered_from", "registration-dates", true},
  {"PatientEmptySex", "patients.csv", "9990000042,1950-01-01,,J00001,2000-01-01,,,,,,", "sex", "missing-value", true},
  {"PatientEmptyPractice", "patients.csv", "9990000042,1950-01-01,F,,2000-01-01,,,,,,", "practice_code", "missing-value", true},
  {"PatientUtf8", "patients.csv", "9990000042,1950-01-01,F,J00001,2000-01-01,,,,,\xC3,", "", "invalid-utf8", true},
  // events.csv: bad rows are quarantined and the load goes on.
  {"EventImpossibleDate", "events.csv", "9990000018,2019-13-01,38341003,,", "date", "invalid-date", false},
  {"EventMalformedDate", "events.csv", "9990000018,01/02/2019,38341003,,", "date", "invalid-date", false},
  {"EventBeforeBirth", "events.csv", "9990000018,1939-01-01,38341003,,", "date", "before-birth", false},
  {"EventAfterDeath", "events.csv", "9990000026,2019-03-02,38341003,,", "date", "after-death", false},
  {"EventFuture", "events.csv", "9990000018,2019-07-01,38341003,,", "date", "future-date", false},
  {"EventUnknownPatient", "events.csv", "9990000042,2015-01-01,38341003,,", "patient", "unknown-patient", false},
  {"EventCheckDigit", "events.csv", "9990000019,2015-01-01,38341003,,", "patient", "nhs-number", false},
  {"EventCode", "events.csv", "9990000018,2015-01-01,38341013,,", "snomed_code", "invalid-code", false},
  {"EventValue", "events.csv", "9990000018,2015-01-01,72313002,high,mmHg", "numeric_value", "invalid-number", false},
  {"EventColumnCount", "events.csv", "9990000018,2015-01-01,38341003", "", "column-count", false},
  {"EventQuoting", "events.csv", "9990000018,2015-01-01,38\"341003,,", "", "csv-quoting", false},
  {"EventUtf8", "events.csv", "9990000018,2015-01-01,38341003,,\xFF", "", "invalid-utf8", false},
  {"EventCodeCheckDigit", "events.csv", "9990000018,2015-01-01,38341004,,", "snomed_code", "invalid-code", false},
  {"EventValueSigns", "events.csv", "9990000018,2015-01-01,72313002,+-5,mmHg", "numeric_value", "invalid-number", false},
  {"EventUnitNhsNumber", "events.csv", "9990000018,2015-01-01,72313002,140,9990000026", "unit", "identifier-in-text", false},
  {"EventMissingCode", "events.csv", "9990000018,2015-01-01,,,", "snomed_code", "missing-value", false},
  // medications, appointments, hospital activity.
  {"MedicationQuantity", "medications.csv", "9990000018,2015-01-01,42109611000001109,two", "quantity", "invalid-number", false},
  {"MedicationNegative", "medications.csv", "9990000018,2015-01-01,42109611000001109,-1", "quantity", "out-of-range", false},
  {"MedicationCode", "medications.csv", "9990000018,2015-01-01,metformin,28", "dmd_code", "invalid-code", false},
  {"AppointmentPractice", "appointments.csv", "J99999,,2019-01-07,,gp,face-to-face,attended,10", "practice_code", "unknown-practice", false},
  {"AppointmentRole", "appointments.csv", "J00001,,2019-01-07,,surgeon,face-to-face,attended,10", "staff_role", "invalid-value", false},
  {"AppointmentMode", "appointments.csv", "J00001,,2019-01-07,,gp,carrier-pigeon,attended,10", "mode", "invalid-value", false},
  {"AppointmentStatus", "appointments.csv", "J00001,,2019-01-07,,gp,telephone,maybe,10", "status", "invalid-value", false},
  {"AppointmentBooked", "appointments.csv", "J00001,,2019-01-07,2019-01-08,gp,telephone,attended,10", "booked_date", "invalid-date", false},
  {"AppointmentDuration", "appointments.csv", "J00001,,2019-01-07,,gp,telephone,attended,900", "duration_minutes", "out-of-range", false},
  {"AppointmentFutureAttended", "appointments.csv", "J00001,9990000018,2019-08-01,2019-06-01,gp,face-to-face,attended,10", "status", "invalid-value", false},
  {"AppointmentBookedFuture", "appointments.csv", "J00001,,2019-08-01,2019-07-01,gp,telephone,cancelled,10", "booked_date", "future-date", false},
  {"AppointmentBeyondHorizon", "appointments.csv", "J00001,,2020-08-01,,gp,telephone,cancelled,10", "date", "future-date", false},
  {"HospitalSetting", "hospital_activity.csv", "9990000018,2018-12-23,walk-in,RBD,", "setting", "invalid-value", false},
  {"HospitalStay", "hospital_activity.csv", "9990000018,2018-12-23,emergency-admission,RBD,-2", "length_of_stay_days", "out-of-range", false},
  {"HospitalProviderNhsNumber", "hospital_activity.csv", "9990000018,2018-12-23,ae,9990000026,", "provider", "identifier-in-text", false},
  {"HospitalAfterDeath", "hospital_activity.csv", "9990000026,2019-04-01,ae,RBD,", "date", "after-death", false},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Rules, IngestRule, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace populus
