#include "analysis/qrisk3.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace populus::analysis {
namespace {

const char* const kContinuous[] = {"age_1", "age_2", "bmi_1", "bmi_2",
                                   "rati",  "sbp",   "sbps5", "town"};

double Transform(double base, double power, bool log) {
  const double v = std::pow(base, power);
  return log ? v * std::log(base) : v;
}

}  // namespace

Status Qrisk3Model::Load(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::Data(
        fmt::format("{} line {}: {}", path, e.source().begin.line, std::string(e.description())));
  }
  auto fail = [&](const std::string& key, const std::string& reason) {
    return Status::Data(fmt::format("{}: key '{}': {}", path, key, reason));
  };
  flag_names_.clear();
  for (int s = 0; s < 2; ++s) {
    const std::string sex = s == 1 ? "female" : "male";
    const toml::table* t = root[sex].as_table();
    if (t == nullptr) return fail(sex, "the table is missing");
    Sex& m = sexes_[s];
    const auto survival = (*t)["baseline_survival_10y"].value<double>();
    if (!survival || !(*survival > 0 && *survival < 1)) {
      return fail(sex + ".baseline_survival_10y", "must be a number between 0 and 1");
    }
    m.survival = *survival;
    // Tables of numbers keyed by name (or by a category's number).
    auto numbers = [&](const std::string& key, std::map<std::string, double>* out) -> Status {
      const toml::table* table = root.at_path(sex + "." + key).as_table();
      if (table == nullptr) return fail(sex + "." + key, "the table is missing");
      for (const auto& [name, node] : *table) {
        const auto v = node.value<double>();
        if (!v || !std::isfinite(*v)) {
          return fail(sex + "." + key + "." + std::string(name.str()), "must be a number");
        }
        (*out)[std::string(name.str())] = *v;
      }
      return Status::Ok();
    };
    std::map<std::string, double> ethrisk, smoke;
    POPULUS_RETURN_IF_ERROR(numbers("ethrisk", &ethrisk));
    POPULUS_RETURN_IF_ERROR(numbers("smoke_cat", &smoke));
    for (const auto& [k, v] : ethrisk) m.ethrisk[std::atoi(k.c_str())] = v;
    for (const auto& [k, v] : smoke) m.smoke_cat[std::atoi(k.c_str())] = v;
    if (m.ethrisk.size() != 9 || m.ethrisk.begin()->first != 1 || m.ethrisk.rbegin()->first != 9) {
      return fail(sex + ".ethrisk", "needs the categories 1 to 9");
    }
    if (m.smoke_cat.size() != 5 || m.smoke_cat.begin()->first != 0 ||
        m.smoke_cat.rbegin()->first != 4) {
      return fail(sex + ".smoke_cat", "needs the categories 0 to 4");
    }
    POPULUS_RETURN_IF_ERROR(numbers("centre", &m.centre));
    POPULUS_RETURN_IF_ERROR(numbers("continuous", &m.continuous));
    POPULUS_RETURN_IF_ERROR(numbers("binary", &m.binary));
    POPULUS_RETURN_IF_ERROR(numbers("interaction.age_1", &m.age_1_interaction));
    POPULUS_RETURN_IF_ERROR(numbers("interaction.age_2", &m.age_2_interaction));
    for (const char* k : kContinuous) {
      if (!m.centre.count(k) || !m.continuous.count(k)) {
        return fail(sex + ".centre/continuous." + k, "is missing");
      }
    }
    const toml::table* transform = root.at_path(sex + ".transform").as_table();
    if (transform == nullptr) return fail(sex + ".transform", "the table is missing");
    m.age_divisor = (*transform)["age_divisor"].value_or(0.0);
    m.bmi_divisor = (*transform)["bmi_divisor"].value_or(0.0);
    if (!(m.age_divisor > 0 && m.bmi_divisor > 0)) {
      return fail(sex + ".transform", "age_divisor and bmi_divisor must be above 0");
    }
    for (const auto& [key, term, base] :
         {std::tuple{"age_1", &m.age_1, "dage"}, std::tuple{"age_2", &m.age_2, "dage"},
          std::tuple{"bmi_1", &m.bmi_1, "dbmi"}, std::tuple{"bmi_2", &m.bmi_2, "dbmi"}}) {
      const toml::table* spec = (*transform)[key].as_table();
      const auto power = spec ? (*spec)["power"].value<double>() : std::nullopt;
      const auto log = spec ? (*spec)["ln"].value<bool>() : std::nullopt;
      const auto from = spec ? (*spec)["base"].value<std::string>() : std::nullopt;
      if (!power || !log || !from || *from != base) {
        return fail(sex + ".transform." + key,
                    fmt::format("needs base = \"{}\", power and ln", base));
      }
      term->power = *power;
      term->log = *log;
    }
    for (const auto* table : {&m.binary, &m.age_1_interaction, &m.age_2_interaction}) {
      for (const auto& [name, v] : *table) {
        const bool continuous = std::find(std::begin(kContinuous), std::end(kContinuous), name) !=
                                std::end(kContinuous);
        if (!continuous && !name.starts_with("smoke_cat_") &&
            std::find(flag_names_.begin(), flag_names_.end(), name) == flag_names_.end()) {
          flag_names_.push_back(name);
        }
      }
    }
  }
  std::sort(flag_names_.begin(), flag_names_.end());
  return Status::Ok();
}

bool Qrisk3Model::Score(const Qrisk3Input& in, double* percent, std::string* reason) const {
  if (!(in.age >= 25 && in.age <= 84)) {
    *reason = fmt::format("age {} is outside 25-84", in.age);
    return false;
  }
  const Sex& m = sexes_[in.female ? 1 : 0];
  if (!m.ethrisk.count(in.ethrisk)) {
    *reason = fmt::format("ethrisk {} is not 1-9", in.ethrisk);
    return false;
  }
  if (!m.smoke_cat.count(in.smoke_cat)) {
    *reason = fmt::format("smoke_cat {} is not 0-4", in.smoke_cat);
    return false;
  }
  for (const auto& [name, value] :
       {std::pair{"bmi", in.bmi}, std::pair{"rati", in.rati}, std::pair{"sbp", in.sbp}}) {
    if (!(value > 0 && std::isfinite(value))) {
      *reason = fmt::format("{} must be a number above 0", name);
      return false;
    }
  }
  if (!std::isfinite(in.sbps5) || in.sbps5 < 0 || !std::isfinite(in.town)) {
    *reason = "sbps5 must be 0 or more and town a number";
    return false;
  }
  const double dage = in.age / m.age_divisor, dbmi = in.bmi / m.bmi_divisor;
  std::map<std::string, double> centred = {{"age_1", Transform(dage, m.age_1.power, m.age_1.log)},
                                           {"age_2", Transform(dage, m.age_2.power, m.age_2.log)},
                                           {"bmi_1", Transform(dbmi, m.bmi_1.power, m.bmi_1.log)},
                                           {"bmi_2", Transform(dbmi, m.bmi_2.power, m.bmi_2.log)},
                                           {"rati", in.rati},
                                           {"sbp", in.sbp},
                                           {"sbps5", in.sbps5},
                                           {"town", in.town}};
  for (auto& [k, v] : centred) v -= m.centre.at(k);
  double a = m.ethrisk.at(in.ethrisk) + m.smoke_cat.at(in.smoke_cat);
  for (const auto& [k, v] : centred) a += m.continuous.at(k) * v;
  auto flag = [&](const std::string& name) {
    const auto it = in.flags.find(name);
    return it != in.flags.end() && it->second ? 1.0 : 0.0;
  };
  for (const auto& [name, coefficient] : m.binary) a += coefficient * flag(name);
  // Interactions with the centred age terms: a flag, a smoking category, or
  // a centred continuous value.
  auto x = [&](const std::string& name) {
    if (name.starts_with("smoke_cat_")) {
      return in.smoke_cat == std::atoi(name.c_str() + 10) ? 1.0 : 0.0;
    }
    const auto c = centred.find(name);
    return c != centred.end() ? c->second : flag(name);
  };
  for (const auto& [name, coefficient] : m.age_1_interaction) {
    a += coefficient * centred.at("age_1") * x(name);
  }
  for (const auto& [name, coefficient] : m.age_2_interaction) {
    a += coefficient * centred.at("age_2") * x(name);
  }
  *percent = 100.0 * (1.0 - std::pow(m.survival, std::exp(a)));
  return true;
}

}  // namespace populus::analysis
