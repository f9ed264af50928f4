#include "synth/medicines.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "ingest/snomed_id.h"
#include "synth/csv_lines.h"
#include "synth/random.h"
#include "synth/synthetic_ics.h"

namespace populus::synth {
namespace {

constexpr double kDaysPerYear = 365.2425;

Date AddYears(Date d, double years) {
  return d + static_cast<Date>(std::lround(years * kDaysPerYear));
}

bool TriggerHolds(const Person& person, int trigger, Date date) {
  if (trigger < 0) return true;
  for (const Episode& e : person.episodes) {
    if (e.condition == trigger && e.RecordedOn(date)) return true;
  }
  return false;
}

}  // namespace

void MedicineModel::Repeats(const Person& person, Date end, std::vector<Course>* out) const {
  out->clear();
  for (size_t r = 0; r < rules.size(); ++r) {
    const MedicineRule& rule = rules[r];
    if (rule.acute) continue;
    // The first diagnosis of the trigger (none: the rule cannot apply, and
    // its stream is never needed).
    const Episode* trigger = nullptr;
    for (const Episode& e : person.episodes) {
      if (e.condition == rule.trigger && e.diagnosed != kNoDate) {
        trigger = &e;
        break;
      }
    }
    if (rule.trigger >= 0 && trigger == nullptr) continue;
    Stream rng(seed, Purpose::kMedicines, person.id, r);
    const double take = rng.Uniform();
    const double delay = -rule.start_years * std::log(1.0 - rng.Uniform());
    if (take >= rule.value) continue;
    Date start = kNoDate, stop = kNoDate;
    const Date adult = AddYears(person.birth, rule.min_age);
    if (trigger == nullptr) {
      start = AddYears(adult, delay);
    } else {
      start = std::max(AddYears(trigger->diagnosed, delay), adult);
      stop = trigger->resolved;
    }
    if (start == kNoDate || start > end || (stop != kNoDate && stop <= start)) continue;
    const auto same = std::find_if(
        out->begin(), out->end(), [&](const Course& c) { return c.drug_class == rule.drug_class; });
    if (same == out->end()) {
      out->push_back({static_cast<uint16_t>(rule.drug_class), false, start, stop});
    } else {
      // Two reasons for the same class: one prescription, over both spans.
      same->stop =
          (same->stop == kNoDate || stop == kNoDate) ? kNoDate : std::max(same->stop, stop);
      same->start = std::min(same->start, start);
    }
  }
}

void MedicineModel::AcuteCourses(const Person& person, Date from, Date to,
                                 std::vector<Course>* out) const {
  out->clear();
  from = std::max(from, person.birth);
  if (from >= to) return;
  // One stream per calendar year, so a course's date never depends on the
  // window asked for.
  for (int year = CivilFromDays(from).year; year <= CivilFromDays(to - 1).year; ++year) {
    const Date year_start = DaysFromCivil(year, 1, 1);
    const Date year_end = DaysFromCivil(year + 1, 1, 1);
    const Date mid = year_start + 182;
    const int age = AgeInYears(person.birth, std::max(mid, person.birth));
    Stream rng(seed, Purpose::kAcuteMedicines, person.id, static_cast<uint64_t>(year));
    for (const MedicineRule& rule : rules) {
      if (!rule.acute) continue;
      const bool holds = age >= rule.min_age && TriggerHolds(person, rule.trigger, mid);
      const uint64_t n = rng.Poisson(holds ? rule.value : 0.0);
      for (uint64_t k = 0; k < n; ++k) {
        const Date d = year_start + static_cast<Date>(rng.Below(year_end - year_start));
        if (d >= from && d < to && d >= person.birth) {
          out->push_back({static_cast<uint16_t>(rule.drug_class), true, d, d});
        }
      }
    }
  }
}

int MedicineModel::DistinctDrugs(const Person& person, Date date, int days) const {
  std::vector<bool> seen(classes.size(), false);
  std::vector<Course> courses;
  Repeats(person, date, &courses);
  const Date window = date - days;
  for (const Course& c : courses) {
    if (c.start <= date && (c.stop == kNoDate || c.stop > window)) seen[c.drug_class] = true;
  }
  AcuteCourses(person, window + 1, date + 1, &courses);
  for (const Course& c : courses) seen[c.drug_class] = true;
  return static_cast<int>(std::count(seen.begin(), seen.end(), true));
}

const std::string& MedicineModel::Product(const Person& person, int drug_class) const {
  const DrugClass& c = classes[static_cast<size_t>(drug_class)];
  Stream rng(seed, Purpose::kMedicines, person.id, 100000 + static_cast<uint64_t>(drug_class));
  if (c.products.size() == 1 || rng.Bernoulli(0.6)) return c.products[0];
  return c.products[1 + rng.Below(c.products.size() - 1)];
}

Status LoadMedicineModel(const std::string& rules_path, const std::string& codelist_dir,
                         const ConditionModel& model, uint64_t seed, MedicineModel* out) {
  *out = MedicineModel();
  out->seed = seed;
  const std::vector<std::string> header = {"trigger", "class",       "kind",
                                           "value",   "start_years", "min_age"};
  std::vector<DataRow> rows;
  POPULUS_RETURN_IF_ERROR(ReadDataFile(rules_path, header, &rows));
  for (const DataRow& row : rows) {
    MedicineRule rule;
    const std::string& trigger = row.fields[0];
    if (trigger != "*") {
      rule.trigger = model.index(trigger);
      if (rule.trigger < 0) {
        return Status::Data(
            fmt::format("{} line {}: trigger '{}' is not a simulated condition or deficit (or *)",
                        rules_path, row.line, trigger));
      }
    }
    const std::string& name = row.fields[1];
    auto known = std::find_if(out->classes.begin(), out->classes.end(),
                              [&](const DrugClass& c) { return c.name == name; });
    if (known == out->classes.end()) {
      DrugClass c;
      c.name = name;
      const std::string path = (std::filesystem::path(codelist_dir) / (name + ".csv")).string();
      std::vector<DataRow> products;
      POPULUS_RETURN_IF_ERROR(ReadDataFile(path, {"code", "term"}, &products));
      for (const DataRow& p : products) {
        if (!IsSnomedConceptId(p.fields[0])) {
          return Status::Data(fmt::format("{} line {}: '{}' is not a dm+d (SNOMED CT) id", path,
                                          p.line, p.fields[0]));
        }
        c.products.push_back(p.fields[0]);
        c.terms.push_back(p.fields[1]);
      }
      if (c.products.empty()) return Status::Data(fmt::format("{}: no products", path));
      std::string first = c.terms[0];
      std::transform(first.begin(), first.end(), first.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      c.inhaler = first.find("inhaler") != std::string::npos;
      out->classes.push_back(std::move(c));
      known = out->classes.end() - 1;
    }
    rule.drug_class = static_cast<int>(known - out->classes.begin());
    if (row.fields[2] != "repeat" && row.fields[2] != "acute") {
      return Status::Data(fmt::format("{} line {}: kind '{}' is not repeat or acute", rules_path,
                                      row.line, row.fields[2]));
    }
    rule.acute = row.fields[2] == "acute";
    double min_age = 0;
    POPULUS_RETURN_IF_ERROR(ParseNumber(rules_path, row, 3, header, &rule.value));
    POPULUS_RETURN_IF_ERROR(ParseNumber(rules_path, row, 4, header, &rule.start_years));
    POPULUS_RETURN_IF_ERROR(ParseNumber(rules_path, row, 5, header, &min_age));
    if (rule.value < 0 || (!rule.acute && rule.value > 1) || rule.value > 50) {
      return Status::Data(fmt::format(
          "{} line {}: value must be a probability (repeat) or 0-50 courses a year (acute)",
          rules_path, row.line));
    }
    if (rule.start_years < 0 || rule.start_years > 100 || min_age < 0 || min_age > 110) {
      return Status::Data(fmt::format("{} line {}: start_years must be 0-100 and min_age 0-110",
                                      rules_path, row.line));
    }
    rule.min_age = static_cast<int>(min_age);
    out->rules.push_back(rule);
  }
  if (out->classes.size() > 65535)
    return Status::Data(fmt::format("{}: too many classes", rules_path));
  return Status::Ok();
}

}  // namespace populus::synth
