#include "synth/medicines.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "common/snomed_id.h"
#include "synth/csv_lines.h"
#include "synth/random.h"
#include "synth/synthetic_ics.h"

namespace populus::synth {
namespace {

Date AddYears(Date d, double years) {
  return d + static_cast<Date>(std::lround(years * kDaysPerYear));
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
    const Date adult = AddCivilYears(person.birth, rule.min_age);  // the birthday
    if (trigger == nullptr) {
      start = AddYears(adult, delay);
    } else {
      start = std::max(AddYears(trigger->diagnosed, delay), adult);
      stop = trigger->resolved;
    }
    if (start == kNoDate || start > end || (stop != kNoDate && stop <= start)) continue;
    // At most one class of a group (one anticoagulant; an ACE inhibitor or an
    // ARB, not both): the first rule to start one wins.
    if (rule.group >= 0) {
      const bool taken = std::any_of(out->begin(), out->end(), [&](const Course& c) {
        return classes[c.drug_class].group == rule.group && c.drug_class != rule.drug_class;
      });
      if (taken) continue;
    }
    out->push_back({static_cast<uint16_t>(rule.drug_class), false, start, stop});
  }
  // Two reasons for one class give one prescription while they overlap, and
  // separate ones with a gap between (an SSRI for depression that resolved,
  // and again years later for anxiety).
  std::sort(out->begin(), out->end(), [](const Course& a, const Course& b) {
    return a.drug_class != b.drug_class ? a.drug_class < b.drug_class : a.start < b.start;
  });
  size_t kept = 0;
  for (size_t i = 0; i < out->size(); ++i) {
    Course& c = (*out)[i];
    if (kept > 0) {
      Course& last = (*out)[kept - 1];
      if (last.drug_class == c.drug_class && (last.stop == kNoDate || c.start <= last.stop)) {
        last.stop =
            (last.stop == kNoDate || c.stop == kNoDate) ? kNoDate : std::max(last.stop, c.stop);
        continue;
      }
    }
    (*out)[kept++] = c;
  }
  out->resize(kept);
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
      // Whether the rule applies is judged mid-year, which fixes how many
      // draws it takes; each course must then fall where it truly applies.
      const bool holds = age >= rule.min_age && (rule.trigger < 0 || person.Has(rule.trigger, mid));
      const uint64_t n = rng.Poisson(holds ? rule.value : 0.0);
      for (uint64_t k = 0; k < n; ++k) {
        const Date d = year_start + static_cast<Date>(rng.Below(year_end - year_start));
        if (d < from || d >= to || d < AddCivilYears(person.birth, rule.min_age)) continue;
        if (rule.trigger >= 0 && !person.Has(rule.trigger, d)) continue;
        out->push_back({static_cast<uint16_t>(rule.drug_class), true, d, d});
      }
    }
  }
}

int MedicineModel::DistinctDrugs(const Person& person, Date date, int days) const {
  std::vector<bool> seen(classes.size(), false);
  std::vector<Course> courses;
  Repeats(person, date, &courses);
  // The window (date - days, date], within the registration: what the
  // practice's record can show.
  const Date first = std::max(date - days + 1, person.registered_from);
  if (first > date) return 0;
  for (const Course& c : courses) {
    if (c.start <= date && (c.stop == kNoDate || c.stop > first)) seen[c.drug_class] = true;
  }
  AcuteCourses(person, first, date + 1, &courses);
  for (const Course& c : courses) seen[c.drug_class] = true;
  return static_cast<int>(std::count(seen.begin(), seen.end(), true));
}

const std::string& MedicineModel::Product(const Person& person, int drug_class) const {
  const DrugClass& c = classes[static_cast<size_t>(drug_class)];
  Stream rng(seed, Purpose::kMedicines, person.id, 100000 + static_cast<uint64_t>(drug_class));
  return rng.PickUsual(c.products, 0.6);
}

Status LoadMedicineModel(const std::string& rules_path, const std::string& codelist_dir,
                         const ConditionModel& model, uint64_t seed, MedicineModel* out) {
  *out = MedicineModel();
  out->seed = seed;
  const std::vector<std::string> header = {"trigger",     "class",   "kind", "value",
                                           "start_years", "min_age", "group"};
  std::vector<std::string> groups;
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
      if (!std::filesystem::is_regular_file(path)) {
        return Status::Data(fmt::format("{} line {}: class '{}' has no codelist '{}'", rules_path,
                                        row.line, name, path));
      }
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
    if (min_age != std::floor(min_age)) {
      return Status::Data(
          fmt::format("{} line {}: min_age must be a whole number of years", rules_path, row.line));
    }
    rule.min_age = static_cast<int>(min_age);
    const std::string& group = row.fields[6];
    if (!group.empty()) {
      auto g = std::find(groups.begin(), groups.end(), group);
      if (g == groups.end()) g = groups.insert(groups.end(), group);
      rule.group = static_cast<int>(g - groups.begin());
      DrugClass& c = out->classes[static_cast<size_t>(rule.drug_class)];
      if (c.group >= 0 && c.group != rule.group) {
        return Status::Data(fmt::format("{} line {}: class '{}' is already in another group",
                                        rules_path, row.line, c.name));
      }
      c.group = rule.group;
    }
    out->rules.push_back(rule);
  }
  if (out->classes.size() > 65535)
    return Status::Data(fmt::format("{}: too many classes", rules_path));
  return Status::Ok();
}

}  // namespace populus::synth
