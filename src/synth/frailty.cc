#include "synth/frailty.h"

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <filesystem>

#include "synth/csv_lines.h"

namespace populus::synth {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

}  // namespace

Status LoadFrailtyModel(const IcsConfig& config, ConditionModel* model) {
  if (!config.has_frailty) return Status::Ok();
  FrailtyModel& frailty = model->frailty;
  frailty = FrailtyModel();
  POPULUS_RETURN_IF_ERROR(rules::ReadEfiSpec(config.efi_definition, config.efi_categories,
                                             config.codelist_root, &frailty));
  frailty.sigma = config.frailty_sigma;
  frailty.from_age = config.efi_from_age;
  frailty.target_from_age = config.efi_target_from_age;

  const size_t conditions = model->conditions.size();
  const std::string efi_dir = (std::filesystem::path(config.codelist_root) / "efi").string();
  POPULUS_RETURN_IF_ERROR(AppendDeficits(config.deficit_table, efi_dir, model));
  frailty.deficit_of.assign(model->conditions.size(), -1);

  const std::string& path = config.efi_definition;
  for (size_t d = 0; d < frailty.deficits.size(); ++d) {
    if (static_cast<int>(d) == frailty.polypharmacy) continue;
    const int index = static_cast<int>(d);
    const int n = frailty.lines[d];
    bool simulated = false;
    // A simulated deficit is the one whose codelist is efi/<id>.csv.
    for (const rules::EfiCodelist& list : frailty.codelists[d]) {
      for (size_t c = conditions; c < model->conditions.size(); ++c) {
        if (list.name == "efi/" + Lower(model->conditions[c].code) + ".csv") {
          frailty.deficit_of[c] = index;
          simulated = true;
        }
      }
    }
    for (const std::string& condition : frailty.conditions[d]) {
      const int c = model->index(condition);
      if (c < 0 || static_cast<size_t>(c) >= conditions) {
        return Status::Data(
            fmt::format("{} line {}: condition '{}' is not in the condition table '{}'", path, n,
                        condition, config.condition_table));
      }
      // The simulation counts the condition; the analysis reads the codelist:
      // they must be the same register.
      const std::string own = "ltc/" + Lower(condition) + ".csv";
      const auto& lists = frailty.codelists[d];
      if (std::none_of(lists.begin(), lists.end(),
                       [&](const rules::EfiCodelist& list) { return list.name == own; })) {
        return Status::Data(fmt::format(
            "{} line {}: condition '{}' counts towards '{}' but its codelist {} is not listed",
            path, n, condition, frailty.deficits[d], own));
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
          path, n, frailty.deficits[d], config.deficit_table));
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
  return FinishConditionModel(config.deficit_table, model);
}

int CountEfiDeficits(const ConditionModel& model, std::span<const Episode> episodes, Date date,
                     bool polypharmacy) {
  if (!model.frailty.enabled()) return 0;
  std::bitset<rules::kMaxEfiDeficits> present;
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
