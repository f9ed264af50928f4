#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/civil_date.h"
#include "fhir/fhir_ingest.h"
#include "ingest/ingest.h"

namespace populus::cli {
namespace {

struct IngestArgs {
  IngestOptions options;
  std::string extract_date;
  std::string format = "csv";
  std::string organisations_csv;
  std::string default_practice;
  std::string loinc_map = std::string(POPULUS_DATA_ROOT) + "/data/fhir/loinc-to-snomed.csv";
  bool json = false;
  bool progress = false;
  bool no_progress = false;
};

void PrintHuman(const IngestResult& r) {
  if (r.published) {
    fmt::print("populus ingest: published snapshot {} in {} ({:.2f} s, {:.1f} MB read)\n",
               r.version, r.snapshot_dir, r.seconds, static_cast<double>(r.bytes_read) / 1e6);
  } else {
    fmt::print("populus ingest: load rejected; nothing was published ({:.2f} s)\n", r.seconds);
  }
  if (r.source_summary.contains("resources")) {
    fmt::print("  {:<22} {:>9} {:>9} {:>12} {:>9} {:>9}\n", "FHIR resource", "read", "loaded",
               "quarantined", "excluded", "not used");
    for (const auto& [type, n] : r.source_summary["resources"].items()) {
      fmt::print("  {:<22} {:>9} {:>9} {:>12} {:>9} {:>9}\n", type, n["read"].get<uint64_t>(),
                 n["loaded"].get<uint64_t>(), n["quarantined"].get<uint64_t>(),
                 n["excluded"].get<uint64_t>(), n["not_used"].get<uint64_t>());
    }
  }
  fmt::print("  {:<22} {:>12} {:>12} {:>12}\n", "table", "rows read", "loaded", "quarantined");
  for (const auto& f : r.files) {
    if (!f.present) {
      fmt::print("  {:<22} {:>12}\n", f.file, "(absent)");
      continue;
    }
    fmt::print("  {:<22} {:>12} {:>12} {:>12}\n", f.file, f.rows_read, f.rows_loaded,
               f.rows_quarantined);
    for (const auto& [rule, n] : f.quarantined_by_rule) {
      fmt::print("      {:<34} {:>8}\n", rule, n);
    }
  }
  if (!r.examples.empty()) {
    fmt::print("  first quarantined rows:\n");
    for (const auto& e : r.examples) fmt::print("    {}\n", e);
  }
  fmt::print("  quarantine file: {}\n", r.quarantine_file);
  for (const auto& w : r.warnings) fmt::print("  warning: {}\n", w);
}

}  // namespace

Command AddIngestCommand(CLI::App& app) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* sub = app.add_subcommand(
      "ingest",
      "Validate a GP record extract, pseudonymise it and publish it as a new snapshot version.\n"
      "Bad organisation or patient rows reject the load (unless --lenient); bad event-like "
      "rows are quarantined with file, line, column and reason.");
  sub->add_option("EXTRACT", args->options.extract_dir,
                  "The extract: a directory of CSV files (organisations.csv, patients.csv, "
                  "events.csv, ...), or with --format fhir an NDJSON or Bundle file or a "
                  "directory of them")
      ->required();
  sub->add_option("--into", args->options.data_dir, "Data directory holding the snapshots")
      ->required();
  sub->add_option("--format", args->format, "Extract format")
      ->check(CLI::IsMember({"csv", "fhir"}))
      ->default_str("csv");
  sub->add_option("--organisations", args->organisations_csv,
                  "FHIR: organisations in the extract's CSV format (the ICS hierarchy of "
                  "practices, PCNs, localities), added to the input's Organization resources");
  sub->add_option("--default-practice", args->default_practice,
                  "FHIR: the practice code of patients whose record names no generalPractitioner "
                  "(else they are quarantined)");
  sub->add_option("--loinc-map", args->loinc_map,
                  "FHIR: LOINC to SNOMED CT map (default: data/fhir/loinc-to-snomed.csv)");
  sub->add_option("--key-file", args->options.key_file,
                  "File holding the pseudonymisation key (else POPULUS_PSEUDO_KEY)");
  sub->add_flag("--demo", args->options.demo,
                "Demo mode: without a key, generate one and keep it in DATA_DIR/pseudo.key");
  sub->add_option("--max-errors", args->options.max_errors,
                  "Reject the load if more event-like rows than this are quarantined "
                  "(default: no limit)")
      ->check(WholeNumber(0, INT64_MAX));
  sub->add_flag("--lenient", args->options.lenient,
                "Quarantine bad organisation and patient rows instead of rejecting the load");
  sub->add_option("--extract-date", args->extract_date,
                  "Date the extract was taken (YYYY-MM-DD); later dates are impossible "
                  "(default: today)")
      ->check(IsoDateText());
  sub->add_option("--keep-versions", args->options.keep_versions,
                  "Snapshot versions to keep; older ones are removed (0 keeps all)")
      ->default_val(5)
      ->check(WholeNumber(0, 1000000));
  sub->add_flag("--json", args->json, "Print a machine-readable summary on stdout");
  sub->add_flag("--progress", args->progress, "Show progress even when stderr is not a terminal");
  sub->add_flag("--no-progress", args->no_progress, "Never show progress");

  auto run = [args]() -> int {
    IngestOptions& o = args->options;
    if (!args->extract_date.empty() &&
        ParseIsoDate(args->extract_date, &o.extract_date) != DateParse::kOk) {
      return Fail(Status::Usage(
          fmt::format("--extract-date '{}' is not a valid YYYY-MM-DD date", args->extract_date)));
    }
    o.progress = args->no_progress ? ProgressBar::Mode::kNever
                 : args->progress  ? ProgressBar::Mode::kAlways
                                   : ProgressBar::Mode::kAuto;
    IngestResult result;
    Status st;
    if (args->format == "fhir") {
      fhir::FhirIngestOptions fo;
      fo.input = o.extract_dir;
      fo.ingest = o;
      fo.organisations_csv = args->organisations_csv;
      fo.default_practice = args->default_practice;
      fo.loinc_map = args->loinc_map;
      st = fhir::IngestFhir(fo, &result);
    } else if (!args->organisations_csv.empty() || !args->default_practice.empty()) {
      return Fail(Status::Usage("--organisations and --default-practice are for --format fhir"));
    } else {
      st = Ingest(o, &result);
    }
    const bool described = result.published || !result.rejected_dir.empty();
    if (described) {
      if (args->json) {
        fmt::print("{}\n", result.ToJson().dump(2));
      } else {
        PrintHuman(result);
      }
    }
    if (!st.ok()) return Fail(st);
    return 0;
  };
  return {sub, run};
}

}  // namespace populus::cli
