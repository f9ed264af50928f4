// Every rule of the shipped rule files on its own hand-made patient: each
// register (diagnosed, resolved, too young), each eFI deficit, and each row
// of the Bridges to Health segments, as a clinician could check by eye.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "analysis/analyse.h"
#include "analysis/cohorts.h"
#include "analysis/criteria.h"
#include "analysis/frailty_index.h"
#include "analysis/registers.h"
#include "analysis/table.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "test_support.h"

namespace populus::analysis {
namespace {
using populus::testing::ExtractFiles;
using populus::testing::TempDir;

const std::string kSource = populus::testing::SourceDir();
const std::string kCodelists = kSource + "/data/codelists";
const Date kAsOf = DaysFromCivil(2019, 6, 30);

// An extract built patient by patient, in pseudonymised mode: patient ids
// P00001, P00002, ... in the order added, so a patient's row in the
// snapshot (sorted by pseudonym) is the order they were added in.
struct Patients {
  std::string patients =
      "patient_id,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death,"
      "lsoa,imd_decile,ethnicity,care_home\n";
  std::string events = "patient,date,snomed_code,numeric_value,unit\n";
  std::string medications = "patient,date,dmd_code,quantity\n";
  std::string hospital = "patient,date,setting,provider,length_of_stay_days\n";
  uint32_t count = 0;
  // A patient of this age on the as-of date; returns their row.
  uint32_t Add(int age, const char* sex = "F", bool care_home = false) {
    const int born = CivilFromDays(kAsOf).year - age;  // on 1 January: `age` on the date
    patients += fmt::format("P{:05d},{:04d}-01-01,{},J00001,{:04d}-01-01,,,,5,,{}\n", count + 1,
                            born, sex, std::max(born, 2000), care_home ? 1 : 0);
    return count++;
  }
  static std::string Id(uint32_t row) { return fmt::format("P{:05d}", row + 1); }
  void Event(uint32_t p, const char* date, const std::string& code, const std::string& value = "",
             const std::string& unit = "") {
    events += fmt::format("{},{},{},{},{}\n", Id(p), date, code, value, unit);
  }
  void Issue(uint32_t p, const char* date, const std::string& product) {
    medications += fmt::format("{},{},{},28\n", Id(p), date, product);
  }
  void Hospital(uint32_t p, const char* date, const char* setting) {
    hospital += fmt::format("{},{},{},RD3,\n", Id(p), date, setting);
  }
};

std::string FirstCode(const std::string& list, const char* role = "diagnosis") {
  Table t;
  EXPECT_TRUE(ReadTable(kCodelists + "/" + list, &t).ok()) << list;
  const int r = t.Column({"role"});
  for (const auto& row : t.rows) {
    if (r < 0 || row[static_cast<size_t>(r)] == role) return row[0];
  }
  return "";
}

class RuleFiles : public ::testing::Test {
 protected:
  void Load(const Patients& x) {
    ExtractFiles files;
    files.files["patients.csv"] = x.patients;
    files.files["events.csv"] = x.events;
    files.files["medications.csv"] = x.medications;
    files.files["hospital_activity.csv"] = x.hospital;
    files.Write(dir_ / "extract");
    IngestResult r;
    const Status st =
        populus::testing::IngestWithTestKey(dir_ / "extract", dir_ / "data", kAsOf, &r);
    ASSERT_TRUE(st.ok()) << st.message();
    for (const auto& f : r.files) ASSERT_EQ(f.rows_quarantined, 0u) << f.file;
    ASSERT_TRUE(Snapshot::Open(dir_ / "data", &snapshot_).ok());
    ASSERT_EQ(snapshot_->rows("patients"), x.count);
  }
  TempDir dir_;
  std::unique_ptr<Snapshot> snapshot_;
};

TEST_F(RuleFiles, EveryRegisterOnItsOwnPatients) {
  std::vector<RegisterRule> rules;
  const Status st =
      LoadRegisterRules(kSource + "/data/registers/ltc-registers.csv", kCodelists, &rules);
  ASSERT_TRUE(st.ok()) << st.message();
  // For each register: a patient diagnosed in 2015 (and meeting QOF's
  // qualifier), one diagnosed and then resolved, one too young.
  Patients x;
  struct Case {
    size_t rule;
    uint32_t on;
    int64_t resolved = -1, young = -1;
  };
  std::vector<Case> cases;
  for (size_t r = 0; r < rules.size(); ++r) {
    const RegisterRule& rule = rules[r];
    const int age = rule.max_age >= 0 ? std::min(rule.max_age, std::max(rule.min_age, 10))
                                      : std::max(rule.min_age, 50);
    Case c{r, x.Add(age)};
    x.Event(c.on, "2015-01-01", rule.diagnosis.front());
    if (rule.code == "AST") x.Issue(c.on, "2019-03-01", FirstCode("medicines/saba_inhalers.csv"));
    if (rule.code == "EP") x.Issue(c.on, "2019-05-01", FirstCode("medicines/antiepileptics.csv"));
    if (rule.code == "OB") x.Event(c.on, "2019-03-01", "60621009", "32", "kg/m2");
    if (!rule.resolved.empty()) {
      c.resolved = x.Add(age);
      x.Event(static_cast<uint32_t>(c.resolved), "2015-01-01", rule.diagnosis.front());
      x.Event(static_cast<uint32_t>(c.resolved), "2016-01-01", rule.resolved.front());
    }
    if (rule.min_age > 0) {
      c.young = x.Add(rule.min_age - 1);
      x.Event(static_cast<uint32_t>(c.young), "2015-01-01", rule.diagnosis.front());
    }
    cases.push_back(c);
  }
  Load(x);
  const RegisterResult result = EvaluateRegisters(*snapshot_, rules, kAsOf);
  auto on = [&](int64_t row, size_t r) {
    return (result.registers[static_cast<size_t>(row)] >> r & 1) != 0;
  };
  for (const Case& c : cases) {
    const std::string& code = rules[c.rule].code;
    EXPECT_TRUE(on(c.on, c.rule)) << code << ": diagnosed in 2015";
    if (c.resolved >= 0) {
      EXPECT_FALSE(on(c.resolved, c.rule)) << code << ": resolved in 2016";
    }
    if (c.young >= 0) {
      EXPECT_FALSE(on(c.young, c.rule)) << code << ": a year under its minimum age";
    }
  }
}

TEST_F(RuleFiles, EveryEfiDeficitOnItsOwnPatient) {
  EfiDefinition efi;
  const Status st =
      LoadEfiDefinition(kSource + "/data/frailty/efi-deficits.csv",
                        kSource + "/data/frailty/efi-categories.csv", kCodelists, &efi);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(efi.deficits.size(), 36u);
  // A 75-year-old for each coded deficit, with its first code, and one with
  // five distinct drugs in the year (polypharmacy).
  Patients x;
  std::vector<uint32_t> row(efi.deficits.size());
  for (size_t d = 0; d < efi.deficits.size(); ++d) {
    row[d] = x.Add(75);
    if (static_cast<int>(d) == efi.polypharmacy) {
      for (const char* list :
           {"medicines/statins.csv", "medicines/ace_inhibitors.csv", "medicines/levothyroxine.csv",
            "medicines/proton_pump_inhibitors.csv", "medicines/metformin.csv"}) {
        x.Issue(row[d], "2019-03-01", FirstCode(list));
      }
    } else {
      x.Event(row[d], "2015-01-01", efi.codes[d].front());
    }
  }
  Load(x);
  const std::vector<uint8_t> everyone(x.count, 1);
  const std::vector<int8_t> n = EvaluateEfi(*snapshot_, efi, everyone, kAsOf, 65);
  for (size_t d = 0; d < efi.deficits.size(); ++d) {
    EXPECT_EQ(n[row[d]], 1) << efi.deficits[d] << ": one code, one deficit";
  }
}

TEST_F(RuleFiles, EveryBridgesToHealthRowOnItsOwnPatient) {
  std::vector<RegisterRule> rules;
  ASSERT_TRUE(
      LoadRegisterRules(kSource + "/data/registers/ltc-registers.csv", kCodelists, &rules).ok());
  EfiDefinition efi;
  ASSERT_TRUE(LoadEfiDefinition(kSource + "/data/frailty/efi-deficits.csv",
                                kSource + "/data/frailty/efi-categories.csv", kCodelists, &efi)
                  .ok());
  CriteriaContext context;
  context.codelist_root = kCodelists;
  for (const auto& r : rules) context.registers.push_back(r.code);
  context.efi_categories = efi.categories;
  CriteriaSet set(context);
  Segmentation b2h;
  ASSERT_TRUE(LoadSegmentation(kSource + "/data/segments/bridges-to-health.csv", &set, &b2h).ok());
  // One patient per row of the file, meeting that row and no row before it.
  Patients x;
  std::vector<std::pair<uint32_t, std::string>> expect;
  auto diagnosed = [&](int age, const char* list, const char* segment, const char* sex = "F") {
    const uint32_t p = x.Add(age, sex);
    x.Event(p, "2015-01-01", FirstCode(list));
    expect.emplace_back(p, segment);
    return p;
  };
  diagnosed(80, "ltc/pc.csv", "END_OF_LIFE");        // register:PC
  diagnosed(60, "ltc/can.csv", "END_OF_LIFE");       // cancer in 5 years
  diagnosed(80, "ltc/dem.csv", "FRAILTY_DEMENTIA");  // register:DEM
  {                                                  // efi >= moderate
    const uint32_t p = x.Add(80);
    for (size_t d = 0, k = 0; d < efi.deficits.size() && k < 9; ++d) {
      if (static_cast<int>(d) == efi.polypharmacy || efi.codes[d].empty()) continue;
      // Deficits that are registers would put them in an earlier segment.
      const std::string& code = efi.codes[d].front();
      bool earlier = false;
      for (const char* list :
           {"ltc/pc.csv", "ltc/can.csv", "ltc/dem.csv", "ltc/hf.csv", "ltc/mnd.csv", "ltc/ld.csv",
            "ltc/cerebralp.csv", "ltc/ms.csv", "ltc/pd.csv", "efi/housebound.csv"}) {
        earlier = earlier || FirstCode(list) == code;
      }
      if (earlier) continue;
      x.Event(p, "2015-01-01", code);
      ++k;
    }
    expect.emplace_back(p, "FRAILTY_DEMENTIA");
  }
  {  // care_home and age >= 65
    const uint32_t p = x.Add(70, "F", true);
    expect.emplace_back(p, "FRAILTY_DEMENTIA");
  }
  diagnosed(70, "ltc/hf.csv", "ORGAN_FAILURE");  // register:HF
  {                                              // CKD with eGFR under 30
    const uint32_t p = diagnosed(70, "ltc/ckd.csv", "ORGAN_FAILURE");
    x.Event(p, "2019-01-01", "1011481000000105", "25", "mL/min/1.73m2");
    const uint32_t q = diagnosed(70, "ltc/ckd.csv", "LTC");  // eGFR 45: not organ failure
    x.Event(q, "2019-01-01", "1011481000000105", "45", "mL/min/1.73m2");
  }
  {  // COPD or liver disease with an emergency admission in the year
    x.Hospital(diagnosed(70, "ltc/copd.csv", "ORGAN_FAILURE"), "2019-02-01", "emergency-admission");
    x.Hospital(diagnosed(60, "ltc/cld.csv", "ORGAN_FAILURE"), "2019-02-01", "emergency-admission");
    diagnosed(70, "ltc/copd.csv", "LTC");  // no admission: a long-term condition
  }
  diagnosed(60, "ltc/mnd.csv", "ORGAN_FAILURE");
  diagnosed(30, "ltc/ld.csv", "DISABILITY");
  diagnosed(30, "ltc/cerebralp.csv", "DISABILITY");
  diagnosed(40, "ltc/ms.csv", "DISABILITY");
  diagnosed(60, "ltc/pd.csv", "DISABILITY");
  {  // housebound, coded in the year
    const uint32_t p = x.Add(50);
    x.Event(p, "2019-02-01", FirstCode("efi/housebound.csv"));
    expect.emplace_back(p, "DISABILITY");
  }
  diagnosed(50, "ltc/htn.csv", "LTC");
  expect.emplace_back(x.Add(0), "MATERNAL_INFANT");  // age < 1
  {                                                  // pregnant
    const uint32_t p = x.Add(30);
    x.Event(p, "2019-03-01", FirstCode("maternity/pregnancy.csv"));
    expect.emplace_back(p, "MATERNAL_INFANT");
  }
  {  // an emergency admission, then an A&E attendance, in the year
    const uint32_t p = x.Add(30, "M");
    x.Hospital(p, "2019-01-10", "emergency-admission");
    expect.emplace_back(p, "ACUTE");
    const uint32_t q = x.Add(30, "M");
    x.Hospital(q, "2019-01-10", "ae");
    expect.emplace_back(q, "ACUTE");
    const uint32_t r = x.Add(30, "M");
    x.Hospital(r, "2017-01-10", "ae");  // over a year ago
    expect.emplace_back(r, "HEALTHY");
  }
  expect.emplace_back(x.Add(30), "HEALTHY");
  Load(x);
  const RegisterResult registers = EvaluateRegisters(*snapshot_, rules, kAsOf);
  const std::vector<int8_t> deficits =
      EvaluateEfi(*snapshot_, efi, registers.in_population, kAsOf, 65);
  CriteriaSet::Evaluator e(set, *snapshot_, kAsOf);
  for (const auto& [p, segment] : expect) {
    const PatientState s = BasicPatientState(*snapshot_, registers, deficits, efi, p, kAsOf);
    e.Load(p);
    EXPECT_EQ(b2h.codes[static_cast<size_t>(b2h.Assign(e, s))], segment)
        << "patient " << Patients::Id(p) << " (age " << s.age << ")";
  }
}

}  // namespace
}  // namespace populus::analysis
