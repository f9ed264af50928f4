#include "synth/frailty.h"

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/file_io.h"
#include "synth/csv_lines.h"

namespace populus::synth {
namespace {

constexpr size_t kMaxDeficits = 64;

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

Status ReadCategories(const std::string& path, FrailtyModel* frailty) {
  const std::vector<std::string> header = {"category", "from_score"};
  std::vector<DataRow> rows;
  POPULUS_RETURN_IF_ERROR(ReadDataFile(path, header, &rows));
  for (const DataRow& row : rows) {
    double from = 0;
    POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 1, header, &from));
    const double previous = frailty->category_from.empty() ? -1 : frailty->category_from.back();
    if (row.fields[0].empty() || !(from >= 0 && from <= 1) || from <= previous ||
        (frailty->category_from.empty() && from != 0)) {
      return Status::Data(fmt::format(
          "{} line {}: expected a category name and a score from 0 to 1, rising, the first 0", path,
          row.line));
    }
    frailty->categories.push_back(row.fields[0]);
    frailty->category_from.push_back(from);
  }
  if (frailty->categories.size() < 2) {
    return Status::Data(fmt::format("{}: at least two categories are needed", path));
  }
  return Status::Ok();
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

}  // namespace

int FrailtyModel::Category(int deficits_present) const {
  const double score = static_cast<double>(deficits_present) / static_cast<double>(deficits.size());
  int category = 0;
  for (size_t i = 1; i < category_from.size(); ++i) {
    if (score >= category_from[i] - 1e-12) category = static_cast<int>(i);
  }
  return category;
}

Status LoadFrailtyModel(const IcsConfig& config, ConditionModel* model) {
  if (!config.has_frailty) return Status::Ok();
  FrailtyModel& frailty = model->frailty;
  frailty = FrailtyModel();
  frailty.sigma = config.frailty_sigma;
  frailty.from_age = config.efi_from_age;
  frailty.target_from_age = config.efi_target_from_age;
  POPULUS_RETURN_IF_ERROR(ReadCategories(config.efi_categories, &frailty));

  const size_t conditions = model->conditions.size();
  const std::string efi_dir = (std::filesystem::path(config.codelist_root) / "efi").string();
  POPULUS_RETURN_IF_ERROR(AppendDeficits(config.deficit_table, efi_dir, model));
  frailty.deficit_of.assign(model->conditions.size(), -1);

  const std::string& path = config.efi_definition;
  const std::vector<std::string> header = {"deficit",   "name",      "rule",       "conditions",
                                           "codelists", "min_drugs", "window_days"};
  std::vector<DataRow> rows;
  POPULUS_RETURN_IF_ERROR(ReadDataFile(path, header, &rows));
  std::set<std::string> codelists_seen;
  for (const DataRow& row : rows) {
    const auto& f = row.fields;
    const int n = row.line;
    if (frailty.deficits.size() == kMaxDeficits) {
      return Status::Data(fmt::format("{} line {}: more than {} deficits", path, n, kMaxDeficits));
    }
    if (f[0].empty() || std::find(frailty.deficits.begin(), frailty.deficits.end(), f[0]) !=
                            frailty.deficits.end()) {
      return Status::Data(
          fmt::format("{} line {}: deficit '{}' is empty or repeated", path, n, f[0]));
    }
    const int index = static_cast<int>(frailty.deficits.size());
    frailty.deficits.push_back(f[0]);
    if (f[2] == "polypharmacy") {
      if (frailty.polypharmacy >= 0) {
        return Status::Data(fmt::format("{} line {}: a second polypharmacy deficit", path, n));
      }
      double drugs = 0, days = 0;
      POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 5, header, &drugs));
      POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 6, header, &days));
      if (drugs < 2 || days < 1 || drugs != std::floor(drugs) || days != std::floor(days) ||
          days > 3650 || drugs > 100) {
        return Status::Data(fmt::format(
            "{} line {}: polypharmacy needs whole numbers min_drugs (2-100) and window_days "
            "(1-3650)",
            path, n));
      }
      frailty.polypharmacy_drugs = static_cast<int>(drugs);
      frailty.polypharmacy_days = static_cast<int>(days);
      frailty.polypharmacy = index;
      continue;
    }
    if (f[2] != "coded") {
      return Status::Data(
          fmt::format("{} line {}: rule '{}' is not coded or polypharmacy", path, n, f[2]));
    }
    const std::vector<std::string> lists = Words(f[4]);
    if (lists.empty()) {
      return Status::Data(fmt::format("{} line {}: a coded deficit needs codelists", path, n));
    }
    bool simulated = false;
    for (const std::string& list : lists) {
      if (!codelists_seen.insert(list).second) {
        return Status::Data(
            fmt::format("{} line {}: codelist '{}' belongs to two deficits", path, n, list));
      }
      std::string list_path;
      if (const Status within = PathWithin(config.codelist_root, list, &list_path); !within.ok()) {
        return Status::Data(fmt::format("{} line {}: codelist {}", path, n, within.message()));
      }
      if (!std::filesystem::is_regular_file(list_path)) {
        return Status::Data(fmt::format("{} line {}: codelist '{}' is not a file under '{}'", path,
                                        n, list, config.codelist_root));
      }
      // A simulated deficit is the one whose codelist is efi/<id>.csv.
      for (size_t c = conditions; c < model->conditions.size(); ++c) {
        if (list == "efi/" + Lower(model->conditions[c].code) + ".csv") {
          frailty.deficit_of[c] = index;
          simulated = true;
        }
      }
    }
    for (const std::string& condition : Words(f[3])) {
      const int c = model->index(condition);
      if (c < 0 || static_cast<size_t>(c) >= conditions) {
        return Status::Data(
            fmt::format("{} line {}: condition '{}' is not in the condition table '{}'", path, n,
                        condition, config.condition_table));
      }
      // The simulation counts the condition; the analysis reads the codelist:
      // they must be the same register.
      const std::string own = "ltc/" + Lower(condition) + ".csv";
      if (std::find(lists.begin(), lists.end(), own) == lists.end()) {
        return Status::Data(fmt::format(
            "{} line {}: condition '{}' counts towards '{}' but its codelist {} is not listed",
            path, n, condition, f[0], own));
      }
      if (frailty.deficit_of[c] >= 0) {
        return Status::Data(
            fmt::format("{} line {}: condition '{}' already counts towards deficit '{}'", path, n,
                        condition, frailty.deficits[frailty.deficit_of[c]]));
      }
      frailty.deficit_of[c] = index;
      simulated = true;
    }
    if (!simulated) {
      return Status::Data(fmt::format(
          "{} line {}: the simulation cannot produce deficit '{}': give it a condition, or an "
          "efi/ codelist with a row in '{}'",
          path, n, f[0], config.deficit_table));
    }
  }
  for (size_t c = conditions; c < model->conditions.size(); ++c) {
    if (frailty.deficit_of[c] < 0) {
      return Status::Data(fmt::format(
          "{}: simulated deficit '{}' is not listed as efi/{}.csv by "
          "any deficit in '{}'",
          config.deficit_table, model->conditions[c].code, model->conditions[c].code, path));
    }
  }
  if (frailty.deficits.empty()) return Status::Data(fmt::format("{}: no deficits", path));
  return FinishConditionModel(config.deficit_table, model);
}

int CountEfiDeficits(const ConditionModel& model, std::span<const Episode> episodes, Date date,
                     bool polypharmacy) {
  if (!model.frailty.enabled()) return 0;
  std::bitset<kMaxDeficits> present;
  for (const Episode& e : episodes) {
    if (e.condition >= model.frailty.deficit_of.size()) continue;  // no frailty model
    const int d = model.frailty.deficit_of[e.condition];
    if (d >= 0 && e.diagnosed != kNoDate && e.diagnosed <= date)
      present.set(static_cast<size_t>(d));
  }
  if (polypharmacy && model.frailty.polypharmacy >= 0) {
    present.set(static_cast<size_t>(model.frailty.polypharmacy));
  }
  return static_cast<int>(present.count());
}

}  // namespace populus::synth
