// The synthetic clinical record (src/synth/clinical_record.h), checked the way
// a clinician or an analyst would check a real extract: rows inside each
// person's registration, plausible values in the right units, treatment that
// follows diagnoses, activity that follows need, and practices that differ.
// One small system (about 50,000 registered) serves the whole suite: ctest
// generates it once (the fixture test in tests/CMakeLists.txt, and
// record_fixture.h); run by hand, the suite generates it there if absent.
#include "synth/clinical_record.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "common/snomed_id.h"
#include "common/vocabulary.h"
#include "extract/csv_reader.h"
#include "ingest/ingest.h"
#include "record_fixture.h"
#include "store/snapshot.h"
#include "synth/generate.h"
#include "test_support.h"

namespace populus::synth {
namespace {
namespace fs = std::filesystem;

const std::string kSource = populus::testing::SourceDir();
const Date kBaseline = DaysFromCivil(2019, 6, 30);

// Calls fn(fields) for every data row of a CSV file.
template <typename Fn>
void ForEachRow(const std::string& path, Fn fn) {
  CsvReader reader;
  ASSERT_TRUE(reader.Open(path).ok()) << path;
  CsvRecord rec;
  bool header = true;
  while (reader.Next(&rec)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> fields(rec.fields.begin(), rec.fields.end());
    fn(fields);
  }
}

std::set<std::string> Codes(const std::string& path) {
  std::set<std::string> codes;
  ForEachRow(path, [&](const std::vector<std::string>& f) { codes.insert(f[0]); });
  return codes;
}

Date ParseDate(const std::string& text) {
  Date d = kNoDate;
  EXPECT_EQ(ParseIsoDate(text, &d), DateParse::kOk) << text;
  return d;
}

struct Patient {
  Date birth, from, exit;
  Date death = kNoDate;
  std::string practice;
  bool registered;                   // at the baseline
  std::set<std::string> conditions;  // ltc codelist names on the record at the baseline
  int age() const { return AgeInYears(birth, kBaseline); }
};

class ClinicalRecord : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(populus::testing::RecordFixtureDir());
    populus::testing::EnsureRecordFixture();
    patients_ = new std::map<std::string, Patient>();
    ForEachRow(*dir_ + "/patients.csv", [](const std::vector<std::string>& f) {
      Patient p;
      p.birth = ParseDate(f[1]);
      p.from = ParseDate(f[4]);
      p.exit = f[5].empty() ? kBaseline : ParseDate(f[5]);
      p.practice = f[3];
      p.registered = f[5].empty();
      if (!f[6].empty()) p.death = ParseDate(f[6]);
      (*patients_)[f[0]] = p;
    });
    // Conditions on the record at the baseline, register style: the latest
    // diagnosis code is later than any resolved code (AST and CYP_AST share
    // their codes).
    std::map<std::string, std::vector<std::pair<std::string, bool>>> condition_of;
    for (const auto& entry : fs::directory_iterator(kSource + "/data/codelists/ltc")) {
      if (entry.path().extension() != ".csv") continue;
      ForEachRow(entry.path().string(), [&](const std::vector<std::string>& f) {
        condition_of[f[0]].emplace_back(entry.path().stem().string(), f[2] == "diagnosis");
      });
    }
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> dates;
    ForEachRow(*dir_ + "/events.csv", [&](const std::vector<std::string>& f) {
      auto c = condition_of.find(f[2]);
      if (c == condition_of.end()) return;
      for (const auto& [name, diagnosis] : c->second) {
        auto& [last_diagnosis, last_resolved] = dates[{f[0], name}];
        std::string& slot = diagnosis ? last_diagnosis : last_resolved;
        slot = std::max(slot, f[1]);
      }
    });
    for (const auto& [key, d] : dates) {
      if (d.first > d.second) (*patients_)[key.first].conditions.insert(key.second);
    }
  }
  static void TearDownTestSuite() {
    delete patients_;
    delete dir_;
  }
  static std::string File(const char* name) { return *dir_ + "/" + name; }
  static uint64_t Registered() {
    uint64_t n = 0;
    for (const auto& [id, p] : *patients_) n += p.registered;
    return n;
  }
  static const Patient& Of(const std::string& id) {
    auto it = patients_->find(id);
    EXPECT_NE(it, patients_->end()) << "row for an unknown patient " << id;
    return it->second;
  }
  static bool RegisteredLastYear(const Patient& p) {
    return p.registered && p.from <= kBaseline - 365;
  }

  static std::string* dir_;
  static std::map<std::string, Patient>* patients_;
};
std::string* ClinicalRecord::dir_ = nullptr;
std::map<std::string, Patient>* ClinicalRecord::patients_ = nullptr;

TEST_F(ClinicalRecord, EveryRowLiesWithinThePersonsRegistration) {
  uint64_t medications = 0, appointments = 0, hospital = 0;
  ForEachRow(File("medications.csv"), [&](const std::vector<std::string>& f) {
    const Patient& p = Of(f[0]);
    const Date d = ParseDate(f[1]);
    ASSERT_GE(d, p.from);
    ASSERT_LE(d, p.exit);
    ASSERT_TRUE(IsSnomedConceptId(f[2])) << f[2];
    ASSERT_GT(std::stod(f[3]), 0);
    ++medications;
  });
  std::set<std::string> practices;
  ForEachRow(File("organisations.csv"), [&](const std::vector<std::string>& f) {
    if (f[2] == "practice") practices.insert(f[0]);
  });
  ForEachRow(File("appointments.csv"), [&](const std::vector<std::string>& f) {
    const Patient& p = Of(f[1]);
    ASSERT_EQ(f[0], p.practice) << "an appointment at another practice";
    const Date d = ParseDate(f[2]), booked = ParseDate(f[3]);
    ASSERT_GE(d, p.from);
    ASSERT_LE(d, p.exit);
    ASSERT_LE(booked, d);
    ASSERT_GE(booked, p.from);
    uint8_t role;
    ASSERT_TRUE(ParseStaffRole(f[4], &role)) << f[4];
    AppointmentMode mode;
    ASSERT_TRUE(Parse(f[5], &mode)) << f[5];
    AppointmentStatus status;
    ASSERT_TRUE(Parse(f[6], &status)) << f[6];
    ASSERT_NE(f[6], "booked") << "every appointment in the record has happened";
    // A weekday (1970-01-01 was a Thursday).
    ASSERT_LT(((d % 7) + 7 + 3) % 7, 5) << f[2];
    ++appointments;
  });
  ForEachRow(File("hospital_activity.csv"), [&](const std::vector<std::string>& f) {
    const Patient& p = Of(f[0]);
    const Date d = ParseDate(f[1]);
    ASSERT_GE(d, p.from);
    ASSERT_LE(d, p.exit);
    HospitalSetting setting;
    ASSERT_TRUE(Parse(f[2], &setting)) << f[2];
    const bool admission = f[2] == "emergency-admission" || f[2] == "elective-admission";
    ASSERT_EQ(f[4].empty(), !admission) << "length of stay only for admissions";
    if (admission) {
      ASSERT_LE(d + std::stoi(f[4]), p.exit) << "discharged after the record ends";
    }
    ++hospital;
  });
  EXPECT_GT(medications, 100000u);
  EXPECT_GT(appointments, 100000u);
  EXPECT_GT(hospital, 50000u);
}

TEST_F(ClinicalRecord, ObservationsHavePlausibleValuesInTheirCodelistsUnits) {
  struct Range {
    double lo, hi;
  };
  const std::map<std::string, Range> ranges = {{"systolic_bp", {80, 240}},
                                               {"diastolic_bp", {40, 140}},
                                               {"bmi", {12, 70}},
                                               {"weight", {2, 300}},
                                               {"height", {0.45, 2.2}},
                                               {"hba1c", {25, 150}},
                                               {"total_cholesterol", {2, 12}},
                                               {"hdl_cholesterol", {0.5, 3.5}},
                                               {"cholesterol_hdl_ratio", {1, 15}},
                                               {"egfr", {10, 140}},
                                               {"serum_creatinine", {20, 900}},
                                               {"urine_acr", {0.1, 300}},
                                               {"alcohol_units", {0, 200}},
                                               {"audit_c", {0, 12}},
                                               {"pulse_rate", {40, 160}}};
  std::map<std::string, std::pair<std::string, std::string>> kind_of;  // code -> (name, unit)
  for (const auto& [name, range] : ranges) {
    ForEachRow(kSource + "/data/codelists/observations/" + name + ".csv",
               [&](const std::vector<std::string>& f) {
                 kind_of[f[0]] = {name, f[2]};
               });
  }
  std::map<std::string, uint64_t> seen;
  ForEachRow(File("events.csv"), [&](const std::vector<std::string>& f) {
    auto it = kind_of.find(f[2]);
    if (it == kind_of.end()) {
      ASSERT_TRUE(f[3].empty()) << "a value on a code that is not an observation: " << f[2];
      return;
    }
    const auto& [name, unit] = it->second;
    ASSERT_FALSE(f[3].empty()) << name << " without a value";
    const double v = std::stod(f[3]);
    EXPECT_GE(v, ranges.at(name).lo) << name;
    EXPECT_LE(v, ranges.at(name).hi) << name;
    EXPECT_EQ(f[4], unit) << name;
    ++seen[name];
  });
  for (const auto& [name, range] : ranges) EXPECT_GT(seen[name], 50u) << name << " never recorded";
}

// Latest value per patient of an observation codelist, as of the baseline.
std::map<std::string, double> Latest(const std::string& events, const std::string& observation) {
  const std::set<std::string> codes =
      Codes(kSource + "/data/codelists/observations/" + observation + ".csv");
  std::map<std::string, std::pair<std::string, double>> latest;
  ForEachRow(events, [&](const std::vector<std::string>& f) {
    if (!codes.count(f[2])) return;
    auto& slot = latest[f[0]];
    if (f[1] >= slot.first) slot = {f[1], std::stod(f[3])};
  });
  std::map<std::string, double> out;
  for (const auto& [id, v] : latest) out[id] = v.second;
  return out;
}

TEST_F(ClinicalRecord, ValuesFollowConditionsAndTreatment) {
  const auto hba1c = Latest(File("events.csv"), "hba1c");
  double dm_sum = 0, dm_n = 0, other_sum = 0, other_n = 0, dm_over_75 = 0;
  for (const auto& [id, v] : hba1c) {
    const Patient& p = Of(id);
    if (!p.registered) continue;
    if (p.conditions.count("dm")) {
      dm_sum += v;
      ++dm_n;
      dm_over_75 += v > 75;
    } else if (!p.conditions.count("ndh")) {
      other_sum += v;
      ++other_n;
    }
  }
  ASSERT_GT(dm_n, 500);
  ASSERT_GT(other_n, 100);
  EXPECT_GT(dm_sum / dm_n, 50);        // diabetes: mean in the 50s
  EXPECT_LT(other_sum / other_n, 42);  // below the diabetes threshold of 48
  // A real minority of people with diabetes are poorly controlled.
  EXPECT_GT(dm_over_75 / dm_n, 0.04);
  EXPECT_LT(dm_over_75 / dm_n, 0.25);

  const auto sbp = Latest(File("events.csv"), "systolic_bp");
  double htn = 0, htn_n = 0, normal = 0, normal_n = 0;
  for (const auto& [id, v] : sbp) {
    const Patient& p = Of(id);
    if (!p.registered || p.age() < 50 || p.age() >= 70) continue;
    (p.conditions.count("htn") ? htn : normal) += v;
    (p.conditions.count("htn") ? htn_n : normal_n) += 1;
  }
  ASSERT_GT(htn_n, 200);
  ASSERT_GT(normal_n, 200);
  EXPECT_GT(htn / htn_n, normal / normal_n + 3);
}

TEST_F(ClinicalRecord, MedicinesFollowDiagnoses) {
  const std::string medicines = kSource + "/data/codelists/medicines/";
  std::set<std::string> all;
  for (const auto& entry : fs::directory_iterator(medicines)) {
    if (entry.path().extension() != ".csv") continue;
    const auto codes = Codes(entry.path().string());
    all.insert(codes.begin(), codes.end());
  }
  const auto statins = Codes(medicines + "statins.csv");
  const auto saba = Codes(medicines + "saba_inhalers.csv");
  const auto levothyroxine = Codes(medicines + "levothyroxine.csv");
  std::map<std::string, std::set<std::string>> last_year;  // patient -> products
  ForEachRow(File("medications.csv"), [&](const std::vector<std::string>& f) {
    ASSERT_TRUE(all.count(f[2])) << f[2] << " is in no medicines codelist";
    if (ParseDate(f[1]) > kBaseline - 365) last_year[f[0]].insert(f[2]);
  });
  auto share_on = [&](const std::set<std::string>& drugs, auto in_group) {
    double n = 0, on = 0;
    for (const auto& [id, p] : *patients_) {
      if (!RegisteredLastYear(p) || !in_group(p)) continue;
      ++n;
      for (const std::string& d : last_year[id]) {
        if (drugs.count(d)) {
          ++on;
          break;
        }
      }
    }
    EXPECT_GT(n, 100);
    return on / n;
  };
  auto has = [](const char* c) {
    return [c](const Patient& p) { return p.conditions.count(c) > 0; };
  };
  EXPECT_GT(share_on(statins, has("chd")), 0.7);
  EXPECT_GT(share_on(saba, has("ast")), 0.8);
  EXPECT_GT(share_on(levothyroxine, has("thy")), 0.85);
  // Statins follow risk: far fewer in healthy people in mid life.
  EXPECT_LT(share_on(statins,
                     [](const Patient& p) {
                       return p.conditions.empty() && p.age() >= 40 && p.age() < 60;
                     }),
            0.15);
  // Polypharmacy rises with age.
  auto poly = [&](int lo, int hi) {
    double n = 0, many = 0;
    for (const auto& [id, p] : *patients_) {
      if (!RegisteredLastYear(p) || p.age() < lo || p.age() >= hi) continue;
      ++n;
      many += last_year[id].size() >= 5;
    }
    return many / n;
  };
  EXPECT_GT(poly(75, 120), 2 * poly(45, 65));
  EXPECT_GT(poly(75, 120), 0.2);
}

TEST_F(ClinicalRecord, ActivityFollowsNeedAndDidNotAttendFollowsAge) {
  std::map<std::string, int> emergency, appointments;
  ForEachRow(File("hospital_activity.csv"), [&](const std::vector<std::string>& f) {
    if (f[2] == "emergency-admission" && ParseDate(f[1]) > kBaseline - 2 * 365) ++emergency[f[0]];
  });
  uint64_t young = 0, young_dna = 0, old = 0, old_dna = 0, total = 0, dna = 0;
  ForEachRow(File("appointments.csv"), [&](const std::vector<std::string>& f) {
    ++appointments[f[1]];
    const Patient& p = Of(f[1]);
    const int age = AgeInYears(p.birth, ParseDate(f[2]));
    const bool missed = f[6] == "did-not-attend";
    ++total;
    dna += missed;
    if (age >= 18 && age < 36) {
      ++young;
      young_dna += missed;
    } else if (age >= 65) {
      ++old;
      old_dna += missed;
    }
  });
  const double dna_rate = static_cast<double>(dna) / static_cast<double>(total);
  EXPECT_GT(dna_rate, 0.02);
  EXPECT_LT(dna_rate, 0.09);
  EXPECT_GT(static_cast<double>(young_dna) / static_cast<double>(young),
            2 * static_cast<double>(old_dna) / static_cast<double>(old));

  // Emergency admissions and appointments among people with three or more
  // conditions against people with none, at the same ages.
  double rate[2] = {0, 0}, visits[2] = {0, 0}, n[2] = {0, 0};
  for (const auto& [id, p] : *patients_) {
    if (!p.registered || p.from > kBaseline - 2 * 365 || p.age() < 60 || p.age() >= 80) continue;
    const int group = p.conditions.size() >= 3 ? 1 : p.conditions.empty() ? 0 : -1;
    if (group < 0) continue;
    rate[group] += emergency[id];
    visits[group] += appointments[id];
    n[group] += 1;
  }
  ASSERT_GT(n[0], 100);
  ASSERT_GT(n[1], 100);
  EXPECT_GT(rate[1] / n[1], 2 * rate[0] / n[0]);
  EXPECT_GT(visits[1] / n[1], 1.5 * visits[0] / n[0]);
  // About five appointments a person a year overall.
  const double per_year = static_cast<double>(total) / 2 / static_cast<double>(Registered());
  EXPECT_GT(per_year, 3.5);
  EXPECT_LT(per_year, 7);
}

TEST_F(ClinicalRecord, PracticesDifferInHowManyDiabetesReviewsTheyComplete) {
  const auto reviews = Codes(kSource + "/data/codelists/care-processes/diabetes_annual_review.csv");
  std::set<std::string> reviewed;
  ForEachRow(File("events.csv"), [&](const std::vector<std::string>& f) {
    if (reviews.count(f[2]) && ParseDate(f[1]) > kBaseline - 365) reviewed.insert(f[0]);
  });
  std::map<std::string, std::pair<double, double>> by_practice;  // (diabetes, reviewed)
  for (const auto& [id, p] : *patients_) {
    if (!RegisteredLastYear(p) || !p.conditions.count("dm")) continue;
    by_practice[p.practice].first += 1;
    by_practice[p.practice].second += reviewed.count(id) > 0 ? 1.0 : 0.0;
  }
  double lo = 1, hi = 0;
  for (const auto& [practice, counts] : by_practice) {
    if (counts.first < 30) continue;
    lo = std::min(lo, counts.second / counts.first);
    hi = std::max(hi, counts.second / counts.first);
  }
  EXPECT_GT(hi - lo, 0.2) << "practices should differ: " << lo << " to " << hi;
  EXPECT_GT(hi, 0.6);
}

TEST_F(ClinicalRecord, FrailtyIsCodedForOlderPeopleMostlyAtTheirReviews) {
  std::vector<std::string> frail;  // mild, moderate, severe
  ForEachRow(kSource + "/data/codelists/ltc/frail.csv",
             [&](const std::vector<std::string>& f) { frail.push_back(f[0]); });
  ASSERT_EQ(frail.size(), 3u);
  const auto reviews = Codes(kSource + "/data/codelists/care-processes/frailty_review.csv");
  std::set<std::pair<std::string, std::string>> review_days;
  std::vector<std::tuple<std::string, std::string, size_t>> frailty_codes;
  ForEachRow(File("events.csv"), [&](const std::vector<std::string>& f) {
    if (reviews.count(f[2])) review_days.insert({f[0], f[1]});
    const auto it = std::find(frail.begin(), frail.end(), f[2]);
    if (it != frail.end()) frailty_codes.emplace_back(f[0], f[1], it - frail.begin());
  });
  ASSERT_GT(frailty_codes.size(), 100u);
  std::array<double, 3> coded{}, at_review{};
  for (const auto& [id, date, category] : frailty_codes) {
    EXPECT_GE(AgeInYears(Of(id).birth, ParseDate(date)), 65);
    coded[category] += 1;
    at_review[category] += review_days.count({id, date}) > 0 ? 1.0 : 0.0;
  }
  // Every category is coded; mild frailty is found by identification (no
  // review), moderate and severe mostly at frailty reviews.
  for (double n : coded) EXPECT_GT(n, 20);
  EXPECT_EQ(at_review[0], 0);
  EXPECT_GT((at_review[1] + at_review[2]) / (coded[1] + coded[2]), 0.4);
}

TEST_F(ClinicalRecord, PalliativeCareIsRecognisedInTheLastYearOfLife) {
  std::set<std::string> palliative;
  ForEachRow(kSource + "/data/codelists/ltc/pc.csv", [&](const std::vector<std::string>& f) {
    if (f[2] == "diagnosis") palliative.insert(f[0]);
  });
  std::set<std::string> in_last_year, in_year_before_baseline;
  ForEachRow(File("events.csv"), [&](const std::vector<std::string>& f) {
    if (!palliative.count(f[2])) return;
    const Patient& p = Of(f[0]);
    const Date d = ParseDate(f[1]);
    if (p.death != kNoDate && p.death - d <= 365) in_last_year.insert(f[0]);
    if (p.registered && d > kBaseline - 365) in_year_before_baseline.insert(f[0]);
  });
  double died = 0, recognised = 0, alive = 0, coded = 0;
  for (const auto& [id, p] : *patients_) {
    if (p.death != kNoDate && p.death - p.from > 365) {
      ++died;
      recognised += in_last_year.count(id) > 0 ? 1.0 : 0.0;
    }
    if (p.registered && p.age() >= 60 && p.age() < 80) {
      ++alive;
      coded += in_year_before_baseline.count(id) > 0 ? 1.0 : 0.0;
    }
  }
  ASSERT_GT(died, 1000);
  // About four in ten deaths are recognised; few of the living are coded.
  EXPECT_GT(recognised / died, 0.25);
  EXPECT_LT(recognised / died, 0.7);
  EXPECT_LT(coded / alive, 0.05);
}

// The event-like rows of a load wait on disk in buckets of patients (of
// practices, for appointments) and are sorted and written a bucket at a
// time. The snapshot must not depend on the bucket sizes: loading the
// generated extract in one bucket and in buckets of 997 patients and 3
// organisations, cutting across practices and PCNs, gives the same bytes in
// every column.
TEST_F(ClinicalRecord, LoadingInSmallBucketsGivesTheSameSnapshotAsInOne) {
  ::setenv("POPULUS_PSEUDO_KEY", testing::kTestKey, 1);
  auto load = [&](const std::string& data, size_t patients, size_t organisations) {
    IngestOptions o;
    o.extract_dir = *dir_;
    o.data_dir = data;
    o.extract_date = kBaseline;
    o.progress = ProgressBar::Mode::kNever;
    o.patients_per_bucket = patients;
    o.organisations_per_bucket = organisations;
    IngestResult r;
    const Status st = Ingest(o, &r);
    EXPECT_TRUE(st.ok()) << st.message();
    std::unique_ptr<Snapshot> s;
    EXPECT_TRUE(Snapshot::Open(data, &s).ok());
    return s;
  };
  testing::TempDir one, many;
  const auto whole = load(one / "data", size_t{1} << 30, size_t{1} << 30);
  const auto cut = load(many / "data", 997, 3);
  ::unsetenv("POPULUS_PSEUDO_KEY");
  ASSERT_TRUE(whole && cut);
  ASSERT_GT(whole->manifest()["tables"]["patients"]["rows"].get<uint64_t>(),
            997u * 10);  // many buckets
  ASSERT_GT(whole->manifest()["tables"]["appointments"]["rows"].get<uint64_t>(), 0u);
  size_t columns = 0;
  for (const auto& [table, t] : whole->manifest()["tables"].items()) {
    EXPECT_EQ(t["rows"], cut->manifest()["tables"][table]["rows"]) << table;
    for (const auto& [column, c] : t["columns"].items()) {
      EXPECT_EQ(c["checksum"], cut->manifest()["tables"][table]["columns"][column]["checksum"])
          << table << "." << column;
      ++columns;
    }
  }
  EXPECT_GT(columns, 30u);
}

}  // namespace
}  // namespace populus::synth
