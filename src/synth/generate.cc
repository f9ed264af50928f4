#include "synth/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <thread>

#include "common/csv_field.h"
#include "common/file_io.h"
#include "common/nhs_number.h"
#include "common/vocabulary.h"
#include "synth/clinical_record.h"
#include "synth/frailty.h"
#include "synth/random.h"
#include "synth/synthetic_ics.h"

namespace populus::synth {
namespace fs = std::filesystem;

namespace {
constexpr uint64_t kFreeDigits = 100000000;  // the eight digits after the leading 9
constexpr uint64_t kStride = 48271;          // coprime with 10^8: a bijection

std::string CsvLine(std::initializer_list<std::string_view> fields) {
  std::string line;
  bool first = true;
  for (std::string_view f : fields) {
    if (!first) line.push_back(',');
    first = false;
    AppendCsvField(&line, f);
  }
  line.push_back('\n');
  return line;
}

Status WriteOrganisations(const SyntheticIcs& ics, const std::string& path) {
  FileWriter out;
  POPULUS_RETURN_IF_ERROR(out.Open(path));
  POPULUS_RETURN_IF_ERROR(out.Append("code,name,type,parent_code,postcode\n"));
  POPULUS_RETURN_IF_ERROR(out.Append(CsvLine({ics.code, ics.name, "ics", "", ""})));
  for (const Locality& l : ics.localities) {
    POPULUS_RETURN_IF_ERROR(out.Append(CsvLine({l.code, l.name, "locality", ics.code, ""})));
  }
  for (const Pcn& p : ics.pcns) {
    POPULUS_RETURN_IF_ERROR(
        out.Append(CsvLine({p.code, p.name, "pcn", ics.localities[p.locality].code, ""})));
  }
  for (const Practice& p : ics.practices) {
    POPULUS_RETURN_IF_ERROR(
        out.Append(CsvLine({p.code, p.name, "practice", ics.pcns[p.pcn].code, p.postcode})));
  }
  for (const Site& s : ics.sites) {
    POPULUS_RETURN_IF_ERROR(
        out.Append(CsvLine({s.code, s.name, "site", ics.practices[s.practice].code, s.postcode})));
  }
  for (const Pharmacy& p : ics.pharmacies) {
    POPULUS_RETURN_IF_ERROR(
        out.Append(CsvLine({p.code, p.name, "pharmacy", ics.pcns[p.pcn].code, p.postcode})));
  }
  POPULUS_RETURN_IF_ERROR(out.Sync());
  return out.Close();
}

Status WritePatients(const IcsConfig& config, const SyntheticIcs& ics,
                     const std::vector<Person>& people, const std::vector<uint64_t>& nhs,
                     const std::string& path) {
  FileWriter out;
  POPULUS_RETURN_IF_ERROR(out.Open(path));
  POPULUS_RETURN_IF_ERROR(out.Append(
      "nhs_number,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death,"
      "lsoa,imd_decile,ethnicity,care_home\n"));
  std::string line;
  for (size_t i = 0; i < people.size(); ++i) {
    const Person& p = people[i];
    const SmallArea& area = ics.areas[p.area];
    line.clear();
    fmt::format_to(std::back_inserter(line), "{:010d},{},{},{},{},{},{},{},{},{},{}\n", nhs[i],
                   FormatIsoDate(p.birth), p.sex == Sex::kFemale ? "F" : "M",
                   ics.practices[p.practice].code, FormatIsoDate(p.registered_from),
                   FormatIsoDate(p.registered_to), FormatIsoDate(p.death), area.code,
                   area.imd_decile, p.ethnicity < 0 ? "" : config.ethnicities[p.ethnicity].code,
                   p.care_home ? 1 : 0);
    POPULUS_RETURN_IF_ERROR(out.Append(line));
  }
  POPULUS_RETURN_IF_ERROR(out.Sync());
  return out.Close();
}

// The record of everyone: events, medications, appointments and hospital
// activity, written in people order. Blocks of people are formatted on all
// threads and appended in order, so the files are the same for any thread
// count.
Status WriteRecords(const SyntheticSystem& system, const CareModel& care,
                    const std::vector<Person>& people, const std::vector<uint64_t>& nhs,
                    const fs::path& dir, int threads, RecordCounts* counts) {
  const RecordWriter writer(system, care);
  struct Output {
    const char* file;
    const char* header;
    std::string RecordRows::*rows;
    uint64_t* count;
  };
  const Output outputs[] = {
      {"events.csv", "patient,date,snomed_code,numeric_value,unit\n", &RecordRows::events,
       &counts->events},
      {"medications.csv", "patient,date,dmd_code,quantity\n", &RecordRows::medications,
       &counts->medications},
      {"appointments.csv",
       "practice_code,patient,date,booked_date,staff_role,mode,status,duration_minutes\n",
       &RecordRows::appointments, &counts->appointments},
      {"hospital_activity.csv", "patient,date,setting,provider,length_of_stay_days\n",
       &RecordRows::hospital, &counts->hospital}};
  FileWriter files[4];
  for (size_t f = 0; f < 4; ++f) {
    POPULUS_RETURN_IF_ERROR(files[f].Open((dir / outputs[f].file).string()));
    POPULUS_RETURN_IF_ERROR(files[f].Append(outputs[f].header));
  }
  constexpr size_t kBlock = 512;
  const size_t workers = static_cast<size_t>(std::max(1, threads));
  std::vector<RecordRows> blocks(workers * 4);
  for (size_t first = 0; first < people.size(); first += kBlock * blocks.size()) {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t b; (b = next.fetch_add(1)) < blocks.size();) {
        RecordRows& rows = blocks[b];
        rows = RecordRows();
        const size_t lo = first + b * kBlock;
        const size_t hi = std::min(people.size(), lo + kBlock);
        char id[16];
        for (size_t i = lo; i < hi; ++i) {
          const auto r = fmt::format_to_n(id, sizeof id, "{:010d}", nhs[i]);
          writer.Write(people[i], std::string_view(id, r.size), &rows);
        }
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (const RecordRows& rows : blocks) {
      for (size_t f = 0; f < 4; ++f) {
        const std::string& text = rows.*outputs[f].rows;
        *outputs[f].count += static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
        POPULUS_RETURN_IF_ERROR(files[f].Append(text));
      }
    }
  }
  for (FileWriter& f : files) {
    POPULUS_RETURN_IF_ERROR(f.Sync());
    POPULUS_RETURN_IF_ERROR(f.Close());
  }
  return Status::Ok();
}

// Every calibration measure of the generated system at the baseline, in one
// pass over the people.
std::map<std::string, double> Measures(const SyntheticSystem& system,
                                       const std::vector<Person>& people) {
  const IcsConfig& config = system.config;
  const SyntheticIcs& ics = system.ics;
  const ConditionModel& model = system.model;
  const Date baseline = config.baseline_date;
  std::vector<uint64_t> per_practice(ics.practices.size(), 0);
  uint64_t registered = 0, over_70 = 0, over_65 = 0, under_20 = 0, over_16 = 0;
  uint64_t one_plus = 0, three_plus = 0, diabetes_16 = 0, dementia_65 = 0;
  std::vector<uint64_t> efi_categories(model.frailty.categories.size(), 0);
  const int diabetes = model.index("DM"), dementia = model.index("DEM");
  for (const Person& p : people) {
    if (!RegisteredOn(p, baseline)) continue;
    ++registered;
    ++per_practice[p.practice];
    const int age = AgeInYears(p.birth, baseline);
    over_70 += age >= 70;
    over_65 += age >= 65;
    under_20 += age < 20;
    over_16 += age >= 16;
    const int category =
        PersonEfi(model, &system.medicines, p, baseline, model.frailty.target_from_age).category;
    if (category >= 0) ++efi_categories[static_cast<size_t>(category)];
    const int conditions = RecordedConditions(model, p, baseline);
    one_plus += conditions >= 1;
    three_plus += conditions >= 3;
    for (const Episode& e : p.episodes) {
      // Diabetes counts diagnosed or not; dementia as recorded.
      if (e.condition == diabetes && age >= 16 && e.PresentOn(baseline)) ++diabetes_16;
      if (e.condition == dementia && age >= 65 && e.RecordedOn(baseline)) ++dementia_65;
    }
  }
  const auto share = [](uint64_t part, uint64_t whole) {
    return static_cast<double>(part) / std::max<double>(1, static_cast<double>(whole));
  };
  std::map<std::string, double> m;
  m["localities"] = static_cast<double>(ics.localities.size());
  m["pcns"] = static_cast<double>(ics.pcns.size());
  m["practices"] = static_cast<double>(ics.practices.size());
  m["sites"] = static_cast<double>(ics.sites.size());
  m["pharmacies"] = static_cast<double>(ics.pharmacies.size());
  m["registered_population"] = static_cast<double>(registered);
  m["aged_70_plus_share"] = share(over_70, registered);
  m["aged_65_plus_share"] = share(over_65, registered);
  m["aged_under_20_share"] = share(under_20, registered);
  m["one_or_more_ltc_share"] = share(one_plus, registered);
  m["three_or_more_ltc_share"] = share(three_plus, registered);
  m["diabetes_16_plus_share"] = share(diabetes_16, over_16);
  m["dementia_65_plus"] = static_cast<double>(dementia_65);
  // Frail: every category above the first (fit); the shares are of the
  // frail, by category name (efi_<name>_share).
  uint64_t frail = 0;
  for (size_t k = 1; k < efi_categories.size(); ++k) frail += efi_categories[k];
  m["efi_frail"] = static_cast<double>(frail);
  for (size_t k = 1; k < efi_categories.size(); ++k) {
    m["efi_" + model.frailty.categories[k] + "_share"] = share(efi_categories[k], frail);
  }
  m["practice_list_size_min"] =
      static_cast<double>(*std::min_element(per_practice.begin(), per_practice.end()));
  m["practice_list_size_max"] =
      static_cast<double>(*std::max_element(per_practice.begin(), per_practice.end()));
  std::vector<uint64_t> per_pcn(ics.pcns.size(), 0);
  for (size_t i = 0; i < ics.practices.size(); ++i)
    per_pcn[ics.practices[i].pcn] += per_practice[i];
  size_t within = 0;
  for (uint64_t size : per_pcn) {
    const double served = static_cast<double>(size);
    within += served >= 30000 * config.scale && served <= 50000 * config.scale;
  }
  m["pcn_share_30k_to_50k"] = static_cast<double>(within) / static_cast<double>(per_pcn.size());
  return m;
}

std::string FormatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e12) return fmt::format("{:.0f}", v);
  return fmt::format("{:.4f}", v);
}

}  // namespace

SyntheticNhsNumbers::SyntheticNhsNumbers(uint64_t seed) {
  uint64_t mix = seed;
  position_ = SplitMix64(&mix) % kFreeDigits;
}

uint64_t SyntheticNhsNumbers::Next() {
  for (;;) {
    const uint64_t first_nine = 900000000 + (position_ * kStride) % kFreeDigits;
    position_ = (position_ + 1) % kFreeDigits;
    const int check = NhsCheckDigit(first_nine);
    if (check >= 0) return first_nine * 10 + static_cast<uint64_t>(check);
  }
}

Status LoadSystem(const std::string& config_path, const std::string& data_root,
                  std::optional<uint64_t> seed, double scale, SyntheticSystem* system) {
  IcsConfig* config = &system->config;
  ConditionModel* model = &system->model;
  POPULUS_RETURN_IF_ERROR(LoadIcsConfig(config_path, data_root, config));
  if (seed) config->seed = *seed;
  if (scale <= 0) return Status::Usage("--scale must be greater than 0");
  if (scale != 1) ScaleIcsConfig(scale, config);
  POPULUS_RETURN_IF_ERROR(LoadConditionModel(config->condition_table, config->condition_codelists,
                                             config->latent_sigma, model));
  // A target about a condition needs that condition in the model.
  for (const CalibrationTarget& t : config->targets) {
    const char* needed = t.measure == "diabetes_16_plus_share" ? "DM"
                         : t.measure == "dementia_65_plus"     ? "DEM"
                                                               : nullptr;
    if (needed != nullptr && model->index(needed) < 0) {
      return Status::Data(fmt::format("{}: target {} needs condition {} in '{}'", config_path,
                                      t.measure, needed, config->condition_table));
    }
  }
  for (const auto& [condition, change] : config->incidence_change_per_year) {
    if (model->index(condition) < 0) {
      return Status::Data(
          fmt::format("{}: key 'projection.incidence_change_per_year.{}': not a condition in '{}'",
                      config_path, condition, config->condition_table));
    }
  }
  POPULUS_RETURN_IF_ERROR(LoadFrailtyModel(*config, model));
  if (config->has_medicines) {
    POPULUS_RETURN_IF_ERROR(LoadMedicineModel(config->medicine_rules, config->medicine_codelists,
                                              *model, config->seed, &system->medicines));
  }
  if (config->has_care) POPULUS_RETURN_IF_ERROR(LoadCareModel(*config, *model, &system->care));
  // Targets about eFI categories need those categories.
  for (const CalibrationTarget& t : config->targets) {
    if (!t.measure.starts_with("efi_") || t.measure == "efi_frail") continue;
    const std::string category = t.measure.substr(4, t.measure.size() - 4 - 6);  // efi_X_share
    const auto& names = model->frailty.categories;
    if (std::find(names.begin(), names.end(), category) == names.end()) {
      return Status::Data(fmt::format("{}: target {} needs an eFI category '{}' in '{}'",
                                      config_path, t.measure, category, config->efi_categories));
    }
  }
  system->ics = BuildOrganisations(*config);
  return Status::Ok();
}

Status Generate(const GenerateOptions& options, GenerateResult* result) {
  const auto start = std::chrono::steady_clock::now();
  SyntheticSystem system;
  POPULUS_RETURN_IF_ERROR(
      LoadSystem(options.config_path, options.data_root, options.seed, options.scale, &system));
  const IcsConfig& config = system.config;
  ConditionModel& model = system.model;
  const SyntheticIcs& ics = system.ics;
  OutputDirectory out;
  POPULUS_RETURN_IF_ERROR(out.Begin(options.out_dir, options.overwrite, "populus generate"));
  const fs::path staging = out.staging();
  std::vector<Person> people =
      CalibratedPopulation(config, ics, &model, options.threads, &system.medicines);
  std::vector<uint64_t> nhs(people.size());
  SyntheticNhsNumbers numbers(config.seed);
  for (uint64_t& n : nhs) n = numbers.Next();
  POPULUS_RETURN_IF_ERROR(WriteOrganisations(ics, (staging / "organisations.csv").string()));
  POPULUS_RETURN_IF_ERROR(
      WritePatients(config, ics, people, nhs, (staging / "patients.csv").string()));
  POPULUS_RETURN_IF_ERROR(
      WriteRecords(system, system.care, people, nhs, staging, options.threads, &result->records));

  std::string calibration = "measure,population,target,achieved,tolerance,pass\n";
  const std::map<std::string, double> measures = Measures(system, people);
  for (const CalibrationTarget& t : config.targets) {
    const auto m = measures.find(t.measure);
    // The eFI measures count people from the targets' age, not everyone.
    const std::string population = t.measure.starts_with("efi_")
                                       ? fmt::format("aged {}+", config.efi_target_from_age)
                                       : std::string("registered");
    CalibrationResult r{t.measure,   population,
                        t.value,     m == measures.end() ? std::nan("") : m->second,
                        t.tolerance, false};
    r.pass = std::fabs(r.achieved - r.target) <= r.tolerance + 1e-9;
    calibration +=
        fmt::format("{},{},{},{},{},{}\n", r.measure, r.population, FormatNumber(r.target),
                    FormatNumber(r.achieved), FormatNumber(r.tolerance), r.pass ? "pass" : "FAIL");
    result->calibration.push_back(r);
  }
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically((staging / "calibration.csv").string(), calibration));
  POPULUS_RETURN_IF_ERROR(out.Finish());

  const Date window_start = HistoryStart(config);
  result->people = people.size();
  for (const Person& p : people) {
    result->registered_at_baseline += RegisteredOn(p, config.baseline_date);
    if (p.registered_to != kNoDate && p.registered_to >= window_start) {
      (p.death != kNoDate ? result->deaths : result->departures) += 1;
    }
  }
  result->out_dir = options.out_dir;
  result->latent_sigma = model.latent_sigma;
  result->frailty_sigma = model.frailty.sigma;
  result->deficit_prevalence_scale = model.frailty.prevalence_scale;
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace populus::synth
