#include "rules/rule_pack.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "rules/toml_checker.h"

namespace populus::rules {
namespace {

namespace fs = std::filesystem;

// A path in the manifest, resolved against the manifest's folder.
std::string Resolve(const fs::path& folder, const std::string& given) {
  const fs::path p(given);
  return p.is_absolute() ? given : (folder / p).lexically_normal().string();
}

}  // namespace

Status LoadRulePack(const std::string& path, RulePack* out) {
  *out = RulePack();
  out->path = path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::Usage(fmt::format("the rule pack '{}' is not a file", path));
  }
  toml::table root;
  POPULUS_RETURN_IF_ERROR(ParseTomlFile(path, &root));
  const fs::path folder = fs::absolute(path).parent_path();
  TomlChecker c(path);
  c.NoUnknownKeys(root, "",
                  {"codelists", "registers", "frailty", "multimorbidity", "segments", "worklists",
                   "indicators", "qrisk3", "disclosure"});

  // Every file the pack names, with its key, checked once all are read.
  std::vector<std::pair<std::string, std::string*>> files;
  const auto file = [&](const toml::table& table, const std::string& prefix, const std::string& key,
                        std::string* where) {
    *where = Resolve(folder, c.Get<std::string>(table, prefix, key));
    files.emplace_back(prefix + key, where);
  };
  out->codelists = Resolve(folder, c.Get<std::string>(root, "", "codelists"));

  if (const toml::table* t = c.Table(root, "registers")) {
    c.NoUnknownKeys(*t, "registers.", {"rules"});
    file(*t, "registers.", "rules", &out->registers);
  }
  if (const toml::table* t = c.Table(root, "frailty")) {
    c.NoUnknownKeys(*t, "frailty.", {"definition", "categories", "from_age"});
    file(*t, "frailty.", "definition", &out->efi.definition);
    file(*t, "frailty.", "categories", &out->efi.categories);
    out->efi.from_age = static_cast<int>(c.Get<uint32_t>(*t, "frailty.", "from_age"));
    if (c.ok() && out->efi.from_age > kMaxEfiFromAge) {
      c.Fail("frailty.from_age", fmt::format("must be at most {}", kMaxEfiFromAge));
    }
  }
  if (const toml::table* t = c.Table(root, "multimorbidity")) {
    c.NoUnknownKeys(*t, "multimorbidity.", {"cambridge_score"});
    file(*t, "multimorbidity.", "cambridge_score", &out->cambridge_score);
  }
  if (const toml::table* t = c.Table(root, "segments")) {
    c.NoUnknownKeys(*t, "segments.", {"segments", "care_model_tiers"});
    file(*t, "segments.", "segments", &out->segments);
    file(*t, "segments.", "care_model_tiers", &out->care_model_tiers);
  }
  if (const toml::table* t = c.Table(root, "worklists")) {
    c.NoUnknownKeys(*t, "worklists.", {"rules"});
    file(*t, "worklists.", "rules", &out->worklists);
  }
  if (const toml::table* t = c.Table(root, "indicators")) {
    c.NoUnknownKeys(*t, "indicators.", {"definitions"});
    file(*t, "indicators.", "definitions", &out->indicators);
  }
  if (const toml::table* t = c.Table(root, "qrisk3")) {
    c.NoUnknownKeys(*t, "qrisk3.",
                    {"model", "record", "smoking_amounts", "ethnicity", "ethnicity_codes"});
    file(*t, "qrisk3.", "model", &out->qrisk3.model);
    file(*t, "qrisk3.", "record", &out->qrisk3.record);
    file(*t, "qrisk3.", "smoking_amounts", &out->qrisk3.smoking_amounts);
    file(*t, "qrisk3.", "ethnicity", &out->qrisk3.ethnicity);
    file(*t, "qrisk3.", "ethnicity_codes", &out->qrisk3.ethnicity_codes);
  }
  if (const toml::table* t = c.Table(root, "disclosure")) {
    c.NoUnknownKeys(*t, "disclosure.", {"suppress_up_to", "round_to"});
    out->suppress_up_to = c.Get<uint32_t>(*t, "disclosure.", "suppress_up_to");
    out->round_to = c.Get<uint32_t>(*t, "disclosure.", "round_to");
    if (c.ok() && out->suppress_up_to > kMaxSuppressUpTo) {
      c.Fail("disclosure.suppress_up_to", fmt::format("must be at most {}", kMaxSuppressUpTo));
    }
    if (c.ok() && (out->round_to < 1 || out->round_to > kMaxRoundTo)) {
      c.Fail("disclosure.round_to", fmt::format("must be from 1 to {}", kMaxRoundTo));
    }
  }
  if (c.ok() && !fs::is_directory(out->codelists, ec)) {
    c.Fail("codelists", fmt::format("'{}' is not a folder", out->codelists));
  }
  for (const auto& [key, where] : files) {
    if (c.ok() && !fs::is_regular_file(*where, ec)) {
      c.Fail(key, fmt::format("'{}' is not a file", *where));
    }
  }
  return c.status();
}

}  // namespace populus::rules
