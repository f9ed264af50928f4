#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/status.h"
#include "synth/generate.h"

namespace populus::cli {
namespace {

struct GenerateArgs {
  synth::GenerateOptions options;
  uint64_t seed = 0;
  bool json = false;
};

}  // namespace

std::string DefaultIcsConfig() {
  const std::string relative = "data/ics/dorset-like.toml";
  if (std::filesystem::exists(relative)) return relative;
  return std::string(POPULUS_DATA_ROOT) + "/" + relative;
}

Command AddGenerateCommand(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  args->options.config_path = DefaultIcsConfig();
  args->options.data_root = POPULUS_DATA_ROOT;
  args->options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App* sub = app.add_subcommand(
      "generate",
      "Simulate a synthetic Integrated Care System and write it as a populus extract, with\n"
      "calibration.csv comparing the baseline with the configuration's targets.");
  sub->add_option("--config", args->options.config_path, "ICS configuration (TOML)")
      ->capture_default_str();
  sub->add_option("--out", args->options.out_dir, "Directory to write the extract into")
      ->required();
  sub->add_option("--threads", args->options.threads,
                  "Worker threads (the output is identical for any number)")
      ->capture_default_str()
      ->check(WholeNumber(1, kMaxThreads));
  sub->add_option("--scale", args->options.scale,
                  "Multiply every population count, e.g. 0.0625 for a 50,000-person system")
      ->capture_default_str()
      ->check(FiniteNumber(kMinScale, kMaxScale));
  CLI::Option* seed = sub->add_option("--seed", args->seed, "Override the configuration's seed")
                          ->check(WholeNumber(0, UINT64_MAX));
  sub->add_flag("--overwrite", args->options.overwrite, "Replace an existing output directory");
  sub->add_flag("--json", args->json, "Print a machine-readable summary on stdout");

  auto run = [args, seed]() -> int {
    if (seed->count() > 0) args->options.seed = args->seed;
    synth::GenerateResult r;
    const Status st = synth::Generate(args->options, &r);
    if (!st.ok()) return Fail(st);
    if (args->json) {
      nlohmann::json j;
      j["out"] = r.out_dir;
      j["people"] = r.people;
      j["registered_at_baseline"] = r.registered_at_baseline;
      j["deaths"] = r.deaths;
      j["departures"] = r.departures;
      j["seconds"] = r.seconds;
      j["latent_sigma"] = r.latent_sigma;
      j["frailty_sigma"] = r.frailty_sigma;
      j["deficit_prevalence_scale"] = r.deficit_prevalence_scale;
      j["rows"] = {{"events", r.records.events},
                   {"medications", r.records.medications},
                   {"appointments", r.records.appointments},
                   {"hospital_activity", r.records.hospital}};
      for (const auto& c : r.calibration) {
        j["calibration"].push_back({{"measure", c.measure},
                                    {"target", c.target},
                                    {"achieved", c.achieved},
                                    {"population", c.population},
                                    {"tolerance", c.tolerance},
                                    {"pass", c.pass}});
      }
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print(
          "populus generate: {} people ({} registered at baseline; {} died and {} moved away in "
          "the history window) in {:.2f} s\n  extract and calibration.csv in {}\n",
          r.people, r.registered_at_baseline, r.deaths, r.departures, r.seconds, r.out_dir);
      fmt::print("  the record: {} events, {} prescriptions, {} appointments, {} hospital rows\n",
                 r.records.events, r.records.medications, r.records.appointments,
                 r.records.hospital);
      fmt::print("  {:<26} {:<11} {:>12} {:>12} {:>12}  {}\n", "calibration target", "of", "target",
                 "achieved", "tolerance", "");
      for (const auto& c : r.calibration) {
        auto num = [](double v) {
          return v == static_cast<double>(static_cast<int64_t>(v)) ? fmt::format("{:.0f}", v)
                                                                   : fmt::format("{:.4f}", v);
        };
        fmt::print("  {:<26} {:<11} {:>12} {:>12} {:>12}  {}\n", c.measure, c.population,
                   num(c.target), num(c.achieved), num(c.tolerance), c.pass ? "pass" : "FAIL");
      }
    }
    for (const auto& c : r.calibration) {
      if (!c.pass) {
        fmt::print(stderr,
                   "populus: warning: calibration target {} missed: {} against {} (+/- {})\n",
                   c.measure, c.achieved, c.target, c.tolerance);
      }
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace populus::cli
