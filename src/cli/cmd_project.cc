#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/status.h"
#include "synth/project.h"

namespace populus::cli {
namespace {

struct ProjectArgs {
  synth::ProjectOptions options;
  uint64_t seed = 0;
};

}  // namespace

Command AddProjectCommand(CLI::App& app) {
  auto args = std::make_shared<ProjectArgs>();
  args->options.config_path = DefaultIcsConfig();
  args->options.data_root = POPULUS_DATA_ROOT;
  args->options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App* sub = app.add_subcommand(
      "project",
      "Run the synthetic ICS on past its baseline to a future year and write yearly tables\n"
      "(summary.csv, conditions.csv, frailty.csv, appointments.csv, population.csv); a\n"
      "--scenario changes condition incidence or moves appointments between staff roles, and\n"
      "--compare runs the baseline alongside and writes compare.csv.");
  sub->add_option("--config", args->options.config_path, "ICS configuration (TOML)")
      ->capture_default_str();
  sub->add_option("--to", args->options.to_year, "Last year to project to")
      ->capture_default_str()
      ->check(WholeNumber(1900, 2200));
  sub->add_option("--out", args->options.out_dir, "Directory for the tables")->required();
  sub->add_option("--scenario", args->options.scenario_path,
                  "Scenario (TOML), e.g. data/scenarios/diabetes-prevention.toml");
  sub->add_flag("--compare", args->options.compare,
                "Also run the baseline and write compare.csv (scenario minus baseline)");
  sub->add_option("--threads", args->options.threads, "Worker threads")
      ->capture_default_str()
      ->check(WholeNumber(1, kMaxThreads));
  sub->add_option("--scale", args->options.scale, "Multiply every population count")
      ->capture_default_str()
      ->check(FiniteNumber(kMinScale, kMaxScale));
  CLI::Option* seed = sub->add_option("--seed", args->seed, "Override the configuration's seed")
                          ->check(WholeNumber(0, UINT64_MAX));
  sub->add_flag("--overwrite", args->options.overwrite, "Replace an existing output directory");
  auto run = [args, seed]() -> int {
    if (seed->count() > 0) args->options.seed = args->seed;
    synth::ProjectResult r;
    const Status st = synth::Project(args->options, &r);
    if (!st.ok()) return Fail(st);
    fmt::print("populus project: {} to {} in {:.1f} s; tables in {}\n",
               r.scenario_name.empty() ? "baseline" : "scenario '" + r.scenario_name + "'",
               args->options.to_year, r.seconds, args->options.out_dir);
    fmt::print("  {:>6} {:>10} {:>8} {:>8} {:>8} {:>8}\n", "year", "registered", "70+ %", "<20 %",
               "1+ LTC%", "3+ LTC%");
    for (const auto& y : r.years) {
      if (y.year % 5 != 0 && y.year != r.years.front().year && y.year != r.years.back().year) {
        continue;
      }
      fmt::print("  {:>6} {:>10} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f}\n", y.year, y.registered,
                 100 * y.aged_70_plus_share, 100 * y.aged_under_20_share,
                 100 * y.one_or_more_ltc_share, 100 * y.three_or_more_ltc_share);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace populus::cli
