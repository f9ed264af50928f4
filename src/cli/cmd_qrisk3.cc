// `populus qrisk3`: QRISK3-2017 scores for a table of people, so published
// test vectors (and an analyst's own cohort) can be checked.
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "analysis/qrisk3.h"
#include "analysis/table.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/output_directory.h"

namespace populus::cli {
namespace {

struct Qrisk3Args {
  std::string input, output, model;
  int smoke_cat_from = 1;
  bool overwrite = false;
};

Status Score(const Qrisk3Args& a, std::string* out) {
  analysis::Qrisk3Model model;
  POPULUS_RETURN_IF_ERROR(model.Load(a.model));
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(a.input, &t));
  int age, gender, ethrisk, smoke, rati, sbp, sbps5, town;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"age"}, &age));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"gender"}, &gender));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"ethrisk"}, &ethrisk));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"smoke_cat"}, &smoke));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"rati"}, &rati));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"sbp"}, &sbp));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"sbps5"}, &sbps5));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"town"}, &town));
  // BMI from weight (kg) and height (cm) when both are given, as the R
  // package does; otherwise the bmi column.
  const int weight = t.Column({"weight"}), height = t.Column({"height"});
  int bmi = -1;
  if (weight < 0 || height < 0) POPULUS_RETURN_IF_ERROR(t.RequireColumn({"bmi"}, &bmi));
  std::vector<std::pair<std::string, int>> flags;
  for (const std::string& name : model.flag_names()) {
    flags.emplace_back(name, t.Column({name.c_str()}));
  }
  std::vector<std::string> header = t.header;
  header.insert(header.end(), {"qrisk3_score", "qrisk3_unrounded"});
  *out = analysis::CsvLine(header);
  // A whole number from lo to hi in a column, or an error naming the cell.
  auto whole = [&](size_t r, int column, int lo, int hi, int* value) -> Status {
    double x;
    POPULUS_RETURN_IF_ERROR(t.Number(r, column, false, &x));
    if (x != std::floor(x) || x < lo || x > hi) {
      return Status::Data(fmt::format(
          "{} line {} column {}: '{}' is not a whole number from {} to {}", a.input, t.lines[r],
          t.header[static_cast<size_t>(column)], t.rows[r][static_cast<size_t>(column)], lo, hi));
    }
    *value = static_cast<int>(x);
    return Status::Ok();
  };
  auto positive = [&](size_t r, int column, double* value) -> Status {
    POPULUS_RETURN_IF_ERROR(t.Number(r, column, false, value));
    if (!(*value > 0)) {
      return Status::Data(fmt::format("{} line {} column {}: '{}' must be above 0", a.input,
                                      t.lines[r], t.header[static_cast<size_t>(column)],
                                      t.rows[r][static_cast<size_t>(column)]));
    }
    return Status::Ok();
  };
  for (size_t r = 0; r < t.rows.size(); ++r) {
    analysis::Qrisk3Input in;
    double v;
    POPULUS_RETURN_IF_ERROR(t.Number(r, gender, false, &v));
    if (v != 0 && v != 1) {
      return Status::Data(
          fmt::format("{} line {} column gender: 1 for women, 0 for men", a.input, t.lines[r]));
    }
    in.female = v == 1;
    POPULUS_RETURN_IF_ERROR(t.Number(r, age, false, &in.age));
    POPULUS_RETURN_IF_ERROR(whole(r, ethrisk, 1, 9, &in.ethrisk));
    // smoke_cat in the input's own coding (1-5 or 0-4), so a bad value is
    // reported as the analyst wrote it.
    POPULUS_RETURN_IF_ERROR(whole(r, smoke, a.smoke_cat_from, a.smoke_cat_from + 4, &in.smoke_cat));
    in.smoke_cat -= a.smoke_cat_from;
    POPULUS_RETURN_IF_ERROR(t.Number(r, rati, false, &in.rati));
    POPULUS_RETURN_IF_ERROR(t.Number(r, sbp, false, &in.sbp));
    POPULUS_RETURN_IF_ERROR(t.Number(r, sbps5, false, &in.sbps5));
    POPULUS_RETURN_IF_ERROR(t.Number(r, town, false, &in.town));
    if (bmi >= 0) {
      POPULUS_RETURN_IF_ERROR(positive(r, bmi, &in.bmi));
    } else {
      double w, h;
      POPULUS_RETURN_IF_ERROR(positive(r, weight, &w));
      POPULUS_RETURN_IF_ERROR(positive(r, height, &h));
      in.bmi = w / ((h / 100) * (h / 100));
    }
    for (const auto& [name, column] : flags) {
      if (column < 0) continue;
      POPULUS_RETURN_IF_ERROR(t.Number(r, column, false, &v));
      if (v != 0 && v != 1) {
        return Status::Data(
            fmt::format("{} line {} column {}: a flag is 0 or 1", a.input, t.lines[r], name));
      }
      in.flags[name] = v == 1;
    }
    double score;
    std::string reason;
    if (!model.Score(in, &score, &reason)) {
      return Status::Data(fmt::format("{} line {}: {}", a.input, t.lines[r], reason));
    }
    std::vector<std::string> row = t.rows[r];
    row.insert(row.end(), {fmt::format("{:.1f}", score), analysis::FormatValue(score)});
    *out += analysis::CsvLine(row);
  }
  return Status::Ok();
}

}  // namespace

Command AddQrisk3Command(CLI::App& app) {
  auto args = std::make_shared<Qrisk3Args>();
  args->model = std::string(POPULUS_DATA_ROOT) + "/data/risk/qrisk3-2017.toml";
  CLI::App* sub = app.add_subcommand(
      "qrisk3",
      "QRISK3-2017 10-year cardiovascular risk (%) for each row of a CSV with the ClinRisk\n"
      "columns (age, gender 1 women/0 men, ethrisk 1-9, smoke_cat, b_AF ... fh_cvd, rati, sbp,\n"
      "sbps5, town, and weight+height or bmi). Adds qrisk3_score (one decimal) and\n"
      "qrisk3_unrounded. See data/risk/README.md.");
  sub->add_option("--input", args->input, "Input CSV")->required()->check(CLI::ExistingFile);
  sub->add_option("--output", args->output, "Output CSV (default: standard output)");
  sub->add_flag("--overwrite", args->overwrite, "Replace an existing output file");
  sub->add_option("--model", args->model, "Model coefficients (TOML)")->capture_default_str();
  sub->add_option("--smoke-cat-from", args->smoke_cat_from,
                  "What non-smoker is coded as: 1 as in the R package QRISK3 and its test data "
                  "(1-5), or 0 as in ClinRisk's code (0-4)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1));
  auto run = [args]() -> int {
    std::string out;
    Status st = Score(*args, &out);
    if (st.ok()) st = WriteOutputFile(args->output, out, args->overwrite);
    return st.ok() ? 0 : Fail(st);
  };
  return {sub, run};
}

}  // namespace populus::cli
