#include "rules/efi_definition.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/file_io.h"
#include "extract/data_table.h"

namespace populus::rules {
namespace {

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

Status ReadCategories(const std::string& path, EfiSpec* out) {
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(path, {{"category", "from_score"}}, &t));
  const int name = t.Column({"category"}), from_score = t.Column({"from_score"});
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double from = 0;
    POPULUS_RETURN_IF_ERROR(t.Number(r, from_score, false, &from));
    const double previous = out->category_from.empty() ? -1 : out->category_from.back();
    if (t.rows[r][static_cast<size_t>(name)].empty() || !(from >= 0 && from <= 1) ||
        from <= previous || (out->category_from.empty() && from != 0)) {
      return Status::Data(fmt::format(
          "{} line {}: expected a category name and a score from 0 to 1, rising, the first 0", path,
          t.lines[r]));
    }
    out->categories.push_back(t.rows[r][static_cast<size_t>(name)]);
    out->category_from.push_back(from);
  }
  if (out->categories.size() < 2) {
    return Status::Data(fmt::format("{}: at least two categories are needed", path));
  }
  return Status::Ok();
}

}  // namespace

int EfiSpec::Category(int deficits_present) const {
  const double score = static_cast<double>(deficits_present) / static_cast<double>(deficits.size());
  int category = 0;
  for (size_t i = 1; i < category_from.size(); ++i) {
    if (score >= category_from[i] - 1e-12) category = static_cast<int>(i);
  }
  return category;
}

Status ReadEfiSpec(const std::string& definition, const std::string& categories,
                   const std::string& codelist_root, EfiSpec* out) {
  *out = EfiSpec();
  out->definition_path = definition;
  out->categories_path = categories;
  out->codelist_root = codelist_root;
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      definition,
      {{"deficit", "name", "rule", "conditions", "codelists", "min_drugs", "window_days"}}, &t));
  const auto column = [&t](const char* name) { return static_cast<size_t>(t.Column({name})); };
  const size_t id = column("deficit"), name = column("name"), rule = column("rule"),
               conditions = column("conditions"), lists = column("codelists");
  const int drugs = t.Column({"min_drugs"}), days = t.Column({"window_days"});
  std::set<std::string> codelists_seen;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& f = t.rows[r];
    const auto line = static_cast<int>(t.lines[r]);
    const auto fail = [&](const std::string& reason) {
      return Status::Data(fmt::format("{} line {}: {}", definition, line, reason));
    };
    if (out->deficits.size() == kMaxEfiDeficits) {
      return fail(fmt::format("more than {} deficits", kMaxEfiDeficits));
    }
    if (f[id].empty() ||
        std::find(out->deficits.begin(), out->deficits.end(), f[id]) != out->deficits.end()) {
      return fail(fmt::format("deficit '{}' is empty or repeated", f[id]));
    }
    const int index = static_cast<int>(out->deficits.size());
    out->deficits.push_back(f[id]);
    out->names.push_back(f[name]);
    out->lines.push_back(line);
    out->conditions.push_back(Words(f[conditions]));
    out->codelists.emplace_back();
    if (f[rule] == "polypharmacy") {
      if (out->polypharmacy >= 0) return fail("a second polypharmacy deficit");
      double d = 0, w = 0;
      POPULUS_RETURN_IF_ERROR(t.Number(r, drugs, false, &d));
      POPULUS_RETURN_IF_ERROR(t.Number(r, days, false, &w));
      if (d < 2 || w < 1 || d != std::floor(d) || w != std::floor(w) || w > 3650 || d > 100) {
        return fail("polypharmacy needs whole numbers min_drugs (2-100) and window_days (1-3650)");
      }
      out->polypharmacy = index;
      out->polypharmacy_drugs = static_cast<int>(d);
      out->polypharmacy_days = static_cast<int>(w);
      continue;
    }
    if (f[rule] != "coded") {
      return fail(fmt::format("rule '{}' is not coded or polypharmacy", f[rule]));
    }
    const std::vector<std::string> named = Words(f[lists]);
    if (named.empty()) return fail("a coded deficit needs codelists");
    for (const std::string& list : named) {
      if (!codelists_seen.insert(list).second) {
        return fail(fmt::format("codelist '{}' belongs to two deficits", list));
      }
      std::string path;
      if (const Status within = PathWithin(codelist_root, list, &path); !within.ok()) {
        return fail("codelist " + within.message());
      }
      if (!std::filesystem::is_regular_file(path)) {
        return fail(fmt::format("codelist '{}' is not a file under '{}'", list, codelist_root));
      }
      out->codelists.back().push_back({list, path});
    }
  }
  if (out->deficits.empty()) {
    return Status::Data(
        fmt::format("{}: between 1 and {} deficits are needed", definition, kMaxEfiDeficits));
  }
  return ReadCategories(categories, out);
}

}  // namespace populus::rules
