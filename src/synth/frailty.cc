#include "synth/frailty.h"

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

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
  std::ifstream in(path);
  if (!in) return Status::Data(fmt::format("cannot read the eFI categories '{}'", path));
  std::string line;
  std::getline(in, line);
  if (SplitCsvLine(line) != std::vector<std::string>{"category", "from_score"}) {
    return Status::Data(fmt::format("{} line 1: the header must be category,from_score", path));
  }
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const auto f = SplitCsvLine(line);
    double from = -1;
    if (f.size() == 2) {
      try {
        from = std::stod(f[1]);
      } catch (...) {
      }
    }
    const double previous = frailty->category_from.empty() ? -1 : frailty->category_from.back();
    if (f.size() != 2 || f[0].empty() || !(from >= 0 && from <= 1) || from <= previous ||
        (frailty->category_from.empty() && from != 0)) {
      return Status::Data(fmt::format(
          "{} line {}: expected a category name and a score from 0 to 1, rising, the first 0", path,
          n));
    }
    frailty->categories.push_back(f[0]);
    frailty->category_from.push_back(from);
  }
  if (frailty->categories.size() < 2) {
    return Status::Data(fmt::format("{}: at least two categories are needed", path));
  }
  return Status::Ok();
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
  POPULUS_RETURN_IF_ERROR(ReadCategories(config.efi_categories, &frailty));

  const size_t conditions = model->conditions.size();
  const std::string efi_dir = (std::filesystem::path(config.codelist_root) / "efi").string();
  POPULUS_RETURN_IF_ERROR(AppendDeficits(config.deficit_table, efi_dir, model));
  frailty.deficit_of.assign(model->conditions.size(), -1);

  const std::string& path = config.efi_definition;
  std::ifstream in(path);
  if (!in) return Status::Data(fmt::format("cannot read the eFI definition '{}'", path));
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = {"deficit",   "name",      "rule",       "conditions",
                                           "codelists", "min_drugs", "window_days"};
  if (SplitCsvLine(line) != header) {
    return Status::Data(
        fmt::format("{} line 1: the header must be {}", path, fmt::join(header, ",")));
  }
  std::set<std::string> codelists_seen;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const auto f = SplitCsvLine(line);
    if (f.size() != header.size()) {
      return Status::Data(fmt::format("{} line {}: expected {} fields", path, n, header.size()));
    }
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
      try {
        frailty.polypharmacy_drugs = std::stoi(f[5]);
        frailty.polypharmacy_days = std::stoi(f[6]);
      } catch (...) {
        frailty.polypharmacy_drugs = 0;
      }
      if (frailty.polypharmacy_drugs < 2 || frailty.polypharmacy_days < 1) {
        return Status::Data(fmt::format(
            "{} line {}: polypharmacy needs min_drugs (2 or more) and window_days (1 or more)",
            path, n));
      }
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
    for (const std::string& list : lists) {
      if (!codelists_seen.insert(list).second) {
        return Status::Data(
            fmt::format("{} line {}: codelist '{}' belongs to two deficits", path, n, list));
      }
      if (!std::filesystem::is_regular_file(std::filesystem::path(config.codelist_root) / list)) {
        return Status::Data(fmt::format("{} line {}: codelist '{}' is not a file under '{}'", path,
                                        n, list, config.codelist_root));
      }
      // A simulated deficit is the one whose codelist is efi/<id>.csv.
      for (size_t c = conditions; c < model->conditions.size(); ++c) {
        std::string file = model->conditions[c].code;
        std::transform(file.begin(), file.end(), file.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (list == "efi/" + file + ".csv") frailty.deficit_of[c] = index;
      }
    }
    for (const std::string& condition : Words(f[3])) {
      const int c = model->index(condition);
      if (c < 0 || static_cast<size_t>(c) >= conditions) {
        return Status::Data(
            fmt::format("{} line {}: condition '{}' is not in the condition table '{}'", path, n,
                        condition, config.condition_table));
      }
      if (frailty.deficit_of[c] >= 0) {
        return Status::Data(
            fmt::format("{} line {}: condition '{}' already counts towards deficit '{}'", path, n,
                        condition, frailty.deficits[frailty.deficit_of[c]]));
      }
      frailty.deficit_of[c] = index;
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
  std::bitset<kMaxDeficits> present;
  for (const Episode& e : episodes) {
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
