// `populus export`: a snapshot as FHIR R4 Bulk Data NDJSON.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "analysis/registers.h"
#include "cli/commands.h"
#include "common/status.h"
#include "fhir/fhir_export.h"
#include "rules/rule_pack.h"

namespace populus::cli {
namespace {

struct ExportArgs {
  fhir::ExportOptions options;
  std::string format = "fhir";
  std::string rules;  // the rule pack
  bool json = false;
};

double Megabytes(uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }

double MegabytesPerSecond(const fhir::ExportResult& r) {
  return r.seconds > 0 ? Megabytes(r.bytes_written) / r.seconds : 0;
}

nlohmann::json ToJson(const ExportArgs& args, const fhir::ExportResult& r) {
  nlohmann::json j;
  j["format"] = args.format;
  j["data_dir"] = args.options.data_dir;
  j["out_dir"] = args.options.out_dir;
  j["version"] = r.version;
  j["condition_codes"] = args.options.condition_codes.size();
  j["types"] = nlohmann::json::object();
  for (const auto& t : r.types) {
    nlohmann::json tj;
    tj["file"] = t.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.file);
    tj["resources"] = t.resources;
    tj["bytes"] = t.bytes;
    j["types"][t.resource_type] = tj;
  }
  j["resources"] = r.resources;
  j["bytes"] = r.bytes_written;
  j["seconds"] = r.seconds;
  j["mb_per_second"] = MegabytesPerSecond(r);
  return j;
}

}  // namespace

Command AddExportCommand(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  args->rules = std::string(POPULUS_DATA_ROOT) + "/data/rules.toml";
  CLI::App* sub = app.add_subcommand(
      "export",
      "Write a data directory's published snapshot as FHIR R4 Bulk Data NDJSON: one\n"
      "<Type>.000.ndjson file per resource type in OUT_DIR (docs/fhir.md). Diagnosis codes of\n"
      "the long-term condition registers become Conditions, other events Observations.");
  sub->add_option("DATA_DIR", args->options.data_dir, "Data directory (a published snapshot)")
      ->required();
  sub->add_option("OUT_DIR", args->options.out_dir, "Directory for the NDJSON files")->required();
  sub->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"fhir"}))
      ->capture_default_str();
  sub->add_option("--rules", args->rules,
                  "The rule pack (data/rules.toml) whose registers' diagnosis codes become\n"
                  "Conditions")
      ->capture_default_str();
  sub->add_flag("--overwrite", args->options.overwrite,
                "Write into an OUT_DIR that is not empty (replacing earlier export files)");
  sub->add_flag("--json", args->json, "Print the report as JSON");
  auto run = [args]() -> int {
    rules::RulePack pack;
    Status st = rules::LoadRulePack(args->rules, &pack);
    if (!st.ok()) return Fail(st);
    std::vector<analysis::RegisterRule> rules;
    st = analysis::LoadRegisterRules(pack.registers, pack.codelists, &rules);
    if (!st.ok()) return Fail(st);
    args->options.condition_codes.clear();
    for (const auto& rule : rules) {
      args->options.condition_codes.insert(rule.diagnosis.begin(), rule.diagnosis.end());
    }
    // Said before the export starts, which can take minutes.
    uint64_t needed = 0, free = 0;
    if (fhir::EstimateExport(args->options, &needed, &free).ok() && needed > free) {
      fmt::print(stderr,
                 "populus: warning: this export needs about {:.1f} GB of disk and {:.1f} GB are "
                 "free where it writes; it will fail when the disk fills (nothing half-written "
                 "is kept)\n",
                 static_cast<double>(needed) / 1e9, static_cast<double>(free) / 1e9);
    }
    fhir::ExportResult r;
    st = fhir::ExportFhir(args->options, &r);
    if (!st.ok()) return Fail(st);
    if (args->json) {
      fmt::print("{}\n", ToJson(*args, r).dump(2));
      return 0;
    }
    fmt::print("populus export: snapshot {} of {} as FHIR R4 NDJSON in {}\n", r.version,
               args->options.data_dir, args->options.out_dir);
    fmt::print("  {:<20} {:>12} {:>10}\n", "type", "resources", "MB");
    for (const auto& t : r.types) {
      fmt::print("  {:<20} {:>12} {:>10.2f}\n", t.resource_type, t.resources, Megabytes(t.bytes));
    }
    fmt::print("  {:<20} {:>12} {:>10.2f}\n", "total", r.resources, Megabytes(r.bytes_written));
    fmt::print("  {:.2f} MB in {:.2f} s: {:.1f} MB/s\n", Megabytes(r.bytes_written), r.seconds,
               MegabytesPerSecond(r));
    return 0;
  };
  return {sub, run};
}

}  // namespace populus::cli
