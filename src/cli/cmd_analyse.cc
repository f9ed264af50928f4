// `populus analyse`: registers and multimorbidity of a snapshot on a date.
#include <fmt/format.h>

#include <memory>

#include "analysis/analyse.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/civil_date.h"

namespace populus::cli {

Command AddAnalyseCommand(CLI::App& app) {
  auto options = std::make_shared<analysis::AnalyseOptions>();
  auto as_of = std::make_shared<std::string>();
  auto rules_path =
      std::make_shared<std::string>(std::string(POPULUS_DATA_ROOT) + "/data/rules.toml");
  // Overrides of the rule pack's numbers; -1: as the rule pack says.
  auto efi_from_age = std::make_shared<int>(-1);
  auto suppress_up_to = std::make_shared<int64_t>(-1);
  auto round_to = std::make_shared<int64_t>(-1);
  CLI::App* sub = app.add_subcommand(
      "analyse",
      "The population health analysis of a snapshot on a date: condition registers,\n"
      "multimorbidity (with the Cambridge Multimorbidity Score), the electronic Frailty Index,\n"
      "a 12-month emergency admission risk model, Bridges to Health segments, care-model tiers\n"
      "and direct-care worklists; by practice, PCN, locality and ICS, with disclosure control\n"
      "(docs/analysis.md).");
  sub->add_option("data_dir", options->data_dir, "Data directory (a published snapshot)")
      ->required();
  sub->add_option("--out", options->out_dir, "Directory for the tables")->required();
  sub->add_option("--as-of", *as_of, "The date (YYYY-MM-DD); default: the extract date")
      ->check(IsoDateText());
  sub->add_option("--rules", *rules_path,
                  "The rule pack: a manifest naming every rule file, the eFI age and the\n"
                  "disclosure thresholds (data/rules.toml; docs/analysis.md)")
      ->capture_default_str();
  sub->add_option("--efi-from-age", *efi_from_age,
                  "The electronic Frailty Index is for people this age and over (default: the\n"
                  "rule pack's frailty.from_age, 65)")
      ->check(CLI::Range(0, rules::kMaxEfiFromAge));
  sub->add_option("--suppress-up-to", *suppress_up_to,
                  "Disclosure control: counts from 1 to this are withheld (default: the rule\n"
                  "pack's, 7)")
      ->check(CLI::Range(int64_t{0}, rules::kMaxSuppressUpTo));
  sub->add_option("--round-to", *round_to,
                  "Disclosure control: counts shown are rounded to a multiple of this (default:\n"
                  "the rule pack's, 5)")
      ->check(CLI::Range(int64_t{1}, rules::kMaxRoundTo));
  sub->add_flag("--core-only", options->core_only,
                "Only population.csv, registers.csv, multimorbidity.csv and frailty.csv (no risk\n"
                "model, segments, worklists, indicators or report)");
  sub->add_flag("--overwrite", options->overwrite, "Replace an existing output directory");
  auto run = [options, as_of, rules_path, efi_from_age, suppress_up_to, round_to]() -> int {
    if (!as_of->empty() && ParseIsoDate(*as_of, &options->as_of) != DateParse::kOk) {
      return Fail(Status::Usage(fmt::format("--as-of '{}' is not a YYYY-MM-DD date", *as_of)));
    }
    if (const Status st = rules::LoadRulePack(*rules_path, &options->rules); !st.ok()) {
      return Fail(st);
    }
    if (*efi_from_age >= 0) options->rules.efi.from_age = *efi_from_age;
    if (*suppress_up_to >= 0) options->rules.suppress_up_to = *suppress_up_to;
    if (*round_to >= 0) options->rules.round_to = *round_to;
    analysis::AnalyseResult r;
    const Status st = analysis::Analyse(*options, &r);
    if (!st.ok()) return Fail(st);
    const double n = std::max<double>(1, static_cast<double>(r.population));
    fmt::print(
        "populus analyse: {} people in the population on {}; one or more long-term conditions "
        "{:.1f}%, two or more {:.1f}%, three or more {:.1f}%; {} frail (eFI) of {} aged {}+ "
        "({:.2f} s)\n  {}; QRISK3 scored for {} of {} eligible ({} at 10% or more); {} worklist "
        "rows\n  tables in {}\n",
        r.population, FormatIsoDate(r.as_of), 100 * static_cast<double>(r.one_or_more) / n,
        100 * static_cast<double>(r.two_or_more) / n,
        100 * static_cast<double>(r.three_or_more) / n, r.efi_frail, r.efi_assessed,
        options->rules.efi.from_age, r.seconds,
        r.risk_model_fitted
            ? fmt::format("emergency admission risk model: AUC {:.3f} on the held-out year",
                          r.risk_auc)
            : "emergency admission risk model not fitted: " + r.risk_model_not_fitted_reason,
        r.qrisk3_scored, r.qrisk3_eligible, r.qrisk3_10_plus, r.worklist_rows, options->out_dir);
    return 0;
  };
  return {sub, run};
}

}  // namespace populus::cli
