#include "synth/conditions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "common/snomed_id.h"
#include "synth/csv_lines.h"

namespace populus::synth {
namespace {

Status LoadCodelist(const std::string& path, ConditionSpec* spec) {
  // A condition's list gives each code a role; a deficit's codes all record it.
  const std::vector<std::string> header = spec->deficit
                                              ? std::vector<std::string>{"code", "term"}
                                              : std::vector<std::string>{"code", "term", "role"};
  std::vector<DataRow> rows;
  POPULUS_RETURN_IF_ERROR(ReadDataFile(path, header, &rows));
  for (const DataRow& row : rows) {
    const auto& f = row.fields;
    if (!IsSnomedConceptId(f[0])) {
      return Status::Data(
          fmt::format("{} line {}: '{}' is not a SNOMED CT concept id", path, row.line, f[0]));
    }
    if (spec->deficit || f[2] == "diagnosis") {
      spec->diagnosis_codes.push_back(f[0]);
    } else if (f[2] == "resolved") {
      spec->resolved_codes.push_back(f[0]);
    } else {
      return Status::Data(
          fmt::format("{} line {}: role '{}' is not diagnosis or resolved", path, row.line, f[2]));
    }
  }
  if (spec->diagnosis_codes.empty()) {
    return Status::Data(fmt::format("{}: no diagnosis codes for {}", path, spec->code));
  }
  if (spec->resolution_per_year > 0 && spec->resolved_codes.empty()) {
    return Status::Data(
        fmt::format("{}: {} resolves at {} a year but its codelist has no resolved codes", path,
                    spec->code, spec->resolution_per_year));
  }
  return Status::Ok();
}

}  // namespace

int ConditionModel::index(const std::string& code) const {
  for (size_t i = 0; i < conditions.size(); ++i) {
    if (conditions[i].code == code) return static_cast<int>(i);
  }
  return -1;
}

void ConditionModel::Prepare() {
  hazard_.assign(conditions.size() * 2 * kAgeBands, 0);
  deprivation_.assign(conditions.size() * 10, 1);
  lifetime_.assign(conditions.size() * 2, 0);
  for (size_t c = 0; c < conditions.size(); ++c) {
    const ConditionSpec& spec = conditions[c];
    for (int band = 0; band < kAgeBands; ++band) {
      const double p = TargetPrevalence(c, band);
      const double before = band == 0 ? 0.0 : TargetPrevalence(c, band - 1);
      const double years = band == 0 ? 2.5 : 5.0;
      // Incidence that carries prevalence from the band before to this one,
      // plus what replaces resolutions.
      double h = std::max(0.0, p - before) / years / std::max(0.05, 1.0 - before);
      h += spec.resolution_per_year * p / std::max(0.05, 1.0 - p);

      // A female ratio of 1000 or more marks a condition of women only
      // (gestational diabetes): men get none of it.
      const double r = spec.female_ratio;
      const bool women_only = r >= 1000;
      hazard_[(c * 2 + 0) * kAgeBands + band] = women_only ? 0.0 : h * 2.0 / (1.0 + r);
      hazard_[(c * 2 + 1) * kAgeBands + band] = women_only ? h * 2.0 : h * 2.0 * r / (1.0 + r);
      const double band_years = band == kAgeBands - 1 ? 30.0 : 5.0;
      lifetime_[c * 2 + 0] += hazard_[(c * 2 + 0) * kAgeBands + band] * band_years;
      lifetime_[c * 2 + 1] += hazard_[(c * 2 + 1) * kAgeBands + band] * band_years;
    }
    for (int decile = 1; decile <= 10; ++decile) {
      deprivation_[c * 10 + (decile - 1)] = std::pow(spec.deprivation_ratio, (5.5 - decile) / 9.0);
    }
  }
}

void ConditionModel::ComputeMortalityNormaliser() {
  for (int s = 0; s < 2; ++s) {
    for (int b = 0; b < kAgeBands; ++b) {
      double expected = 1;
      for (size_t i = 0; i < conditions.size(); ++i) {
        const ConditionSpec& c = conditions[i];
        const double r = c.female_ratio;
        const double female = r >= 1000 ? 2.0 : 2.0 * r / (1.0 + r);
        const double p = std::min(0.95, TargetPrevalence(i, b) * (s == 1 ? female : 2.0 - female));
        expected *= 1.0 + (c.mortality_ratio - 1.0) * p;
      }
      mortality_normaliser[s][b] = expected;
    }
  }
}

namespace {

// Reads a prevalence table whose first column is `id_column`, appending one
// spec per row (with its codelist) to the model.
Status ReadPrevalenceTable(const std::string& table_path, const std::string& id_column,
                           const std::string& codelist_dir, bool deficit, ConditionModel* model) {
  std::vector<std::string> header = {
      id_column,       "female_ratio",          "deprivation_ratio", "resolution_per_year",
      "latent_weight", "diagnosis_delay_years", "mortality_ratio"};
  const size_t fixed = header.size();
  for (int b = 0; b < kAgeBands; ++b) {
    header.push_back(b == kAgeBands - 1 ? "p90_plus" : fmt::format("p{}_{}", b * 5, b * 5 + 4));
  }
  std::vector<DataRow> rows;
  POPULUS_RETURN_IF_ERROR(ReadDataFile(table_path, header, &rows));
  for (const DataRow& row : rows) {
    const auto& f = row.fields;
    const int n = row.line;
    ConditionSpec c;
    c.code = f[0];
    c.deficit = deficit;
    double* numbers[] = {&c.female_ratio,  &c.deprivation_ratio,     &c.resolution_per_year,
                         &c.latent_weight, &c.diagnosis_delay_years, &c.mortality_ratio};
    for (size_t k = 0; k < std::size(numbers); ++k) {
      POPULUS_RETURN_IF_ERROR(ParseNumber(table_path, row, k + 1, header, numbers[k]));
      if (*numbers[k] < 0 || (k != 2 && k != 3 && k != 4 && *numbers[k] == 0)) {
        return Status::Data(
            fmt::format("{} line {} column {}: must not be negative, and greater than 0 for ratios",
                        table_path, n, header[k + 1]));
      }
    }
    if (deficit && c.resolution_per_year > 0) {
      return Status::Data(fmt::format(
          "{} line {}: a frailty deficit stays on the record; resolution_per_year must be 0",
          table_path, n));
    }
    for (int b = 0; b < kAgeBands; ++b) {
      const size_t column = fixed + static_cast<size_t>(b);
      POPULUS_RETURN_IF_ERROR(ParseNumber(table_path, row, column, header, &c.prevalence[b]));
      if (!(c.prevalence[b] >= 0 && c.prevalence[b] < 1)) {
        return Status::Data(
            fmt::format("{} line {} column {}: a prevalence must be from 0 to below 1", table_path,
                        n, header[column]));
      }
    }
    std::string file = c.code;
    std::transform(file.begin(), file.end(), file.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    POPULUS_RETURN_IF_ERROR(
        LoadCodelist((std::filesystem::path(codelist_dir) / (file + ".csv")).string(), &c));
    if (model->index(c.code) >= 0) {
      return Status::Data(
          fmt::format("{} line {}: {} appears twice in the model", table_path, n, c.code));
    }
    model->conditions.push_back(std::move(c));
  }
  return Status::Ok();
}

}  // namespace

Status LoadConditionModel(const std::string& table_path, const std::string& codelist_dir,
                          double latent_sigma, ConditionModel* model) {
  *model = ConditionModel();
  model->latent_sigma = latent_sigma;
  POPULUS_RETURN_IF_ERROR(ReadPrevalenceTable(table_path, "condition", codelist_dir, false, model));
  if (model->conditions.empty()) {
    return Status::Data(fmt::format("{}: there are no conditions", table_path));
  }
  return FinishConditionModel(table_path, model);
}

Status AppendDeficits(const std::string& table_path, const std::string& codelist_dir,
                      ConditionModel* model) {
  return ReadPrevalenceTable(table_path, "deficit", codelist_dir, true, model);
}

Status FinishConditionModel(const std::string& source, ConditionModel* model) {
  if (model->conditions.size() > 250) {
    return Status::Data(fmt::format("{}: more than 250 conditions and deficits", source));
  }
  BandValues ones;
  ones.fill(1.0);
  model->cohort_scale.assign(model->conditions.size(), ones);
  model->own_codes.clear();
  std::unordered_map<std::string, int> owners;  // code -> how many specs list it
  for (const ConditionSpec& c : model->conditions) {
    for (const auto* list : {&c.diagnosis_codes, &c.resolved_codes}) {
      for (const std::string& code : *list) ++owners[code];
    }
  }
  for (const ConditionSpec& c : model->conditions) {
    std::vector<std::string> own;
    for (const std::string& code : c.diagnosis_codes) {
      // Listed once in this spec (a list has no duplicates) and nowhere else.
      if (owners[code] == 1) own.push_back(code);
    }
    if (own.empty()) {
      return Status::Data(fmt::format(
          "{}: every diagnosis code of {} is also another condition's; it needs one of its own",
          source, c.code));
    }
    model->own_codes.push_back(std::move(own));
  }
  model->ComputeMortalityNormaliser();
  model->Prepare();
  return Status::Ok();
}

}  // namespace populus::synth
