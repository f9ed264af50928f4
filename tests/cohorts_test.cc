// Criteria, the Cambridge Multimorbidity Score, the Bridges to Health
// segments and the worklists on hand-made patients whose answers a clinician
// can check by eye; and the logistic regression behind the admission risk
// model on data with known coefficients.
#include "analysis/cohorts.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "analysis/admission_risk.h"
#include "analysis/analyse.h"
#include "analysis/cardiovascular_risk.h"
#include "analysis/criteria.h"
#include "analysis/frailty_index.h"
#include "analysis/indicators.h"
#include "analysis/registers.h"
#include "analysis/statistics.h"
#include "analysis/table.h"
#include "ingest/ingest.h"
#include "store/snapshot.h"
#include "test_support.h"

namespace populus::analysis {
namespace {
namespace fs = std::filesystem;
using populus::testing::ExtractFiles;
using populus::testing::TempDir;
using populus::testing::WriteFile;

const std::string kSource = populus::testing::SourceDir();
const std::string kCodelists = kSource + "/data/codelists";

// Each patient is told apart by year of birth (one infant, born in 2019).
// The date is 2019-06-30.
const char* kPatients =
    "nhs_number,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death\n"
    "9990000018,1940-01-01,F,J00001,2000-01-01,,\n"   // AF and dementia
    "9990000026,1941-01-01,M,J00001,2000-01-01,,\n"   // 4 laxative issues in the year
    "9990000034,1942-01-01,F,J00001,2000-01-01,,\n"   // 3 laxative issues in the year
    "9990000042,1943-01-01,M,J00001,2000-01-01,,\n"   // eGFR 55 then 65
    "9990000050,1944-01-01,F,J00001,2000-01-01,,\n"   // eGFR 58 then 55
    "9990000069,1945-01-01,M,J00001,2000-01-01,,\n"   // cancer first coded 2010
    "9990000077,1946-01-01,F,J00001,2000-01-01,,\n"   // cancer first coded 2017
    "9990000085,1947-01-01,M,J00001,2000-01-01,,\n"   // epilepsy, untreated this year
    "9990000093,1948-01-01,F,J00001,2000-01-01,,\n"   // epilepsy, treated
    "9990000107,1949-01-01,M,J00001,2000-01-01,,\n"   // antiepileptics x4, no epilepsy
    "9990000115,1950-01-01,F,J00001,2000-01-01,,\n"   // palliative care and dementia
    "9990000123,1951-01-01,M,J00001,2000-01-01,,\n"   // heart failure
    "9990000131,1990-01-01,F,J00001,2000-01-01,,\n"   // learning disability
    "9990000158,1980-01-01,M,J00001,2000-01-01,,\n"   // hypertension
    "9990000166,2019-01-01,F,J00001,2019-01-01,,\n"   // an infant
    "9990000174,1985-01-01,M,J00001,2000-01-01,,\n"   // A&E this year
    "9990000182,1975-01-01,F,J00001,2000-01-01,,\n"   // nothing recorded
    "9990000190,1970-01-01,M,J00001,2000-01-01,,\n"   // SMI: blood pressure only
    "9990000204,1960-01-01,F,J00001,2000-01-01,,\n"   // diabetes, HbA1c 80 this year
    "9990000212,1961-01-01,M,J00001,2000-01-01,,\n"   // diabetes, HbA1c 80 in 2017, 60 now
    "9990000220,1959-01-01,M,J00001,2000-01-01,,\n"   // QRISK3: every input recorded
    "9990000239,1958-01-01,F,J00001,2000-01-01,,\n"   // QRISK3: excluded (heart disease)
    "9990000247,1957-01-01,M,J00001,2000-01-01,,\n";  // QRISK3: blood pressure only

const char* kEvents =
    "patient,date,snomed_code,numeric_value,unit\n"
    "9990000018,2010-01-01,49436004,,\n"
    "9990000018,2015-01-01,52448006,,\n"
    "9990000042,2018-01-01,1011481000000105,55,mL/min/1.73m2\n"
    "9990000042,2019-01-01,1011481000000105,65,mL/min/1.73m2\n"
    "9990000050,2018-01-01,1011481000000105,58,mL/min/1.73m2\n"
    "9990000050,2019-01-01,1011481000000105,55,mL/min/1.73m2\n"
    "9990000069,2010-01-01,363346000,,\n"
    "9990000069,2018-01-01,363346000,,\n"
    "9990000077,2017-01-01,363346000,,\n"
    "9990000085,2000-01-01,84757009,,\n"
    "9990000093,2000-01-01,84757009,,\n"
    "9990000115,2018-01-01,52448006,,\n"
    "9990000115,2019-05-01,103735009,,\n"
    "9990000123,2016-01-01,84114007,,\n"
    "9990000131,2005-01-01,110359009,,\n"
    "9990000158,2012-01-01,38341003,,\n"
    "9990000190,2001-01-01,58214004,,\n"
    "9990000190,2017-05-01,60621009,27.5,kg/m2\n"
    "9990000190,2019-03-01,72313002,128,mm[Hg]\n"
    "9990000204,2010-01-01,44054006,,\n"
    "9990000204,2019-02-01,999791000000106,80,mmol/mol\n"
    "9990000212,2010-01-01,44054006,,\n"
    "9990000212,2017-01-01,999791000000106,80,mmol/mol\n"
    "9990000212,2019-01-01,999791000000106,60,mmol/mol\n"
    "9990000220,2010-01-01,38341003,,\n"
    "9990000220,2012-01-01,49436004,,\n"
    "9990000220,2013-01-01,72313002,190,mm[Hg]\n"  // more than 5 years ago
    "9990000220,2015-01-01,8517006,,\n"
    "9990000220,2016-01-01,72313002,140,mm[Hg]\n"
    "9990000220,2018-06-01,60621009,28,kg/m2\n"
    "9990000220,2018-06-01,1015681000000109,5,1\n"
    "9990000220,2019-01-01,72313002,150,mm[Hg]\n"
    "9990000239,2015-01-01,414545008,,\n"
    "9990000239,2019-01-01,72313002,150,mm[Hg]\n"
    "9990000247,2019-01-01,72313002,150,mm[Hg]\n";

std::string Medications() {
  std::string m = "patient,date,dmd_code,quantity\n";
  const char* months[] = {"2018-08-01", "2018-11-01", "2019-02-01", "2019-05-01"};
  for (int i = 0; i < 4; ++i) {
    m += std::string("9990000026,") + months[i] + ",317548002,60\n";  // senna
    if (i > 0) m += std::string("9990000034,") + months[i] + ",317548002,60\n";
    m += std::string("9990000107,") + months[i] + ",323054005,56\n";  // levetiracetam
  }
  m += "9990000034,2018-01-01,317548002,60\n";  // over a year ago
  m += "9990000093,2019-04-01,323054005,56\n";
  m += "9990000220,2019-05-01,42381211000001101,28\n";  // ramipril
  return m;
}

class HandMadePatients : public ::testing::Test {
 protected:
  void SetUp() override {
    ExtractFiles x;
    x.files["patients.csv"] = kPatients;
    x.files["events.csv"] = kEvents;
    x.files["medications.csv"] = Medications();
    x.files["hospital_activity.csv"] =
        "patient,date,setting,provider,length_of_stay_days\n"
        "9990000174,2019-01-01,ae,RD3,\n"
        "9990000158,2017-01-01,ae,RD3,\n";  // more than a year ago
    x.Write(dir_ / "extract");
    const Status st = populus::testing::IngestWithTestKey(dir_ / "extract", dir_ / "data", as_of_);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(Snapshot::Open(dir_ / "data", &snapshot_).ok());
    ASSERT_TRUE(
        LoadRegisterRules(kSource + "/data/registers/ltc-registers.csv", kCodelists, &rules_).ok());
    ASSERT_TRUE(LoadEfiDefinition(kSource + "/data/frailty/efi-deficits.csv",
                                  kSource + "/data/frailty/efi-categories.csv", kCodelists, &efi_)
                    .ok());
    context_.codelist_root = kCodelists;
    for (const auto& rule : rules_) context_.registers.push_back(rule.code);
    context_.efi_categories = efi_.categories;
    const auto birth = snapshot_->patients().date_of_birth;
    for (uint32_t p = 0; p < birth.size(); ++p) row_of_[CivilFromDays(birth[p]).year] = p;
    registers_ = EvaluateRegisters(*snapshot_, rules_, as_of_);
    deficits_ = EvaluateEfi(*snapshot_, efi_, registers_.in_population, as_of_, 65);
  }

  // The state of the patient born in `year`, with their record loaded.
  PatientState Load(CriteriaSet::Evaluator& e, int year) {
    const uint32_t p = row_of_.at(year);
    const PatientState s = BasicPatientState(*snapshot_, registers_, deficits_, efi_, p, as_of_);
    e.Load(p);
    return s;
  }

  TempDir dir_;
  const Date as_of_ = DaysFromCivil(2019, 6, 30);
  std::unique_ptr<Snapshot> snapshot_;
  std::vector<RegisterRule> rules_;
  EfiDefinition efi_;
  CriteriaContext context_;
  std::map<int, uint32_t> row_of_;
  RegisterResult registers_;
  std::vector<int8_t> deficits_;
};

TEST_F(HandMadePatients, CriteriaReadTheRecordInTheirWindows) {
  CriteriaSet set(context_);
  std::map<std::string, int> id;
  for (const char* text :
       {"issued:medicines/laxatives.csv in 365d >= 4", "issued:medicines/laxatives.csv >= 4",
        "latest:observations/egfr.csv < 60", "best_of_last_2:observations/egfr.csv < 60",
        "first:ltc/can.csv in 1826d", "coded:ltc/can.csv in 1826d", "ae_attendances in 365d >= 1",
        "ae_attendances >= 1", "register:DM and not register:HTN",
        "not coded:observations/bmi.csv in 365d", "age >= 78 and sex = female",
        "register:DEM and efi >= mild", "register:DEM and efi = fit", "efi = fit",
        "register:DM or register:HTN", "coded:ltc/can.csv since 2017-01-01",
        "age < 50 and sex = male or register:DEM"}) {
    ASSERT_TRUE(set.Add(text, "test", &id[text]).ok()) << text;
  }
  CriteriaSet::Evaluator e(set, *snapshot_, as_of_);
  auto holds = [&](int year, const char* text) {
    const PatientState s = Load(e, year);
    return e.Matches(id.at(text), s);
  };
  EXPECT_TRUE(holds(1941, "issued:medicines/laxatives.csv in 365d >= 4"));
  EXPECT_FALSE(holds(1942, "issued:medicines/laxatives.csv in 365d >= 4"));  // 3 in the year
  EXPECT_TRUE(holds(1942, "issued:medicines/laxatives.csv >= 4"));           // 4 ever
  EXPECT_FALSE(holds(1943, "latest:observations/egfr.csv < 60"));            // latest 65
  EXPECT_TRUE(holds(1944, "latest:observations/egfr.csv < 60"));
  EXPECT_FALSE(holds(1943, "best_of_last_2:observations/egfr.csv < 60"));  // best of 55, 65
  EXPECT_TRUE(holds(1944, "best_of_last_2:observations/egfr.csv < 60"));   // best of 58, 55
  EXPECT_FALSE(holds(1945, "first:ltc/can.csv in 1826d"));                 // first in 2010
  EXPECT_TRUE(holds(1945, "coded:ltc/can.csv in 1826d"));                  // coded again in 2018
  EXPECT_TRUE(holds(1946, "first:ltc/can.csv in 1826d"));
  EXPECT_FALSE(holds(1975, "first:ltc/can.csv in 1826d"));  // never: false
  EXPECT_TRUE(holds(1985, "ae_attendances in 365d >= 1"));
  EXPECT_FALSE(holds(1980, "ae_attendances in 365d >= 1"));  // in 2017
  EXPECT_TRUE(holds(1980, "ae_attendances >= 1"));
  EXPECT_TRUE(holds(1960, "register:DM and not register:HTN"));
  EXPECT_FALSE(holds(1980, "register:DM and not register:HTN"));
  EXPECT_TRUE(holds(1970, "not coded:observations/bmi.csv in 365d"));  // BMI in 2017
  EXPECT_TRUE(holds(1940, "age >= 78 and sex = female"));
  EXPECT_FALSE(holds(1941, "age >= 78 and sex = female"));
  // AF and dementia are 2 of 36 eFI deficits (0.056): fit, not mild.
  EXPECT_FALSE(holds(1940, "register:DEM and efi >= mild"));
  EXPECT_TRUE(holds(1940, "register:DEM and efi = fit"));
  EXPECT_FALSE(holds(1975, "efi = fit"));  // aged 44: not assessed
  EXPECT_TRUE(holds(1960, "register:DM or register:HTN"));
  EXPECT_TRUE(holds(1980, "register:DM or register:HTN"));
  EXPECT_FALSE(holds(1975, "register:DM or register:HTN"));
  EXPECT_TRUE(holds(1945, "coded:ltc/can.csv since 2017-01-01"));  // coded again in 2018
  EXPECT_TRUE(holds(1946, "coded:ltc/can.csv since 2017-01-01"));  // on the day
  EXPECT_FALSE(holds(1940, "coded:ltc/can.csv since 2017-01-01"));
  // "and" binds tighter than "or".
  EXPECT_TRUE(holds(1980, "age < 50 and sex = male or register:DEM"));
  EXPECT_TRUE(holds(1940, "age < 50 and sex = male or register:DEM"));
  EXPECT_FALSE(holds(1975, "age < 50 and sex = male or register:DEM"));
}

TEST_F(HandMadePatients, CambridgeMultimorbidityScore) {
  CriteriaSet set(context_);
  WeightedScore cms;
  const Status st =
      LoadWeightedScore(kSource + "/data/multimorbidity/cambridge-score.csv", &set, &cms);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(cms.codes.size(), 20u);  // the 20-condition general outcome score
  CriteriaSet::Evaluator e(set, *snapshot_, as_of_);
  auto score = [&](int year) {
    const PatientState s = Load(e, year);
    return cms.Score(e, s);
  };
  EXPECT_NEAR(score(1940), 1.34 + 2.50, 1e-9);  // atrial fibrillation, dementia
  EXPECT_NEAR(score(1941), 1.12, 1e-9);         // treated constipation
  EXPECT_NEAR(score(1942), 0, 1e-9);            // three laxative issues are not enough
  EXPECT_NEAR(score(1943), 0, 1e-9);            // the better eGFR is 65
  EXPECT_NEAR(score(1944), 0.53, 1e-9);         // chronic kidney disease
  EXPECT_NEAR(score(1945), 0, 1e-9);            // cancer first recorded over 5 years ago
  EXPECT_NEAR(score(1946), 1.53, 1e-9);         // cancer in the last 5 years
  EXPECT_NEAR(score(1947), 0, 1e-9);            // epilepsy without treatment this year
  EXPECT_NEAR(score(1948), 0.92, 1e-9);         // treated epilepsy
  EXPECT_NEAR(score(1949), 0.92, 1e-9);         // painful condition (antiepileptics, no epilepsy)
  EXPECT_NEAR(score(1980), 0.08, 1e-9);         // hypertension
  EXPECT_NEAR(score(1975), 0, 1e-9);
}

TEST_F(HandMadePatients, EveryoneIsInOneBridgesToHealthSegment) {
  CriteriaSet set(context_);
  Segmentation b2h;
  const Status st = LoadSegmentation(kSource + "/data/segments/bridges-to-health.csv", &set, &b2h);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(b2h.codes.size(), 8u);
  CriteriaSet::Evaluator e(set, *snapshot_, as_of_);
  auto segment = [&](int year) {
    const PatientState s = Load(e, year);
    return b2h.codes[static_cast<size_t>(b2h.Assign(e, s))];
  };
  EXPECT_EQ(segment(1950), "END_OF_LIFE");  // palliative care comes before dementia
  EXPECT_EQ(segment(1946), "END_OF_LIFE");  // cancer in the last 5 years
  EXPECT_EQ(segment(1940), "FRAILTY_DEMENTIA");
  EXPECT_EQ(segment(1951), "ORGAN_FAILURE");  // heart failure
  EXPECT_EQ(segment(1990), "DISABILITY");     // learning disability
  EXPECT_EQ(segment(1980), "LTC");            // hypertension
  EXPECT_EQ(segment(1945), "LTC");            // cancer over 5 years ago: a long-term condition
  EXPECT_EQ(segment(2019), "MATERNAL_INFANT");
  EXPECT_EQ(segment(1985), "ACUTE");
  EXPECT_EQ(segment(1975), "HEALTHY");
  EXPECT_EQ(segment(1941), "HEALTHY");  // laxatives alone are not a register condition
}

TEST_F(HandMadePatients, WorklistsGiveEveryReason) {
  CriteriaSet set(context_);
  std::vector<Worklist> lists;
  const Status st = LoadWorklists(kSource + "/data/worklists/worklists.csv", &set, &lists);
  ASSERT_TRUE(st.ok()) << st.message();
  CriteriaSet::Evaluator e(set, *snapshot_, as_of_);
  auto reasons = [&](int year, const std::string& list) {
    const PatientState s = Load(e, year);
    std::vector<std::string> out;
    for (const Worklist& w : lists) {
      if (w.code != list) continue;
      for (size_t k = 0; k < w.criteria.size(); ++k) {
        if (e.Matches(w.criteria[k], s)) out.push_back(w.reasons[k]);
      }
    }
    return out;
  };
  // Blood pressure this year, BMI in 2017, nothing else.
  const auto smi = reasons(1970, "SMI_NO_HEALTH_CHECK");
  EXPECT_EQ(smi,
            (std::vector<std::string>{"no BMI in 12 months", "no alcohol consumption in 12 months",
                                      "no cholesterol in 12 months", "no HbA1c in 12 months",
                                      "no smoking status in 12 months"}));
  EXPECT_TRUE(reasons(1980, "SMI_NO_HEALTH_CHECK").empty());  // no SMI
  EXPECT_EQ(reasons(1960, "DM_HBA1C_OVER_75").size(), 1u);
  EXPECT_TRUE(reasons(1961, "DM_HBA1C_OVER_75").empty());  // 80 in 2017, 60 now
  // The values shown beside the patient: the latest HbA1c.
  for (const Worklist& w : lists) {
    if (w.code != "DM_HBA1C_OVER_75") continue;
    ASSERT_GE(w.shown.size(), 1u);
    Load(e, 1961);
    EXPECT_EQ(e.Value(w.shown[0].value_id), 60);
  }
}

TEST_F(HandMadePatients, Qrisk3FromTheRecord) {
  CriteriaSet set(context_);
  CardiovascularRisk risk;
  rules::QriskFiles f;
  f.model = kSource + "/data/risk/qrisk3-2017.toml";
  f.record = kSource + "/data/risk/qrisk3-record.csv";
  f.smoking_amounts = kSource + "/data/risk/qrisk3-smoking-amounts.csv";
  f.ethnicity = kSource + "/data/risk/qrisk3-ethnicity.csv";
  f.ethnicity_codes = kCodelists + "/ethnicity-2011-census.csv";
  const Status st = risk.Load(f, kCodelists, &set);
  ASSERT_TRUE(st.ok()) << st.message();
  CriteriaSet::Evaluator e(set, *snapshot_, as_of_);
  const CardiovascularRisk::Reader reader(risk, *snapshot_, as_of_);
  double percent = 0;
  std::string missing;
  PatientState s = Load(e, 1959);
  ASSERT_EQ(reader.Score(row_of_.at(1959), s, e, &percent, &missing),
            CardiovascularRisk::Reader::Outcome::kScored)
      << missing;
  // The same inputs by hand: a 60-year-old man, ethnicity not recorded
  // (White or not stated), ex-smoker, BMI 28, ratio 5, latest systolic 150
  // with readings of 140 and 150 in 5 years (SD 7.07; the 190 of 2013 is
  // older), atrial fibrillation, hypertension treated with ramipril.
  Qrisk3Model model;
  ASSERT_TRUE(model.Load(f.model).ok());
  Qrisk3Input in;
  in.age = 60;
  in.ethrisk = 1;
  in.smoke_cat = 1;
  in.bmi = 28;
  in.rati = 5;
  in.sbp = 150;
  in.sbps5 = std::sqrt(50.0);
  in.flags = {{"b_AF", true}, {"b_treatedhyp", true}};
  double expected = 0;
  std::string reason;
  ASSERT_TRUE(model.Score(in, &expected, &reason)) << reason;
  EXPECT_NEAR(percent, expected, 1e-9);
  EXPECT_GT(percent, 10);
  s = Load(e, 1958);  // coronary heart disease: QRISK3 is not for her
  EXPECT_EQ(reader.Score(row_of_.at(1958), s, e, &percent, &missing),
            CardiovascularRisk::Reader::Outcome::kNotEligible);
  s = Load(e, 1957);
  EXPECT_EQ(reader.Score(row_of_.at(1957), s, e, &percent, &missing),
            CardiovascularRisk::Reader::Outcome::kNotScored);
  EXPECT_EQ(missing, "no cholesterol/HDL ratio; BMI in 5 years");
  s = Load(e, 1975);  // 44, nothing recorded
  EXPECT_EQ(reader.Score(row_of_.at(1975), s, e, &percent, &missing),
            CardiovascularRisk::Reader::Outcome::kNotScored);
  s = Load(e, 1940);  // 79 with AF and dementia: eligible, nothing measured
  EXPECT_EQ(reader.Score(row_of_.at(1940), s, e, &percent, &missing),
            CardiovascularRisk::Reader::Outcome::kNotScored);
  s = Load(e, 1990);  // 29
  EXPECT_EQ(reader.Score(row_of_.at(1990), s, e, &percent, &missing),
            CardiovascularRisk::Reader::Outcome::kNotScored);
  s = Load(e, 2019);  // an infant
  EXPECT_EQ(reader.Score(row_of_.at(2019), s, e, &percent, &missing),
            CardiovascularRisk::Reader::Outcome::kNotEligible);
}

TEST(Qrisk3FromRecord, BadMappingFilesAreRefused) {
  TempDir dir;
  CriteriaContext c;
  c.codelist_root = kCodelists;
  c.registers = {"CHD", "STIA", "PAD", "FH", "AF", "RA", "CKD", "SMI", "HTN", "DM"};
  rules::QriskFiles f;
  f.model = kSource + "/data/risk/qrisk3-2017.toml";
  f.record = kSource + "/data/risk/qrisk3-record.csv";
  f.smoking_amounts = dir / "amounts.csv";
  f.ethnicity = kSource + "/data/risk/qrisk3-ethnicity.csv";
  f.ethnicity_codes = kCodelists + "/ethnicity-2011-census.csv";
  WriteFile(f.smoking_amounts, "code,smoke_cat\n160603005,2\n160605003,7\n");
  CriteriaSet set(c);
  CardiovascularRisk risk;
  Status st = risk.Load(f, kCodelists, &set);
  EXPECT_EQ(st.kind(), Status::Kind::kData);
  EXPECT_NE(st.message().find("amounts.csv line 3: smoke_cat must be a whole number from 2 to 4"),
            std::string::npos)
      << st.message();
  // A record file naming an input QRISK3 does not have.
  WriteFile(f.smoking_amounts, "code,smoke_cat\n160603005,2\n");
  f.record = dir / "record.csv";
  WriteFile(f.record, "input,source\nb_gout,register:DM\n");
  CriteriaSet set2(c);
  CardiovascularRisk risk2;
  st = risk2.Load(f, kCodelists, &set2);
  EXPECT_NE(st.message().find("record.csv line 2: 'b_gout' is not exclude, a QRISK3 condition"),
            std::string::npos)
      << st.message();
}

TEST(Criteria, BadCriteriaAreRefusedWithWhereAndWhy) {
  CriteriaContext c;
  c.codelist_root = kCodelists;
  c.registers = {"DM", "HTN"};
  c.efi_categories = {"fit", "mild", "moderate", "severe"};
  CriteriaSet set(c);
  int id = 0;
  const std::pair<const char*, const char*> bad[] = {
      {"register:XYZ", "there is no register 'XYZ'"},
      {"age >= old", "'old' is not a number"},
      {"age", "expected a comparison"},
      {"efi >= frail", "'frail' is not an eFI category"},
      {"coded:ltc/none.csv", "is not a file"},
      {"coded:care-processes/ld_annual_health_check.csv", "has no codes"},
      {"coded:ltc/dm.csv in 12m", "is not a number of days"},
      {"latest:observations/hba1c.csv", "expected a comparison"},
      {"register:DM and", "empty clause"},
      {"register:DM or", "empty clause"},
      {"coded:ltc/dm.csv since 2006-13-01", "'since' needs a date"},
      {"blood_type = O", "is not something a criterion can test"},
      {"sex = other", "expected 'sex = female'"},
  };
  for (const auto& [text, why] : bad) {
    const Status st = set.Add(text, "rules.csv line 7", &id);
    EXPECT_EQ(st.kind(), Status::Kind::kData) << text;
    EXPECT_NE(st.message().find("rules.csv line 7"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(why), std::string::npos) << text << ": " << st.message();
  }
  EXPECT_EQ(set.size(), 0u);
}

TEST(Cohorts, BadGroupingFilesAreRefused) {
  TempDir dir;
  CriteriaContext c;
  c.codelist_root = kCodelists;
  c.registers = {"DM"};
  CriteriaSet set(c);
  Segmentation s;
  WriteFile(dir / "s.csv", "segment,name,criterion\nA,a,register:DM\nB,b,register:DM\n");
  Status st = LoadSegmentation(dir / "s.csv", &set, &s);
  EXPECT_NE(st.message().find("line 3: the last segment takes everyone else"), std::string::npos)
      << st.message();
  WriteFile(dir / "s.csv", "segment,name,criterion\nA,a,\nB,b,\n");
  st = LoadSegmentation(dir / "s.csv", &set, &s);
  EXPECT_NE(st.message().find("line 2: only the last segment"), std::string::npos) << st.message();
  WriteFile(dir / "s.csv",
            "segment,name,criterion\nA,a,register:DM\nB,b,age > 3\nA,a,age < 1\nC,c,\n");
  st = LoadSegmentation(dir / "s.csv", &set, &s);
  EXPECT_NE(st.message().find("line 4: the rows of 'A' must be together"), std::string::npos)
      << st.message();
  WeightedScore w;
  WriteFile(dir / "w.csv",
            "condition,name,weight,criterion\nX,x,0.5,register:DM\nX,x,0.6,age > 3\n");
  st = LoadWeightedScore(dir / "w.csv", &set, &w);
  EXPECT_NE(st.message().find("line 3: 'X' has a different weight"), std::string::npos)
      << st.message();
  std::vector<Worklist> lists;
  WriteFile(dir / "l.csv", "worklist,name,reason,criterion,show\nL,l,why,register:DM,shoe_size\n");
  st = LoadWorklists(dir / "l.csv", &set, &lists);
  EXPECT_NE(st.message().find("'shoe_size' is not a value a worklist can show"), std::string::npos)
      << st.message();
}

TEST(Indicators, TallyUsesThePublicHealthMethods) {
  // One indicator for people aged 40+, two practices in one PCN. Practice A:
  // 400 people aged 40-44, 40 on the numerator; practice B: 200 aged 40-44
  // (10) and 100 aged 85-89 (30).
  std::vector<Indicator> defs(1);
  defs[0].code = "X";
  defs[0].name = "x";
  IndicatorTally tally(defs, {2, 1, 1, 1});
  auto add = [&](int practice, int age, int numerator, int n, int imd_decile) {
    PersonGroups g;
    g.age = age;
    g.age_band_19 = age / 5;
    g.imd_quintile = (imd_decile + 1) / 2;
    g.sex = 0;
    for (int i = 0; i < n; ++i) tally.Add(0, {practice, 0, 0, 0}, g, i < numerator);
  };
  add(0, 42, 40, 400, 1);
  add(1, 42, 10, 200, 10);
  add(1, 87, 30, 100, 10);
  DisclosureRules rules;
  rules.round_to = 1;  // to check the arithmetic, no rounding
  // Both practices in the PCN, in the locality, in the ICS.
  const std::vector<std::vector<UnitRef>> parent = {{{1, 0}, {1, 0}}, {{2, 0}}, {{3, 0}}, {{}}};
  ASSERT_TRUE(tally.BreakdownsAddUp(0));
  const std::vector<ProtectedHierarchy> protected_counts = {
      ProtectHierarchy(tally.DisclosureCounts(0, parent, true), rules)};
  Table t;
  TempDir dir;
  WriteFile(dir / "i.csv",
            tally.IndicatorsCsv(
                [](size_t l, size_t u) {
                  return std::vector<std::string>{std::to_string(l), std::to_string(u), "n"};
                },
                protected_counts));
  ASSERT_TRUE(ReadTable(dir / "i.csv", &t).ok());
  ASSERT_EQ(t.rows.size(), 5u);  // 2 practices, 1 PCN, 1 locality, 1 ICS
  const auto& a = t.rows[0];
  EXPECT_EQ(a[5], "40");
  EXPECT_EQ(a[6], "400");
  const Estimate wilson = Proportion(40, 400, {0.95, 0.998}, 100);
  EXPECT_EQ(a[7], fmt::format("{:.3f}", wilson.value));
  EXPECT_EQ(a[8], fmt::format("{:.3f}", wilson.limits[0].lower));
  EXPECT_EQ(a[11], fmt::format("{:.3f}", wilson.limits[1].upper));
  // Standardised on the two bands the indicator uses (40-44 and 85-89):
  // practice A has nobody aged 85-89, so no DSR.
  EXPECT_EQ(a[12], "");
  const auto& b = t.rows[1];
  const auto& esp = EuropeanStandardPopulation2013();
  const Dsr dsr = DirectlyStandardisedRate({10, 30}, {200, 100}, {esp[8], esp[17]}, {0.95}, 100);
  EXPECT_EQ(b[12], fmt::format("{:.3f}", dsr.estimate.value));
  // Each practice against the ICS (80 of 700), as FunnelSignificance says.
  const auto sig = FunnelSignificance({{40, 40}, {400, 300}, {}}, FunnelOptions());
  EXPECT_EQ(a[15], sig[0]);
  EXPECT_EQ(b[15], sig[1]);
  EXPECT_EQ(t.rows[2][15], "Not significant");  // the one PCN, against itself
  EXPECT_EQ(t.rows[3][15], "");                 // localities are not compared
  // Inequalities: quintile 1 has practice A's 40 of 400, quintile 5 B's 40 of 300.
  WriteFile(dir / "q.csv", tally.InequalitiesCsv(protected_counts));
  ASSERT_TRUE(ReadTable(dir / "q.csv", &t).ok());
  std::map<std::string, std::pair<std::string, std::string>> by_group;
  for (const auto& row : t.rows) by_group[row[2] + "/" + row[3]] = {row[4], row[5]};
  EXPECT_EQ(by_group["imd_quintile/1 (most deprived 20%: Core20)"],
            (std::pair<std::string, std::string>{"40", "400"}));
  EXPECT_EQ(by_group["imd_quintile/5 (least deprived)"],
            (std::pair<std::string, std::string>{"40", "300"}));
  EXPECT_EQ(by_group["age_band/85+"], (std::pair<std::string, std::string>{"30", "100"}));
  // With the default rules, a group of 1-7 is withheld: nobody is "male" here
  // (0 is shown), and small cells vanish.
  IndicatorTally small(defs, {1, 1, 1, 1});
  PersonGroups g;
  g.age = 50;
  g.age_band_19 = 10;
  for (int i = 0; i < 20; ++i) small.Add(0, {0, 0, 0, 0}, g, i < 3);
  const std::vector<std::vector<UnitRef>> one = {{{1, 0}}, {{2, 0}}, {{3, 0}}, {{}}};
  WriteFile(dir / "s.csv",
            small.InequalitiesCsv({ProtectHierarchy(small.DisclosureCounts(0, one, true))}));
  ASSERT_TRUE(ReadTable(dir / "s.csv", &t).ok());
  for (const auto& row : t.rows) {
    if (row[2] == "sex" && row[3] == "female") {
      EXPECT_EQ(row[4], "");  // 3: withheld
      EXPECT_EQ(row[6], "");  // and so is its value
    }
  }
}

TEST(AdmissionRisk, AreaUnderCurveByHand) {
  // Pairs (admitted, not): (0.35, 0.1) yes, (0.35, 0.4) no, (0.8, 0.1) yes,
  // (0.8, 0.4) yes: 3 of 4.
  EXPECT_DOUBLE_EQ(AreaUnderCurve({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.75);
  // A tie between an admitted and a not admitted person counts half.
  EXPECT_DOUBLE_EQ(AreaUnderCurve({0.5f, 0.5f}, {0, 1}), 0.5);
  EXPECT_TRUE(std::isnan(AreaUnderCurve({0.5f, 0.2f}, {0, 0})));
}

TEST(AdmissionRisk, LogisticFitRecoversKnownCoefficients) {
  // 200,000 people, two binary features and a continuous one, outcomes drawn
  // from known coefficients; the fit recovers them within sampling error.
  const double truth[] = {-2.0, 1.0, -0.5, 1.5};
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  LogisticRows x;
  for (int r = 0; r < 200000; ++r) {
    const float a = u(rng) < 0.3 ? 1.f : 0.f, b = u(rng) < 0.5 ? 1.f : 0.f;
    const auto c = static_cast<float>(u(rng));
    const double eta = truth[0] + truth[1] * a + truth[2] * b + truth[3] * c;
    x.index.push_back(0);
    x.value.push_back(1);
    for (auto [i, v] : {std::pair{1, a}, std::pair{2, b}, std::pair{3, c}}) {
      if (v == 0) continue;
      x.index.push_back(static_cast<uint16_t>(i));
      x.value.push_back(v);
    }
    x.offsets.push_back(static_cast<uint32_t>(x.index.size()));
    x.outcome.push_back(u(rng) < 1 / (1 + std::exp(-eta)) ? 1 : 0);
  }
  AdmissionRiskOptions o;
  o.l2 = 0.01;
  std::vector<double> beta;
  int iterations = 0;
  bool converged = false;
  ASSERT_TRUE(FitLogistic(x, 4, o, &beta, &iterations, &converged));
  EXPECT_TRUE(converged);
  EXPECT_LT(iterations, 15);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(beta[static_cast<size_t>(i)], truth[i], 0.06) << i;
  // Stopped after one step: fitted, but not converged.
  o.max_iterations = 1;
  ASSERT_TRUE(FitLogistic(x, 4, o, &beta, &iterations, &converged));
  EXPECT_FALSE(converged);
  o.max_iterations = 30;
  // A heavy penalty pulls the coefficients (not the intercept) towards 0.
  o.l2 = 1e6;
  ASSERT_TRUE(FitLogistic(x, 4, o, &beta, &iterations, &converged));
  for (int i = 1; i < 4; ++i) EXPECT_LT(std::abs(beta[static_cast<size_t>(i)]), 0.05) << i;
}

}  // namespace
}  // namespace populus::analysis
