// The rules of the synthetic record on hand-made people whose answers can be
// checked by eye: eFI deficits and categories, and prescribing rules.
#include <gtest/gtest.h>

#include <filesystem>

#include "synth/frailty.h"
#include "synth/generate.h"
#include "synth/medicines.h"
#include "test_support.h"

namespace populus::synth {
namespace {
using populus::testing::TempDir;
using populus::testing::WriteFile;

const std::string kSource = populus::testing::SourceDir();

Date D(int y, int m, int d) { return DaysFromCivil(y, m, d); }

class SynthRules : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status st =
        LoadSystem(kSource + "/data/ics/dorset-like.toml", kSource, std::nullopt, 1, &system_);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  int Index(const char* code) const {
    const int i = system_.model.index(code);
    EXPECT_GE(i, 0) << code;
    return i;
  }
  Episode Diagnosed(const char* code, Date on, Date resolved = kNoDate) const {
    Episode e;
    e.condition = static_cast<uint8_t>(Index(code));
    e.onset = e.diagnosed = on;
    e.resolved = resolved;
    return e;
  }
  Person Someone(Date birth) const {
    Person p;
    p.id = 42;
    p.birth = birth;
    p.registered_from = birth;
    p.practice = 0;
    p.area = system_.ics.practices[0].areas[0];
    p.sex = Sex::kFemale;
    return p;
  }
  SyntheticSystem system_;
};

TEST_F(SynthRules, TheEfiCountsDistinctDeficitsEverRecorded) {
  const ConditionModel& model = system_.model;
  ASSERT_EQ(model.frailty.deficits.size(), 36u);
  Person p = Someone(D(1935, 3, 1));
  p.episodes = {
      Diagnosed("AF", D(2010, 1, 1)),
      // Asthma and COPD are one deficit (respiratory disease), and asthma
      // that resolved still counts: the eFI counts codes ever recorded.
      Diagnosed("AST", D(1990, 1, 1), D(2000, 1, 1)),
      Diagnosed("COPD", D(2012, 1, 1)),
      Diagnosed("falls", D(2015, 6, 1)),
      Diagnosed("hearing_impairment", D(2016, 6, 1)),
      // Dementia and memory problems short of it are one deficit too.
      Diagnosed("DEM", D(2017, 1, 1)),
      Diagnosed("memory_cognitive_extra", D(2014, 1, 1)),
      // Not a deficit at all.
      Diagnosed("DEP", D(2011, 1, 1)),
  };
  EXPECT_EQ(CountEfiDeficits(model, p.episodes, D(2019, 6, 30), false), 5);
  EXPECT_EQ(CountEfiDeficits(model, p.episodes, D(2019, 6, 30), true), 6);  // + polypharmacy
  // Before the falls and hearing codes: AF, respiratory, memory.
  EXPECT_EQ(CountEfiDeficits(model, p.episodes, D(2015, 1, 1), false), 3);
  EXPECT_EQ(CountEfiDeficits(model, p.episodes, D(1989, 1, 1), false), 0);
}

TEST_F(SynthRules, EfiCategoriesFollowTheScoreBands) {
  const FrailtyModel& f = system_.model.frailty;
  // Score = deficits / 36: fit < 0.12 <= mild < 0.24 <= moderate < 0.36 <= severe.
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(0))], "fit");
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(4))], "fit");        // 0.111
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(5))], "mild");       // 0.139
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(8))], "mild");       // 0.222
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(9))], "moderate");   // 0.25
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(12))], "moderate");  // 0.333
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(13))], "severe");    // 0.361
  EXPECT_EQ(f.categories[static_cast<size_t>(f.Category(36))], "severe");
  // Too young to be assessed: no category.
  Person child = Someone(D(2010, 1, 1));
  EXPECT_EQ(PersonEfi(system_.model, nullptr, child, D(2019, 6, 30), 65).category, -1);
}

TEST_F(SynthRules, PrescribingFollowsTheRules) {
  TempDir dir;
  const std::string rules = dir / "rules.csv";
  WriteFile(rules,
            "trigger,class,kind,value,start_years,min_age,group\n"
            "DEP,ssri,repeat,1,0,12,\n"
            "ANX,ssri,repeat,1,0,12,\n"
            "AF,doacs,repeat,1,0,18,anticoagulant\n"
            "AF,warfarin,repeat,1,0,18,anticoagulant\n"
            "COPD,antibiotics,acute,20,0,18,\n");
  MedicineModel meds;
  const Status st =
      LoadMedicineModel(rules, kSource + "/data/codelists/medicines", system_.model, 7, &meds);
  ASSERT_TRUE(st.ok()) << st.message();
  Person p = Someone(D(1950, 5, 5));
  p.episodes = {Diagnosed("DEP", D(2005, 1, 1), D(2008, 1, 1)), Diagnosed("ANX", D(2015, 1, 1)),
                Diagnosed("AF", D(2012, 1, 1)), Diagnosed("COPD", D(2016, 7, 1))};
  std::vector<Course> courses;
  meds.Repeats(p, D(2019, 6, 30), &courses);
  auto class_of = [&](const Course& c) { return meds.classes[c.drug_class].name; };
  // An SSRI for depression until it resolved, and again for anxiety years
  // later: two courses, not one running through the gap.
  std::vector<std::pair<Date, Date>> ssri;
  int anticoagulants = 0;
  for (const Course& c : courses) {
    if (class_of(c) == "ssri") ssri.emplace_back(c.start, c.stop);
    if (class_of(c) == "doacs" || class_of(c) == "warfarin") ++anticoagulants;
    EXPECT_NE(class_of(c), "warfarin") << "one anticoagulant: the first rule's";
  }
  ASSERT_EQ(ssri.size(), 2u);
  EXPECT_EQ(ssri[0], std::make_pair(D(2005, 1, 1), D(2008, 1, 1)));
  EXPECT_EQ(ssri[1], std::make_pair(D(2015, 1, 1), kNoDate));
  EXPECT_EQ(anticoagulants, 1);
  // Antibiotics for COPD only once COPD is diagnosed, however many courses.
  meds.AcuteCourses(p, D(2010, 1, 1), D(2019, 6, 30), &courses);
  ASSERT_GT(courses.size(), 20u);
  for (const Course& c : courses) EXPECT_GE(c.start, D(2016, 7, 1));
  // On the baseline: an SSRI, a DOAC and antibiotics within the year.
  EXPECT_EQ(meds.DistinctDrugs(p, D(2019, 6, 30), 365), 3);
  // Nothing is counted from before the registration.
  p.registered_from = D(2019, 7, 1);
  EXPECT_EQ(meds.DistinctDrugs(p, D(2019, 6, 30), 365), 0);
}

}  // namespace
}  // namespace populus::synth
