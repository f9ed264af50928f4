#include "synth/project.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "common/file_io.h"
#include "synth/conditions.h"

namespace populus::synth {
namespace fs = std::filesystem;

namespace {

// The measurement date of a projected year: the baseline's day and month.
Date DateInYear(Date baseline, int year) {
  const YearMonthDay b = CivilFromDays(baseline);
  return DaysFromCivil(year, b.month, std::min(b.day, DaysInMonth(year, b.month)));
}

std::vector<ProjectedYear> Measure(const IcsConfig& config, const ConditionModel& model,
                                   const std::vector<Person>& people, int to_year) {
  const int first = CivilFromDays(config.baseline_date).year;
  std::vector<ProjectedYear> years;
  for (int year = first; year <= to_year; ++year) {
    const Date on = DateInYear(config.baseline_date, year);
    const Date year_before = DateInYear(config.baseline_date, year - 1);
    ProjectedYear y;
    y.year = year;
    y.condition_people.assign(model.conditions.size(), 0);
    uint64_t over_70 = 0, under_20 = 0, one_plus = 0, three_plus = 0;
    for (const Person& p : people) {
      // Births: babies registered within six weeks of birth (not the young
      // children who arrive from elsewhere).
      if (p.birth > year_before && p.birth <= on && p.registered_from - p.birth <= 42) ++y.births;
      if (p.death != kNoDate && p.death > year_before && p.death <= on) ++y.deaths;
      if (!RegisteredOn(p, on)) continue;
      ++y.registered;
      const int age = AgeInYears(p.birth, on);
      over_70 += age >= 70 ? 1 : 0;
      under_20 += age < 20 ? 1 : 0;
      int conditions = 0;
      for (const Episode& e : p.episodes) {
        if (!e.RecordedOn(on)) continue;
        conditions += model.conditions[e.condition].deficit ? 0 : 1;
        ++y.condition_people[e.condition];
      }
      one_plus += conditions >= 1 ? 1 : 0;
      three_plus += conditions >= 3 ? 1 : 0;
    }
    const double n = std::max<double>(1, static_cast<double>(y.registered));
    y.aged_70_plus_share = static_cast<double>(over_70) / n;
    y.aged_under_20_share = static_cast<double>(under_20) / n;
    y.one_or_more_ltc_share = static_cast<double>(one_plus) / n;
    y.three_or_more_ltc_share = static_cast<double>(three_plus) / n;
    years.push_back(std::move(y));
  }
  return years;
}

Status WriteTables(const std::string& dir, const ConditionModel& model,
                   const std::vector<ProjectedYear>& years) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string summary =
      "year,registered,births_in_year,deaths_in_year,aged_70_plus_share,aged_under_20_share,"
      "one_or_more_ltc_share,three_or_more_ltc_share\n";
  std::string conditions = "year,condition,people,per_100_registered\n";
  for (const ProjectedYear& y : years) {
    summary += fmt::format("{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f}\n", y.year, y.registered,
                           y.births, y.deaths, y.aged_70_plus_share, y.aged_under_20_share,
                           y.one_or_more_ltc_share, y.three_or_more_ltc_share);
    for (size_t c = 0; c < model.conditions.size(); ++c) {
      conditions +=
          fmt::format("{},{},{},{:.3f}\n", y.year, model.conditions[c].code, y.condition_people[c],
                      100.0 * static_cast<double>(y.condition_people[c]) /
                          std::max<double>(1, static_cast<double>(y.registered)));
    }
  }
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(dir + "/summary.csv", summary));
  return WriteFileAtomically(dir + "/conditions.csv", conditions);
}

Status WritePopulation(const std::string& path, const IcsConfig& config, const SyntheticIcs& ics,
                       const std::vector<Person>& people, int to_year) {
  std::string out = "year,locality,sex,age_band,people\n";
  const int first = CivilFromDays(config.baseline_date).year;
  for (int year = first; year <= to_year; ++year) {
    const Date on = DateInYear(config.baseline_date, year);
    std::vector<std::array<std::array<uint64_t, kAgeBands>, 2>> counts(ics.localities.size());
    for (const Person& p : people) {
      if (!RegisteredOn(p, on)) continue;
      counts[ics.practices[p.practice].locality][p.sex == Sex::kFemale ? 1 : 0]
            [AgeBand(AgeInYears(p.birth, on))] += 1;
    }
    for (size_t l = 0; l < ics.localities.size(); ++l) {
      for (int s = 0; s < 2; ++s) {
        for (int b = 0; b < kAgeBands; ++b) {
          const std::string band =
              b == kAgeBands - 1 ? "90+" : fmt::format("{}-{}", b * 5, b * 5 + 4);
          out += fmt::format("{},{},{},{},{}\n", year, ics.localities[l].name,
                             s == 1 ? "female" : "male", band, counts[l][s][b]);
        }
      }
    }
  }
  return WriteFileAtomically(path, out);
}

}  // namespace

Status LoadScenario(const std::string& path, const ConditionModel& model, Scenario* scenario) {
  *scenario = Scenario();
  toml::table root;
  POPULUS_RETURN_IF_ERROR(ParseTomlFile(path, &root));
  auto fail = [&](const std::string& key, const std::string& reason) {
    return Status::Data(fmt::format("{}: key '{}': {}", path, key, reason));
  };
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    if (k != "name" && k != "description" && k != "incidence") {
      return fail(k, "is not a known key (known: name, description, incidence)");
    }
  }
  scenario->name = root["name"].value_or(std::string());
  if (scenario->name.empty()) return fail("name", "is missing");
  scenario->description = root["description"].value_or(std::string());
  const toml::array* changes = root["incidence"].as_array();
  if (changes == nullptr || changes->empty()) {
    return fail("incidence", "the scenario changes nothing: add [[incidence]] tables");
  }
  for (size_t i = 0; i < changes->size(); ++i) {
    const std::string prefix = fmt::format("incidence[{}].", i + 1);
    const toml::table* t = (*changes)[i].as_table();
    if (t == nullptr) return fail(prefix, "must be a table");
    for (const auto& [key, node] : *t) {
      const std::string k(key.str());
      if (k != "condition" && k != "multiplier" && k != "from") {
        return fail(prefix + k, "is not a known key (known: condition, multiplier, from)");
      }
    }
    const std::string condition = (*t)["condition"].value_or(std::string());
    const int index = model.index(condition);
    if (index < 0)
      return fail(prefix + "condition",
                  fmt::format("'{}' is not a simulated condition", condition));
    for (const IncidenceChange& existing : scenario->incidence_changes) {
      if (existing.condition == index)
        return fail(prefix + "condition", "changes this condition twice");
    }
    const auto multiplier = (*t)["multiplier"].value<double>();
    if (!multiplier || *multiplier < 0 || *multiplier > 10) {
      return fail(prefix + "multiplier", "must be a number from 0 to 10");
    }
    Date from;
    const std::string from_text = (*t)["from"].value_or(std::string());
    if (ParseIsoDate(from_text, &from) != DateParse::kOk) {
      return fail(prefix + "from", fmt::format("'{}' is not a YYYY-MM-DD date", from_text));
    }
    scenario->incidence_changes.push_back({index, *multiplier, from});
  }
  return Status::Ok();
}

Status Project(const ProjectOptions& options, ProjectResult* result) {
  const auto start = std::chrono::steady_clock::now();
  SyntheticSystem system;
  POPULUS_RETURN_IF_ERROR(
      LoadSystem(options.config_path, options.data_root, options.seed, options.scale, &system));
  const IcsConfig& config = system.config;
  ConditionModel& model = system.model;
  const SyntheticIcs& ics = system.ics;
  const int baseline_year = CivilFromDays(config.baseline_date).year;
  if (options.to_year <= baseline_year || options.to_year > 2100) {
    return Status::Usage(fmt::format(
        "--to must be a year after the baseline ({}) and no later than 2100", baseline_year));
  }
  Scenario scenario;
  if (!options.scenario_path.empty()) {
    POPULUS_RETURN_IF_ERROR(LoadScenario(options.scenario_path, model, &scenario));
  } else if (options.compare) {
    return Status::Usage("--compare needs a --scenario to compare with the baseline");
  }
  OutputDirectory out;
  POPULUS_RETURN_IF_ERROR(out.Begin(options.out_dir, options.overwrite));

  CohortAdjustment adjustment;
  CalibratedPopulation(config, ics, &model, options.threads, &system.medicines, 8, &adjustment);
  Projection projection;
  projection.horizon = DateInYear(config.baseline_date, options.to_year) + 1;
  projection.general_fertility_rate = config.general_fertility_rate;
  projection.arrival_ratio = config.arrival_ratio;
  for (const auto& c : model.conditions) result->conditions.push_back(c.code);

  if (options.compare || options.scenario_path.empty()) {
    const std::vector<Person> people =
        SimulatePopulation(config, ics, model, options.threads, adjustment, &projection);
    std::vector<ProjectedYear> years = Measure(config, model, people, options.to_year);
    const std::string dir = options.compare ? out.staging() + "/baseline" : out.staging();
    POPULUS_RETURN_IF_ERROR(WriteTables(dir, model, years));
    POPULUS_RETURN_IF_ERROR(
        WritePopulation(dir + "/population.csv", config, ics, people, options.to_year));
    (options.compare ? result->baseline_years : result->years) = std::move(years);
  }
  if (!options.scenario_path.empty()) {
    result->scenario_name = scenario.name;
    projection.incidence_changes = scenario.incidence_changes;
    const std::vector<Person> people =
        SimulatePopulation(config, ics, model, options.threads, adjustment, &projection);
    result->years = Measure(config, model, people, options.to_year);
    POPULUS_RETURN_IF_ERROR(WriteTables(out.staging(), model, result->years));
    POPULUS_RETURN_IF_ERROR(
        WritePopulation(out.staging() + "/population.csv", config, ics, people, options.to_year));
  }
  if (options.compare) {
    std::string compare = "year,measure,baseline,scenario,difference\n";
    for (size_t i = 0; i < result->years.size(); ++i) {
      const ProjectedYear& b = result->baseline_years[i];
      const ProjectedYear& s = result->years[i];
      auto row = [&](const std::string& measure, double bv, double sv) {
        compare += fmt::format("{},{},{},{},{}\n", s.year, measure, bv, sv, sv - bv);
      };
      row("registered", static_cast<double>(b.registered), static_cast<double>(s.registered));
      row("deaths_in_year", static_cast<double>(b.deaths), static_cast<double>(s.deaths));
      row("one_or_more_ltc_share", b.one_or_more_ltc_share, s.one_or_more_ltc_share);
      row("three_or_more_ltc_share", b.three_or_more_ltc_share, s.three_or_more_ltc_share);
      for (size_t c = 0; c < model.conditions.size(); ++c) {
        row(model.conditions[c].code + "_people", static_cast<double>(b.condition_people[c]),
            static_cast<double>(s.condition_people[c]));
      }
    }
    POPULUS_RETURN_IF_ERROR(WriteFileAtomically(out.staging() + "/compare.csv", compare));
  }
  POPULUS_RETURN_IF_ERROR(out.Finish());
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace populus::synth
