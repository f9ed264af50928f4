#include "synth/project.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include "common/file_io.h"
#include "common/vocabulary.h"
#include "rules/toml_checker.h"
#include "synth/clinical_record.h"
#include "synth/conditions.h"

namespace populus::synth {
namespace fs = std::filesystem;

namespace {

// The measurement date of a projected year: the baseline's day and month.
Date DateInYear(Date baseline, int year) {
  return AddCivilYears(baseline, year - CivilFromDays(baseline).year);
}

std::vector<ProjectedYear> Measure(const SyntheticSystem& system, const RecordWriter& writer,
                                   const std::vector<Person>& people, int to_year,
                                   const std::vector<AppointmentShift>& shifts, int threads) {
  const IcsConfig& config = system.config;
  const ConditionModel& model = system.model;
  const int first = CivilFromDays(config.baseline_date).year;
  const size_t n_years = static_cast<size_t>(to_year - first + 1);
  auto blank = [&] {
    std::vector<ProjectedYear> years(n_years);
    for (size_t i = 0; i < n_years; ++i) {
      years[i].year = first + static_cast<int>(i);
      years[i].condition_people.assign(model.conditions.size(), 0);
      years[i].frailty.assign(model.frailty.categories.size(), 0);
      years[i].appointments_by_role.assign(StaffRoles().size(), 0.0);
    }
    return years;
  };
  // Counts of people over 70, under 20, with 1+ and 3+ conditions, per year.
  struct Tally {
    std::vector<ProjectedYear> years;
    std::vector<std::array<uint64_t, 4>> counts;
  };
  // Fixed blocks of people, summed in block order: the same totals for any
  // thread count.
  constexpr size_t kBlock = 4096;
  const size_t blocks = (people.size() + kBlock - 1) / kBlock;
  std::vector<Tally> tallies(blocks);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t b; (b = next.fetch_add(1)) < blocks;) {
      Tally& tally = tallies[b];
      tally.years = blank();
      tally.counts.assign(n_years, {});
      ExpectedActivity activity;
      for (size_t i = b * kBlock; i < std::min(people.size(), (b + 1) * kBlock); ++i) {
        const Person& p = people[i];
        for (size_t k = 0; k < n_years; ++k) {
          ProjectedYear& y = tally.years[k];
          const Date on = DateInYear(config.baseline_date, y.year);
          const Date year_before = DateInYear(config.baseline_date, y.year - 1);
          // Births: babies registered within six weeks of birth (not the
          // young children who arrive from elsewhere).
          if (p.birth > year_before && p.birth <= on && p.registered_from - p.birth <= 42) {
            ++y.births;
          }
          if (p.death != kNoDate && p.death > year_before && p.death <= on) ++y.deaths;
          if (!RegisteredOn(p, on)) continue;
          ++y.registered;
          const int age = AgeInYears(p.birth, on);
          tally.counts[k][0] += age >= 70 ? 1 : 0;
          tally.counts[k][1] += age < 20 ? 1 : 0;
          int conditions = 0;
          for (const Episode& e : p.episodes) {
            if (!e.RecordedOn(on)) continue;
            conditions += model.conditions[e.condition].deficit ? 0 : 1;
            ++y.condition_people[e.condition];
          }
          tally.counts[k][2] += conditions >= 1 ? 1 : 0;
          tally.counts[k][3] += conditions >= 3 ? 1 : 0;
          const int category =
              PersonEfi(model, &system.medicines, p, on, model.frailty.from_age).category;
          if (category >= 0) ++y.frailty[static_cast<size_t>(category)];
          if (config.has_activity) {
            activity.appointments_by_role.assign(StaffRoles().size(), 0.0);
            activity.emergency_admissions = 0;
            writer.AddExpected(p, on, &activity);
            for (size_t r = 0; r < activity.appointments_by_role.size(); ++r) {
              y.appointments_by_role[r] += activity.appointments_by_role[r];
            }
            y.emergency_admissions += activity.emergency_admissions;
          }
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  std::vector<ProjectedYear> years = blank();
  std::vector<std::array<uint64_t, 4>> counts(n_years, std::array<uint64_t, 4>{});
  for (const Tally& tally : tallies) {
    for (size_t k = 0; k < n_years; ++k) {
      ProjectedYear& y = years[k];
      const ProjectedYear& t = tally.years[k];
      y.registered += t.registered;
      y.births += t.births;
      y.deaths += t.deaths;
      for (size_t c = 0; c < y.condition_people.size(); ++c)
        y.condition_people[c] += t.condition_people[c];
      for (size_t c = 0; c < y.frailty.size(); ++c) y.frailty[c] += t.frailty[c];
      for (size_t r = 0; r < y.appointments_by_role.size(); ++r) {
        y.appointments_by_role[r] += t.appointments_by_role[r];
      }
      y.emergency_admissions += t.emergency_admissions;
      for (size_t m = 0; m < 4; ++m) counts[k][m] += tally.counts[k][m];
    }
  }
  for (size_t k = 0; k < n_years; ++k) {
    ProjectedYear& y = years[k];
    const double n = std::max<double>(1, static_cast<double>(y.registered));
    y.aged_70_plus_share = static_cast<double>(counts[k][0]) / n;
    y.aged_under_20_share = static_cast<double>(counts[k][1]) / n;
    y.one_or_more_ltc_share = static_cast<double>(counts[k][2]) / n;
    y.three_or_more_ltc_share = static_cast<double>(counts[k][3]) / n;
    const Date on = DateInYear(config.baseline_date, y.year);
    for (const AppointmentShift& shift : shifts) {
      // Appointments are counted for the year from the date: a shift that
      // starts within it moves that part of the year's.
      const double part = std::clamp((on + 365.0 - shift.from) / 365.0, 0.0, 1.0);
      const double moved = y.appointments_by_role[shift.from_role] * shift.share * part;
      y.appointments_by_role[shift.from_role] -= moved;
      y.appointments_by_role[shift.to_role] += moved;
    }
  }
  return years;
}

Status WriteTables(const std::string& dir, const SyntheticSystem& system,
                   const std::vector<ProjectedYear>& years) {
  const ConditionModel& model = system.model;
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string summary =
      "year,registered,births_in_year,deaths_in_year,aged_70_plus_share,aged_under_20_share,"
      "one_or_more_ltc_share,three_or_more_ltc_share,emergency_admissions_expected\n";
  std::string conditions = "year,condition,kind,people,per_100_registered\n";
  const std::string ages = fmt::format("{}+", model.frailty.from_age);
  std::string frailty = "year,ages,category,people\n";
  std::string appointments = "year,staff_role,appointments_expected\n";
  for (const ProjectedYear& y : years) {
    summary +=
        fmt::format("{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{:.0f}\n", y.year, y.registered,
                    y.births, y.deaths, y.aged_70_plus_share, y.aged_under_20_share,
                    y.one_or_more_ltc_share, y.three_or_more_ltc_share, y.emergency_admissions);
    for (size_t c = 0; c < y.frailty.size(); ++c) {
      frailty +=
          fmt::format("{},{},{},{}\n", y.year, ages, model.frailty.categories[c], y.frailty[c]);
    }
    for (size_t r = 0; r < y.appointments_by_role.size(); ++r) {
      if (!system.config.has_activity) break;
      appointments +=
          fmt::format("{},{},{:.0f}\n", y.year, StaffRoles()[r], y.appointments_by_role[r]);
    }
    for (size_t c = 0; c < model.conditions.size(); ++c) {
      conditions +=
          fmt::format("{},{},{},{},{:.3f}\n", y.year, model.conditions[c].code,
                      model.conditions[c].deficit ? "frailty-deficit" : "long-term-condition",
                      y.condition_people[c],
                      100.0 * static_cast<double>(y.condition_people[c]) /
                          std::max<double>(1, static_cast<double>(y.registered)));
    }
  }
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(dir + "/summary.csv", summary));
  if (model.frailty.enabled()) {
    POPULUS_RETURN_IF_ERROR(WriteFileAtomically(dir + "/frailty.csv", frailty));
  }
  if (system.config.has_activity) {
    POPULUS_RETURN_IF_ERROR(WriteFileAtomically(dir + "/appointments.csv", appointments));
  }
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
          const std::string band = AgeBandName(b);
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
  POPULUS_RETURN_IF_ERROR(rules::ParseTomlFile(path, &root));
  auto fail = [&](const std::string& key, const std::string& reason) {
    return Status::Data(fmt::format("{}: key '{}': {}", path, key, reason));
  };
  // The first key of a table that is not one of `known`, as an error.
  auto unknown = [&](const toml::table& table, const std::string& prefix,
                     const std::set<std::string>& known) {
    rules::TomlChecker checker(path);
    checker.NoUnknownKeys(table, prefix, known);
    return checker.status();
  };
  POPULUS_RETURN_IF_ERROR(
      unknown(root, "", {"name", "description", "incidence", "appointment_shift"}));
  scenario->name = root["name"].value_or(std::string());
  if (scenario->name.empty()) return fail("name", "is missing");
  scenario->description = root["description"].value_or(std::string());
  const toml::array* changes = root["incidence"].as_array();
  const toml::array* shifts = root["appointment_shift"].as_array();
  if ((changes == nullptr || changes->empty()) && (shifts == nullptr || shifts->empty())) {
    return fail("incidence",
                "the scenario changes nothing: add [[incidence]] or [[appointment_shift]] tables");
  }
  for (size_t i = 0; shifts != nullptr && i < shifts->size(); ++i) {
    const std::string prefix = fmt::format("appointment_shift[{}].", i + 1);
    const toml::table* t = (*shifts)[i].as_table();
    if (t == nullptr) return fail(prefix, "must be a table");
    POPULUS_RETURN_IF_ERROR(unknown(*t, prefix, {"from_role", "to_role", "share", "from"}));
    AppointmentShift shift;
    for (const auto& [key, role] :
         {std::pair{"from_role", &shift.from_role}, std::pair{"to_role", &shift.to_role}}) {
      const std::string text = (*t)[key].value_or(std::string());
      if (!ParseStaffRole(text, role)) {
        return fail(prefix + key,
                    fmt::format("'{}' is not a staff role ({})", text, AcceptedStaffRoles()));
      }
    }
    if (shift.from_role == shift.to_role)
      return fail(prefix + "to_role", "is the same as from_role");
    const auto share = (*t)["share"].value<double>();
    if (!share || !(*share > 0 && *share <= 1)) {
      return fail(prefix + "share", "must be a share above 0 and at most 1");
    }
    shift.share = *share;
    const std::string from_text = (*t)["from"].value_or(std::string());
    if (ParseIsoDate(from_text, &shift.from) != DateParse::kOk) {
      return fail(prefix + "from", fmt::format("'{}' is not a YYYY-MM-DD date", from_text));
    }
    scenario->appointment_shifts.push_back(shift);
  }
  for (size_t i = 0; changes != nullptr && i < changes->size(); ++i) {
    const std::string prefix = fmt::format("incidence[{}].", i + 1);
    const toml::table* t = (*changes)[i].as_table();
    if (t == nullptr) return fail(prefix, "must be a table");
    POPULUS_RETURN_IF_ERROR(unknown(*t, prefix, {"condition", "multiplier", "from"}));
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
    if (!multiplier || !(*multiplier >= 0 && *multiplier <= 10)) {  // NaN fails too
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
  if (!scenario.appointment_shifts.empty() && !config.has_activity) {
    return Status::Usage(
        fmt::format("{}: the scenario moves appointments, but '{}' has no [activity]",
                    options.scenario_path, options.config_path));
  }
  OutputDirectory out;
  POPULUS_RETURN_IF_ERROR(out.Begin(options.out_dir, options.overwrite, "populus project"));

  const RecordWriter writer(system, system.care);
  CohortAdjustment adjustment;
  CalibratedPopulation(config, ics, &model, options.threads, &system.medicines, 8, &adjustment);
  Projection projection;
  // A year past the last one measured, so its expected activity (which looks
  // a year ahead, to deaths in the last year of life) is complete.
  projection.horizon = DateInYear(config.baseline_date, options.to_year + 1) + 1;
  projection.general_fertility_rate = config.general_fertility_rate;
  projection.arrival_ratio = config.arrival_ratio;
  projection.mortality_change_per_year = config.mortality_change_per_year;
  projection.incidence_trend.assign(model.conditions.size(), 0.0);
  for (const auto& [condition, change] : config.incidence_change_per_year) {
    projection.incidence_trend[static_cast<size_t>(model.index(condition))] = change;
  }
  for (const auto& c : model.conditions) result->conditions.push_back(c.code);

  if (options.compare || options.scenario_path.empty()) {
    const std::vector<Person> people =
        SimulatePopulation(config, ics, model, options.threads, adjustment, &projection);
    std::vector<ProjectedYear> years =
        Measure(system, writer, people, options.to_year, {}, options.threads);
    const std::string dir = options.compare ? out.staging() + "/baseline" : out.staging();
    POPULUS_RETURN_IF_ERROR(WriteTables(dir, system, years));
    POPULUS_RETURN_IF_ERROR(
        WritePopulation(dir + "/population.csv", config, ics, people, options.to_year));
    (options.compare ? result->baseline_years : result->years) = std::move(years);
  }
  if (!options.scenario_path.empty()) {
    result->scenario_name = scenario.name;
    projection.incidence_changes = scenario.incidence_changes;
    const std::vector<Person> people =
        SimulatePopulation(config, ics, model, options.threads, adjustment, &projection);
    result->years = Measure(system, writer, people, options.to_year, scenario.appointment_shifts,
                            options.threads);
    POPULUS_RETURN_IF_ERROR(WriteTables(out.staging(), system, result->years));
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
      for (size_t c = 0; c < b.frailty.size(); ++c) {
        row("efi_" + model.frailty.categories[c], static_cast<double>(b.frailty[c]),
            static_cast<double>(s.frailty[c]));
      }
      if (config.has_activity) {
        for (size_t r = 0; r < b.appointments_by_role.size(); ++r) {
          row("appointments_" + std::string(StaffRoles()[r]), std::round(b.appointments_by_role[r]),
              std::round(s.appointments_by_role[r]));
        }
        row("emergency_admissions", std::round(b.emergency_admissions),
            std::round(s.emergency_admissions));
      }
    }
    POPULUS_RETURN_IF_ERROR(WriteFileAtomically(out.staging() + "/compare.csv", compare));
  }
  POPULUS_RETURN_IF_ERROR(out.Finish());
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace populus::synth
