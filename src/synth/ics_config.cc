#include "synth/ics_config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "common/nhs_number.h"
#include "common/snomed_id.h"
#include "common/vocabulary.h"
#include "extract/csv_reader.h"
#include "extract/data_table.h"
#include "extract/extract_schema.h"
#include "rules/rule_pack.h"
#include "rules/toml_checker.h"

namespace populus::synth {
namespace {

// Why a name the extract carries (an organisation's name) would be refused
// by populus ingest, or empty when it is fine.
std::string NameProblem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (ControlByteIn(name) >= 0) return "holds a control character";
  if (!IsValidUtf8(name)) return "is not valid UTF-8";
  if (ContainsNhsNumberShape(name)) return "holds what looks like an NHS number";
  return std::string();
}

Status LoadEthnicities(const std::string& path, const std::string& key, IcsConfig* config) {
  if (!std::filesystem::is_regular_file(path)) {
    return Status::Data(fmt::format("{}: key '{}': cannot read '{}'", config->path, key, path));
  }
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(path, kCensusEthnicityColumns, &t));
  int share = -1;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"dorset_share"}, &share));
  const auto code = static_cast<size_t>(t.Column({"code"}));
  double total = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    EthnicCategory c;
    c.code = t.rows[r][code];
    if (!IsSnomedConceptId(c.code)) {
      return Status::Data(
          fmt::format("{} line {}: '{}' is not a SNOMED CT concept id", path, t.lines[r], c.code));
    }
    POPULUS_RETURN_IF_ERROR(t.Number(r, share, false, &c.share));
    if (c.share < 0) {
      return Status::Data(fmt::format("{} line {}: negative share", path, t.lines[r]));
    }
    total += c.share;
    config->ethnicities.push_back(c);
  }
  if (std::fabs(total - 1.0) > 1e-6) {
    return Status::Data(fmt::format("{}: the shares sum to {}, not 1", path, total));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& CalibrationMeasures() {
  static const std::vector<std::string> kMeasures = {"registered_population",
                                                     "aged_70_plus_share",
                                                     "aged_under_20_share",
                                                     "aged_65_plus_share",
                                                     "localities",
                                                     "pcns",
                                                     "practices",
                                                     "sites",
                                                     "pharmacies",
                                                     "practice_list_size_min",
                                                     "practice_list_size_max",
                                                     "pcn_share_30k_to_50k",
                                                     "efi_frail",
                                                     "efi_mild_share",
                                                     "efi_moderate_share",
                                                     "efi_severe_share",
                                                     "one_or_more_ltc_share",
                                                     "three_or_more_ltc_share",
                                                     "diabetes_16_plus_share",
                                                     "dementia_65_plus"};
  return kMeasures;
}

bool MeasureCountsPeople(const std::string& measure) {
  return measure == "registered_population" || measure == "practice_list_size_min" ||
         measure == "practice_list_size_max" || measure == "dementia_65_plus" ||
         measure == "efi_frail";
}

std::string ResolveDataPath(const std::string& config_path, const std::string& data_root,
                            const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path given(path);
  if (!given.is_relative() || fs::exists(given)) return path;
  std::vector<fs::path> candidates = {fs::path(data_root) / given};
  for (fs::path dir = fs::absolute(config_path).parent_path();
       !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
    candidates.push_back(dir / given);
  }
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate)) return candidate.string();
  }
  return path;
}

uint32_t IcsConfig::total_pcns() const {
  uint32_t n = 0;
  for (const auto& l : localities) n += l.pcns;
  return n;
}

uint32_t IcsConfig::total_practices() const {
  uint32_t n = 0;
  for (const auto& l : localities) n += l.practices;
  return n;
}

Status LoadIcsConfig(const std::string& path, const std::string& data_root, IcsConfig* config) {
  *config = IcsConfig();
  config->path = path;
  toml::table root;
  POPULUS_RETURN_IF_ERROR(rules::ParseTomlFile(path, &root));
  rules::TomlChecker c(path);
  c.NoUnknownKeys(root, "",
                  {"ics", "practices", "population", "demography", "conditions", "frailty",
                   "medicines", "activity", "care", "projection", "localities", "targets"});

  if (const toml::table* ics = c.Table(root, "ics")) {
    c.NoUnknownKeys(*ics, "ics.",
                    {"code", "name", "baseline_date", "history_years", "registered_population",
                     "sites", "pharmacies", "seed"});
    config->code = c.Get<std::string>(*ics, "ics.", "code");
    if (c.ok() && !IsOrganisationCode(config->code)) {
      c.Fail("ics.code", fmt::format("'{}' is not an organisation code (1 to 32 letters, digits, "
                                     "- or _, such as \"QVV\")",
                                     config->code));
    }
    config->name = c.Get<std::string>(*ics, "ics.", "name");
    if (const std::string problem = NameProblem(config->name); c.ok() && !problem.empty()) {
      c.Fail("ics.name", problem);
    }
    const std::string baseline = c.Get<std::string>(*ics, "ics.", "baseline_date");
    if (c.ok() && ParseIsoDate(baseline, &config->baseline_date) != DateParse::kOk) {
      c.Fail("ics.baseline_date", fmt::format("'{}' is not a YYYY-MM-DD date", baseline));
    }
    // People up to 120 years old with up to 50 years of history: every date
    // the extract holds must be one populus ingest accepts (from 1800).
    if (c.ok() && (config->baseline_date < DaysFromCivil(1980, 1, 1) ||
                   config->baseline_date > DaysFromCivil(2100, 12, 31))) {
      c.Fail("ics.baseline_date", fmt::format("{} is not from 1980-01-01 to 2100-12-31", baseline));
    }
    config->history_years = c.Get<int>(*ics, "ics.", "history_years");
    if (c.ok() && (config->history_years < 1 || config->history_years > 50)) {
      c.Fail("ics.history_years", "must be from 1 to 50");
    }
    config->registered_population = c.Get<uint32_t>(*ics, "ics.", "registered_population");
    config->sites = c.Get<uint32_t>(*ics, "ics.", "sites");
    config->pharmacies = c.Get<uint32_t>(*ics, "ics.", "pharmacies");
    config->seed = c.Get<uint64_t>(*ics, "ics.", "seed");
  }
  if (const toml::table* pr = c.Table(root, "practices")) {
    c.NoUnknownKeys(*pr, "practices.", {"min_list_size", "max_list_size", "list_size_spread"});
    config->min_list_size = c.Get<uint32_t>(*pr, "practices.", "min_list_size");
    config->max_list_size = c.Get<uint32_t>(*pr, "practices.", "max_list_size");
    config->list_size_spread = c.Get<double>(*pr, "practices.", "list_size_spread");
    if (c.ok() && config->min_list_size >= config->max_list_size) {
      c.Fail("practices.max_list_size", "must be larger than min_list_size");
    }
    if (c.ok() && !(config->list_size_spread >= 0 && config->list_size_spread <= 3)) {
      c.Fail("practices.list_size_spread", "must be from 0 to 3");
    }
  }
  std::string ethnicity_codelist;
  if (const toml::table* pop = c.Table(root, "population")) {
    c.NoUnknownKeys(
        *pop, "population.",
        {"age_band_share", "female_share", "ethnicity_codelist", "ethnicity_not_recorded"});
    config->age_band_share = c.Array<kAgeBands>(*pop, "population.", "age_band_share", 0, 1);
    c.SumsToOne(config->age_band_share, "population.age_band_share");
    config->female_share = c.Array<kAgeBands>(*pop, "population.", "female_share", 0, 1);
    ethnicity_codelist = c.Get<std::string>(*pop, "population.", "ethnicity_codelist");
    config->ethnicity_not_recorded = c.Get<double>(*pop, "population.", "ethnicity_not_recorded");
    if (c.ok() && (config->ethnicity_not_recorded < 0 || config->ethnicity_not_recorded > 1)) {
      c.Fail("population.ethnicity_not_recorded", "must be a proportion from 0 to 1");
    }
  }
  if (const toml::table* d = c.Table(root, "demography")) {
    c.NoUnknownKeys(*d, "demography.",
                    {"male_deaths_per_1000", "female_deaths_per_1000",
                     "deprivation_mortality_ratio", "migration_out_rate", "care_home_share"});
    config->male_deaths_per_1000 =
        c.Array<kAgeBands>(*d, "demography.", "male_deaths_per_1000", 0, 1000);
    config->female_deaths_per_1000 =
        c.Array<kAgeBands>(*d, "demography.", "female_deaths_per_1000", 0, 1000);
    config->deprivation_mortality_ratio =
        c.Array<10>(*d, "demography.", "deprivation_mortality_ratio", 0, 10);
    config->migration_out_rate = c.Array<kAgeBands>(*d, "demography.", "migration_out_rate", 0, 1);
    config->care_home_share = c.Array<kAgeBands>(*d, "demography.", "care_home_share", 0, 1);
  }
  if (const toml::table* cond = c.Table(root, "conditions")) {
    c.NoUnknownKeys(*cond, "conditions.", {"prevalence_table", "codelists", "latent_sigma"});
    config->condition_table = ResolveDataPath(
        path, data_root, c.Get<std::string>(*cond, "conditions.", "prevalence_table"));
    config->condition_codelists =
        ResolveDataPath(path, data_root, c.Get<std::string>(*cond, "conditions.", "codelists"));
    config->latent_sigma = c.Get<double>(*cond, "conditions.", "latent_sigma");
    if (c.ok() && !std::filesystem::is_regular_file(config->condition_table)) {
      c.Fail("conditions.prevalence_table",
             fmt::format("'{}' is not a file", config->condition_table));
    }
    if (c.ok() && !std::filesystem::is_directory(config->condition_codelists)) {
      c.Fail("conditions.codelists",
             fmt::format("'{}' is not a directory of codelists", config->condition_codelists));
    }
    if (c.ok() && (config->latent_sigma < 0 || config->latent_sigma > 3)) {
      c.Fail("conditions.latent_sigma", "must be from 0 to 3");
    }
  }
  if (const toml::table* frailty = root["frailty"].as_table()) {
    const std::string prefix = "frailty.";
    c.NoUnknownKeys(*frailty, prefix,
                    {"rules", "deficit_table", "latent_sigma", "target_from_age"});
    config->has_frailty = true;
    config->rule_pack =
        ResolveDataPath(path, data_root, c.Get<std::string>(*frailty, prefix, "rules"));
    config->deficit_table =
        ResolveDataPath(path, data_root, c.Get<std::string>(*frailty, prefix, "deficit_table"));
    config->frailty_sigma = c.Get<double>(*frailty, prefix, "latent_sigma");
    config->efi_target_from_age =
        static_cast<int>(c.Get<uint32_t>(*frailty, prefix, "target_from_age"));
    if (c.ok() && !std::filesystem::is_regular_file(config->deficit_table)) {
      c.Fail(prefix + "deficit_table", fmt::format("'{}' is not a file", config->deficit_table));
    }
    if (c.ok() && (config->frailty_sigma < 0 || config->frailty_sigma > 3)) {
      c.Fail(prefix + "latent_sigma", "must be from 0 to 3");
    }
    if (c.ok() && config->efi_target_from_age > rules::kMaxEfiFromAge) {
      c.Fail(prefix + "target_from_age", fmt::format("must be at most {}", rules::kMaxEfiFromAge));
    }
    if (c.ok()) {
      rules::RulePack pack;
      if (const Status st = rules::LoadRulePack(config->rule_pack, &pack); !st.ok()) {
        c.Fail(prefix + "rules", st.message());
      }
      config->efi_definition = pack.efi.definition;
      config->efi_categories = pack.efi.categories;
      config->codelist_root = pack.codelists;
      config->efi_from_age = pack.efi.from_age;
    }
  }
  if (const toml::table* medicines = root["medicines"].as_table()) {
    const std::string prefix = "medicines.";
    c.NoUnknownKeys(*medicines, prefix, {"rules", "codelists"});
    config->has_medicines = true;
    config->medicine_rules =
        ResolveDataPath(path, data_root, c.Get<std::string>(*medicines, prefix, "rules"));
    config->medicine_codelists =
        ResolveDataPath(path, data_root, c.Get<std::string>(*medicines, prefix, "codelists"));
    if (c.ok() && !std::filesystem::is_regular_file(config->medicine_rules)) {
      c.Fail(prefix + "rules", fmt::format("'{}' is not a file", config->medicine_rules));
    }
    if (c.ok() && !std::filesystem::is_directory(config->medicine_codelists)) {
      c.Fail(prefix + "codelists",
             fmt::format("'{}' is not a directory", config->medicine_codelists));
    }
  }
  if (const toml::table* a = root["activity"].as_table()) {
    const std::string prefix = "activity.";
    c.NoUnknownKeys(
        *a, prefix,
        {"appointment_history_years", "appointments_per_year", "appointment_need_per_condition",
         "appointment_need_per_deficit", "staff_role_share", "did_not_attend_rate",
         "cancelled_rate", "practice_variation_sd", "ae_per_year", "emergency_admissions_per_year",
         "elective_admissions_per_year", "outpatients_per_year", "admission_risk_per_condition",
         "admission_risk_per_deficit", "admission_deprivation_ratio", "readmission_ratio",
         "last_year_of_life_ratio", "providers"});
    config->has_activity = true;
    ActivityConfig& ac = config->activity;
    ac.appointment_history_years =
        static_cast<int>(c.Get<uint32_t>(*a, prefix, "appointment_history_years"));
    if (c.ok() && (ac.appointment_history_years < 1 ||
                   ac.appointment_history_years > config->history_years)) {
      c.Fail(prefix + "appointment_history_years", "must be from 1 to ics.history_years");
    }
    ac.appointments_per_year = c.Array<kAgeBands>(*a, prefix, "appointments_per_year", 0, 50);
    ac.ae_per_year = c.Array<kAgeBands>(*a, prefix, "ae_per_year", 0, 10);
    ac.emergency_admissions_per_year =
        c.Array<kAgeBands>(*a, prefix, "emergency_admissions_per_year", 0, 5);
    ac.elective_admissions_per_year =
        c.Array<kAgeBands>(*a, prefix, "elective_admissions_per_year", 0, 5);
    ac.outpatients_per_year = c.Array<kAgeBands>(*a, prefix, "outpatients_per_year", 0, 20);
    struct Bounded {
      const char* key;
      double* value;
      double lo, hi;
    };
    for (const Bounded& b :
         {Bounded{"appointment_need_per_condition", &ac.appointment_need_per_condition, 0, 5},
          Bounded{"appointment_need_per_deficit", &ac.appointment_need_per_deficit, 0, 5},
          Bounded{"did_not_attend_rate", &ac.did_not_attend_rate, 0, 0.5},
          Bounded{"cancelled_rate", &ac.cancelled_rate, 0, 0.5},
          Bounded{"practice_variation_sd", &ac.practice_variation_sd, 0, 2},
          Bounded{"admission_risk_per_condition", &ac.admission_risk_per_condition, 0, 5},
          Bounded{"admission_risk_per_deficit", &ac.admission_risk_per_deficit, 0, 5},
          Bounded{"admission_deprivation_ratio", &ac.admission_deprivation_ratio, 0.1, 10},
          Bounded{"readmission_ratio", &ac.readmission_ratio, 0.1, 20},
          Bounded{"last_year_of_life_ratio", &ac.last_year_of_life_ratio, 0.1, 50}}) {
      *b.value = c.Get<double>(*a, prefix, b.key);
      if (c.ok() && !(*b.value >= b.lo && *b.value <= b.hi)) {
        c.Fail(prefix + b.key, fmt::format("must be from {} to {}", b.lo, b.hi));
      }
    }
    if (const toml::table* roles = (*a)["staff_role_share"].as_table(); roles != nullptr) {
      double sum = 0;
      for (const auto& [key, node] : *roles) {
        const std::string role(key.str());
        uint8_t index;
        if (c.ok() && !ParseStaffRole(role, &index)) {
          c.Fail(prefix + "staff_role_share." + role,
                 fmt::format("is not a staff role ({})", AcceptedStaffRoles()));
        }
        const auto v = node.value<double>();
        if (c.ok() && !(v && *v >= 0 && *v <= 1)) {
          c.Fail(prefix + "staff_role_share." + role, "must be a share from 0 to 1");
        }
        if (!c.ok()) break;
        for (const auto& [other, share] : ac.staff_role_share) {
          uint8_t other_index = 0;
          ParseStaffRole(other, &other_index);
          if (other_index == index) {
            c.Fail(prefix + "staff_role_share." + role,
                   fmt::format("is the same role as '{}'", other));
          }
        }
        ac.staff_role_share.emplace_back(role, *v);
        sum += *v;
      }
      if (c.ok() && std::fabs(sum - 1) > 1e-6) {
        c.Fail(prefix + "staff_role_share", fmt::format("the shares sum to {}, not 1", sum));
      }
    } else {
      c.Fail(prefix + "staff_role_share", "is missing (a table of role = share)");
    }
    if (const toml::array* providers = (*a)["providers"].as_array(); providers != nullptr) {
      for (const auto& node : *providers) {
        const auto code = node.value<std::string>();
        const bool shape = code && !code->empty() && code->size() <= 32 &&
                           std::all_of(code->begin(), code->end(), [](unsigned char ch) {
                             return std::isalnum(ch) || ch == '-' || ch == '_';
                           });
        if (c.ok() && !shape) {
          c.Fail(prefix + "providers",
                 "every provider must be an organisation code such as \"R9A\"");
        }
        if (c.ok()) ac.providers.push_back(*code);
      }
    }
    if (c.ok() && ac.providers.empty()) c.Fail(prefix + "providers", "needs at least one provider");
  }
  if (const toml::table* care = root["care"].as_table()) {
    const std::string prefix = "care.";
    c.NoUnknownKeys(*care, prefix,
                    {"processes", "observation_codelists", "process_codelists",
                     "end_of_life_recognition", "end_of_life_practice_sd"});
    config->end_of_life_recognition = c.Get<double>(*care, prefix, "end_of_life_recognition");
    config->end_of_life_practice_sd = c.Get<double>(*care, prefix, "end_of_life_practice_sd");
    if (c.ok() && !(config->end_of_life_recognition >= 0 && config->end_of_life_recognition < 1)) {
      c.Fail(prefix + "end_of_life_recognition", "must be a share from 0 to below 1");
    }
    if (c.ok() && !(config->end_of_life_practice_sd >= 0 && config->end_of_life_practice_sd <= 3)) {
      c.Fail(prefix + "end_of_life_practice_sd", "must be from 0 to 3");
    }
    config->has_care = true;
    config->care_processes =
        ResolveDataPath(path, data_root, c.Get<std::string>(*care, prefix, "processes"));
    config->observation_codelists = ResolveDataPath(
        path, data_root, c.Get<std::string>(*care, prefix, "observation_codelists"));
    config->process_codelists =
        ResolveDataPath(path, data_root, c.Get<std::string>(*care, prefix, "process_codelists"));
    if (c.ok() && !std::filesystem::is_regular_file(config->care_processes)) {
      c.Fail(prefix + "processes", fmt::format("'{}' is not a file", config->care_processes));
    }
    for (const auto& [key, dir] :
         {std::pair{"observation_codelists", config->observation_codelists},
          std::pair{"process_codelists", config->process_codelists}}) {
      if (c.ok() && !std::filesystem::is_directory(dir)) {
        c.Fail(prefix + key, fmt::format("'{}' is not a directory", dir));
      }
    }
  }
  if (const toml::table* proj = c.Table(root, "projection")) {
    c.NoUnknownKeys(*proj, "projection.",
                    {"general_fertility_rate", "arrival_to_departure_ratio",
                     "mortality_change_per_year", "incidence_change_per_year"});
    if (const toml::table* trends = (*proj)["incidence_change_per_year"].as_table()) {
      for (const auto& [key, node] : *trends) {
        const std::string condition(key.str());
        const auto v = node.value<double>();
        if (c.ok() && !(v && *v >= -0.2 && *v <= 0.2)) {
          c.Fail("projection.incidence_change_per_year." + condition,
                 "must be a share a year from -0.2 to 0.2");
        }
        if (c.ok()) config->incidence_change_per_year.emplace_back(condition, *v);
      }
    } else if (proj->contains("incidence_change_per_year")) {
      c.Fail("projection.incidence_change_per_year", "must be a table of condition = share");
    }
    config->mortality_change_per_year =
        c.Get<double>(*proj, "projection.", "mortality_change_per_year");
    if (c.ok() &&
        !(config->mortality_change_per_year >= -0.1 && config->mortality_change_per_year <= 0.1)) {
      c.Fail("projection.mortality_change_per_year", "must be from -0.1 to 0.1 (a share a year)");
    }
    config->general_fertility_rate = c.Get<double>(*proj, "projection.", "general_fertility_rate");
    if (c.ok() && (config->general_fertility_rate < 0 || config->general_fertility_rate > 200)) {
      c.Fail("projection.general_fertility_rate", "must be from 0 to 200 births per 1,000 women");
    }
    config->arrival_ratio =
        c.Array<kAgeBands>(*proj, "projection.", "arrival_to_departure_ratio", 0, 10);
  }
  const toml::array* locs = root["localities"].as_array();
  if (locs == nullptr || locs->empty()) {
    c.Fail("localities", "there must be at least one [[localities]] table");
  } else {
    uint64_t population = 0;
    std::set<std::string> names;
    for (size_t i = 0; i < locs->size() && c.ok(); ++i) {
      const toml::table* t = (*locs)[i].as_table();
      const std::string prefix = fmt::format("localities[{}].", i + 1);
      if (t == nullptr) {
        c.Fail(prefix, "must be a table");
        break;
      }
      c.NoUnknownKeys(*t, prefix,
                      {"name", "population", "pcns", "practices", "rural", "imd_mean", "imd_sd",
                       "postcode_districts"});
      LocalityConfig l;
      l.name = c.Get<std::string>(*t, prefix, "name");
      l.population = c.Get<uint32_t>(*t, prefix, "population");
      l.pcns = c.Get<uint32_t>(*t, prefix, "pcns");
      l.practices = c.Get<uint32_t>(*t, prefix, "practices");
      l.rural = c.Get<bool>(*t, prefix, "rural");
      l.imd_mean = c.Get<double>(*t, prefix, "imd_mean");
      l.imd_sd = c.Get<double>(*t, prefix, "imd_sd");
      if (const toml::array* districts = (*t)["postcode_districts"].as_array()) {
        for (const auto& d : *districts) {
          if (auto s = d.value<std::string>()) l.postcode_districts.push_back(*s);
        }
      }
      if (!c.ok()) break;
      if (const std::string problem = NameProblem(l.name); !problem.empty()) {
        c.Fail(prefix + "name", problem);
      }
      if (!names.insert(l.name).second) c.Fail(prefix + "name", "two localities have this name");
      if (l.practices == 0) c.Fail(prefix + "practices", "a locality needs at least one practice");
      if (l.pcns == 0) c.Fail(prefix + "pcns", "a locality needs at least one PCN");
      if (l.pcns > l.practices) c.Fail(prefix + "pcns", "a PCN needs at least one practice");
      if (c.ok() && (static_cast<uint64_t>(l.practices) * config->min_list_size > l.population ||
                     static_cast<uint64_t>(l.practices) * config->max_list_size < l.population)) {
        c.Fail(
            prefix + "population",
            fmt::format("{} people cannot be shared among {} practices of {} to {} patients",
                        l.population, l.practices, config->min_list_size, config->max_list_size));
      }
      if (!(l.imd_mean >= 1 && l.imd_mean <= 10))
        c.Fail(prefix + "imd_mean", "must be from 1 to 10");
      if (!(l.imd_sd >= 0 && l.imd_sd <= 10)) c.Fail(prefix + "imd_sd", "must be from 0 to 10");
      if (l.postcode_districts.empty()) {
        c.Fail(prefix + "postcode_districts", "needs at least one outward code, such as \"BH15\"");
      }
      population += l.population;
      config->localities.push_back(std::move(l));
    }
    if (c.ok() && population != config->registered_population) {
      c.Fail("localities",
             fmt::format("the localities' populations sum to {}, not ics.registered_population {}",
                         population, config->registered_population));
    }
    if (c.ok() && config->sites < config->total_practices()) {
      c.Fail("ics.sites", fmt::format("every practice needs a main site: at least {}",
                                      config->total_practices()));
    }
  }
  if (const toml::array* targets = root["targets"].as_array(); targets != nullptr && c.ok()) {
    const auto& known = CalibrationMeasures();
    for (size_t i = 0; i < targets->size() && c.ok(); ++i) {
      const toml::table* t = (*targets)[i].as_table();
      const std::string prefix = fmt::format("targets[{}].", i + 1);
      if (t == nullptr) {
        c.Fail(prefix, "must be a table");
        break;
      }
      c.NoUnknownKeys(*t, prefix, {"measure", "value", "tolerance"});
      CalibrationTarget target;
      target.measure = c.Get<std::string>(*t, prefix, "measure");
      target.value = c.Get<double>(*t, prefix, "value");
      target.tolerance = c.Get<double>(*t, prefix, "tolerance");
      if (c.ok() && std::find(known.begin(), known.end(), target.measure) == known.end()) {
        std::string list;
        for (const auto& m : known) list += (list.empty() ? "" : ", ") + m;
        c.Fail(prefix + "measure",
               fmt::format("'{}' is not a measure populus can check ({})", target.measure, list));
      }
      if (c.ok() && !(target.tolerance >= 0)) c.Fail(prefix + "tolerance", "must not be negative");
      if (c.ok() && target.measure.starts_with("efi_") && !config->has_frailty) {
        c.Fail(prefix + "measure", "an eFI target needs a [frailty] table");
      }
      config->targets.push_back(target);
    }
  }
  POPULUS_RETURN_IF_ERROR(c.status());

  return LoadEthnicities(ResolveDataPath(path, data_root, ethnicity_codelist),
                         "population.ethnicity_codelist", config);
}

void ScaleIcsConfig(double factor, IcsConfig* config) {
  auto scale = [factor](uint32_t n) {
    return static_cast<uint32_t>(std::llround(static_cast<double>(n) * factor));
  };
  uint32_t total = 0;
  for (auto& l : config->localities) {
    l.population = scale(l.population);
    total += l.population;
  }
  config->registered_population = total;
  config->scale *= factor;
  config->min_list_size = std::max<uint32_t>(50, scale(config->min_list_size));
  config->max_list_size = std::max(config->min_list_size + 1, scale(config->max_list_size));
  for (auto& t : config->targets) {
    if (MeasureCountsPeople(t.measure)) {
      t.value *= factor;
      t.tolerance *= factor;
    }
  }
}

}  // namespace populus::synth
