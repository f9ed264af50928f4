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
  options->registers_path = std::string(POPULUS_DATA_ROOT) + "/data/registers/ltc-registers.csv";
  options->codelist_root = std::string(POPULUS_DATA_ROOT) + "/data/codelists";
  options->efi_definition = std::string(POPULUS_DATA_ROOT) + "/data/frailty/efi-deficits.csv";
  options->efi_categories = std::string(POPULUS_DATA_ROOT) + "/data/frailty/efi-categories.csv";
  options->cambridge_score =
      std::string(POPULUS_DATA_ROOT) + "/data/multimorbidity/cambridge-score.csv";
  options->segments = std::string(POPULUS_DATA_ROOT) + "/data/segments/bridges-to-health.csv";
  options->care_model_tiers =
      std::string(POPULUS_DATA_ROOT) + "/data/segments/care-model-tiers.csv";
  options->worklists = std::string(POPULUS_DATA_ROOT) + "/data/worklists/worklists.csv";
  options->indicators = std::string(POPULUS_DATA_ROOT) + "/data/indicators/indicators.csv";
  const std::string risk = std::string(POPULUS_DATA_ROOT) + "/data/risk/";
  options->qrisk3.model = risk + "qrisk3-2017.toml";
  options->qrisk3.record = risk + "qrisk3-record.csv";
  options->qrisk3.smoking_amounts = risk + "qrisk3-smoking-amounts.csv";
  options->qrisk3.ethnicity = risk + "qrisk3-ethnicity.csv";
  options->qrisk3.ethnicity_codes =
      std::string(POPULUS_DATA_ROOT) + "/data/codelists/ethnicity-2011-census.csv";
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
  sub->add_option("--registers", options->registers_path, "Register rules (CSV)")
      ->capture_default_str();
  sub->add_option("--codelists", options->codelist_root,
                  "Folder the rules' codelist paths are relative to")
      ->capture_default_str();
  sub->add_option("--efi-from-age", options->efi_from_age,
                  "The electronic Frailty Index is for people this age and over")
      ->capture_default_str()
      ->check(CLI::Range(0, 120));
  sub->add_option("--cambridge-score", options->cambridge_score,
                  "Cambridge Multimorbidity Score conditions and weights (CSV)")
      ->capture_default_str();
  sub->add_option("--segments", options->segments, "Segment rules (CSV)")->capture_default_str();
  sub->add_option("--care-model-tiers", options->care_model_tiers, "Care-model tier rules (CSV)")
      ->capture_default_str();
  sub->add_option("--indicators", options->indicators, "Indicator definitions (CSV)")
      ->capture_default_str();
  sub->add_option("--worklists", options->worklists, "Worklist rules (CSV)")->capture_default_str();
  sub->add_option("--suppress-up-to", options->disclosure.suppress_up_to,
                  "Disclosure control: counts from 1 to this are withheld")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  sub->add_option("--round-to", options->disclosure.round_to,
                  "Disclosure control: counts shown are rounded to a multiple of this")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  sub->add_flag("--core-only", options->core_only,
                "Only population.csv, registers.csv, multimorbidity.csv and frailty.csv (no risk\n"
                "model, segments, worklists, indicators or report)");
  sub->add_flag("--overwrite", options->overwrite, "Replace an existing output directory");
  auto run = [options, as_of]() -> int {
    if (!as_of->empty() && ParseIsoDate(*as_of, &options->as_of) != DateParse::kOk) {
      return Fail(Status::Usage(fmt::format("--as-of '{}' is not a YYYY-MM-DD date", *as_of)));
    }
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
        options->efi_from_age, r.seconds,
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
