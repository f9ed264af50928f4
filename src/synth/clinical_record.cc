#include "synth/clinical_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <span>
#include <sstream>

#include "common/number.h"
#include "common/snomed_id.h"
#include "common/vocabulary.h"
#include "synth/csv_lines.h"
#include "synth/frailty.h"
#include "synth/generate.h"
#include "synth/random.h"

namespace populus::synth {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(ObservationKind::kCount)>
    kObservationNames = {"systolic_bp",
                         "diastolic_bp",
                         "bmi",
                         "weight",
                         "height",
                         "hba1c",
                         "total_cholesterol",
                         "hdl_cholesterol",
                         "cholesterol_hdl_ratio",
                         "egfr",
                         "serum_creatinine",
                         "urine_acr",
                         "alcohol_units",
                         "audit_c",
                         "pulse_rate"};

// Decimal places each observation is recorded with.
constexpr std::array<int, static_cast<size_t>(ObservationKind::kCount)> kDecimals = {
    0, 0, 1, 1, 2, 0, 1, 2, 1, 0, 0, 1, 0, 0, 0};

// Drug classes that lower blood pressure or cholesterol (by class name).
constexpr std::string_view kAntihypertensives[] = {
    "ace_inhibitors", "angiotensin_receptor_blockers", "calcium_channel_blockers",
    "thiazide_diuretics", "beta_blockers"};

void AppendDate(std::string* out, Date d) {
  const YearMonthDay ymd = CivilFromDays(d);
  char buf[11] = {static_cast<char>('0' + ymd.year / 1000),
                  static_cast<char>('0' + ymd.year / 100 % 10),
                  static_cast<char>('0' + ymd.year / 10 % 10),
                  static_cast<char>('0' + ymd.year % 10),
                  '-',
                  static_cast<char>('0' + ymd.month / 10),
                  static_cast<char>('0' + ymd.month % 10),
                  '-',
                  static_cast<char>('0' + ymd.day / 10),
                  static_cast<char>('0' + ymd.day % 10),
                  ','};
  out->append(buf, sizeof buf);
}

// An event row: patient,date,code,value,unit.
void AppendEvent(std::string* out, std::string_view id, Date d, std::string_view code) {
  out->append(id);
  out->push_back(',');
  AppendDate(out, d);
  out->append(code);
  out->append(",,\n");
}

Status LoadCodeSet(const std::string& path, bool with_unit, CodeSet* out) {
  std::vector<DataRow> rows;
  const std::vector<std::string> header = with_unit
                                              ? std::vector<std::string>{"code", "term", "unit"}
                                              : std::vector<std::string>{"code", "term"};
  POPULUS_RETURN_IF_ERROR(ReadDataFile(path, header, &rows));
  for (const DataRow& row : rows) {
    if (!IsSnomedConceptId(row.fields[0])) {
      return Status::Data(fmt::format("{} line {}: '{}' is not a SNOMED CT concept id", path,
                                      row.line, row.fields[0]));
    }
    // One unit for the whole list: a value is written in the list's unit.
    if (with_unit && row.fields[2] != rows[0].fields[2]) {
      return Status::Data(fmt::format("{} line {}: unit '{}' differs from the list's '{}'", path,
                                      row.line, row.fields[2], rows[0].fields[2]));
    }
    out->codes.push_back(row.fields[0]);
  }
  if (with_unit && !rows.empty()) out->unit = rows[0].fields[2];
  return Status::Ok();
}

bool OnAny(std::span<const Course> courses, const std::vector<bool>& classes, Date d) {
  for (const Course& c : courses) {
    if (classes[c.drug_class] && c.start <= d && (c.stop == kNoDate || c.stop > d)) return true;
  }
  return false;
}

// A whole number from a `name:N` eligibility term, or -1.
int TermNumber(const std::string& term, size_t prefix) {
  uint64_t n = 0;
  return ParseWholeNumber(std::string_view(term).substr(prefix), 99999, &n) ? static_cast<int>(n)
                                                                            : -1;
}

}  // namespace

Status LoadCareModel(const IcsConfig& config, const ConditionModel& model, CareModel* care) {
  *care = CareModel();
  namespace fs = std::filesystem;
  for (size_t k = 0; k < kObservationNames.size(); ++k) {
    const std::string path =
        (fs::path(config.observation_codelists) / (std::string(kObservationNames[k]) + ".csv"))
            .string();
    POPULUS_RETURN_IF_ERROR(LoadCodeSet(path, true, &care->observations[k]));
    if (care->observations[k].codes.empty()) return Status::Data(fmt::format("{}: no codes", path));
  }
  const char* smoking[] = {"smoking_current", "smoking_ex", "smoking_never"};
  for (size_t k = 0; k < 3; ++k) {
    const std::string path =
        (fs::path(config.observation_codelists) / (std::string(smoking[k]) + ".csv")).string();
    POPULUS_RETURN_IF_ERROR(LoadCodeSet(path, true, &care->smoking[k]));
    if (care->smoking[k].codes.empty()) return Status::Data(fmt::format("{}: no codes", path));
  }
  // The coded frailty categories: the FRAIL register's codelist, one code per
  // eFI category above fit (mild, moderate, severe), in that order.
  if (model.frailty.enabled()) {
    const std::string path = (fs::path(config.condition_codelists) / "frail.csv").string();
    std::vector<DataRow> rows;
    POPULUS_RETURN_IF_ERROR(ReadDataFile(path, {"code", "term", "role"}, &rows));
    for (const DataRow& row : rows) {
      if (!IsSnomedConceptId(row.fields[0])) {
        return Status::Data(fmt::format("{} line {}: '{}' is not a SNOMED CT concept id", path,
                                        row.line, row.fields[0]));
      }
      care->frailty_codes.push_back(row.fields[0]);
    }
    if (care->frailty_codes.size() + 1 != model.frailty.categories.size()) {
      return Status::Data(
          fmt::format("{}: expected one code for each eFI category above the first ({}), found {}",
                      path, model.frailty.categories.size() - 1, care->frailty_codes.size()));
    }
  }

  const std::string& path = config.care_processes;
  const std::vector<std::string> header = {"process", "codelist",   "eligible",    "min_age",
                                           "max_age", "completion", "practice_sd", "interval_years",
                                           "season",  "records"};
  std::vector<DataRow> rows;
  POPULUS_RETURN_IF_ERROR(ReadDataFile(path, header, &rows));
  // First every process with its codes, so a process may record another's.
  for (const DataRow& row : rows) {
    CareProcess p;
    p.name = row.fields[0];
    if (p.name.empty())
      return Status::Data(fmt::format("{} line {}: no process name", path, row.line));
    for (const CareProcess& q : care->processes) {
      if (q.name == p.name) {
        return Status::Data(
            fmt::format("{} line {}: process '{}' appears twice", path, row.line, p.name));
      }
    }
    if (!row.fields[1].empty()) {
      POPULUS_RETURN_IF_ERROR(
          LoadCodeSet((fs::path(config.process_codelists) / (row.fields[1] + ".csv")).string(),
                      false, &p.codes));
    }
    care->processes.push_back(std::move(p));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const DataRow& row = rows[i];
    CareProcess& p = care->processes[i];
    auto fail = [&](const std::string& reason) {
      return Status::Data(fmt::format("{} line {}: {}", path, row.line, reason));
    };
    std::istringstream eligible(row.fields[2]);
    bool any = false;
    for (std::string term; eligible >> term; any = true) {
      if (term == "*") {
        p.everyone = true;
      } else if (term == "polypharmacy") {
        p.polypharmacy = true;
      } else if (term == "no-ltc") {
        p.no_ltc = true;
      } else if (term.starts_with("dying:")) {
        p.dying_days = TermNumber(term, 6);
        if (p.dying_days < 1) return fail(fmt::format("'{}' needs a whole number of days", term));
      } else if (term.starts_with("age:")) {
        p.from_age = TermNumber(term, 4);
        if (p.from_age < 0 || p.from_age > 130) {
          return fail(fmt::format("'{}' needs an age in whole years", term));
        }
      } else if (term.starts_with("efi:")) {
        const auto& cats = model.frailty.categories;
        const auto it = std::find(cats.begin(), cats.end(), term.substr(4));
        if (it == cats.end()) return fail(fmt::format("'{}' is not an eFI category", term));
        p.min_efi_category = static_cast<int>(it - cats.begin());
      } else {
        const int c = model.index(term);
        if (c < 0) return fail(fmt::format("'{}' is not a simulated condition", term));
        p.conditions.push_back(c);
      }
    }
    if (!any) return fail("'eligible' is empty: name who the process is for (or * for everyone)");
    double min_age, max_age, interval;
    POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 3, header, &min_age));
    POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 4, header, &max_age));
    POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 5, header, &p.completion));
    POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 6, header, &p.practice_sd));
    POPULUS_RETURN_IF_ERROR(ParseNumber(path, row, 7, header, &interval));
    if (!(p.completion > 0 && p.completion < 1)) return fail("completion must be between 0 and 1");
    if (!(p.practice_sd >= 0 && p.practice_sd <= 3)) return fail("practice_sd must be 0 to 3");
    if (!(min_age >= 0 && max_age >= min_age && max_age <= 130) || min_age != std::floor(min_age) ||
        max_age != std::floor(max_age)) {
      return fail("min_age and max_age must be whole years, 0 to 130, min_age first");
    }
    if (!(interval >= 1 && interval <= 100) || interval != std::floor(interval)) {
      return fail("interval_years must be a whole number from 1 to 100");
    }
    p.min_age = static_cast<int>(min_age);
    p.max_age = static_cast<int>(max_age);
    p.interval_years = static_cast<int>(interval);
    if (!row.fields[8].empty() && row.fields[8] != "autumn") {
      return fail("season must be empty or autumn");
    }
    p.autumn = row.fields[8] == "autumn";
    std::istringstream records(row.fields[9]);
    for (std::string r; records >> r;) {
      const auto obs = std::find(kObservationNames.begin(), kObservationNames.end(), r);
      if (obs != kObservationNames.end()) {
        p.records.push_back(
            {CareRecord::Kind::kObservation, static_cast<int>(obs - kObservationNames.begin())});
      } else if (r == "smoking") {
        p.records.push_back({CareRecord::Kind::kSmoking, 0});
      } else if (r == "frailty_code") {
        if (!model.frailty.enabled()) return fail("frailty_code needs a [frailty] table");
        p.records.push_back({CareRecord::Kind::kFrailtyCode, 0});
      } else if (r.starts_with("condition:")) {
        const int c = model.index(r.substr(10));
        if (c < 0) return fail(fmt::format("'{}' is not a simulated condition", r));
        p.records.push_back({CareRecord::Kind::kConditionCode, c});
      } else {
        const auto other = std::find_if(care->processes.begin(), care->processes.end(),
                                        [&](const CareProcess& q) { return q.name == r; });
        if (other == care->processes.end() || other->codes.codes.empty()) {
          return fail(fmt::format(
              "record '{}' is not an observation, smoking, frailty_code, condition:CODE or a "
              "process with codes",
              r));
        }
        p.records.push_back(
            {CareRecord::Kind::kProcessCode, static_cast<int>(other - care->processes.begin())});
      }
    }
    if (p.codes.codes.empty() && p.records.empty()) {
      return fail(fmt::format("process '{}' has no codelist and records nothing", p.name));
    }
  }
  return Status::Ok();
}

// Per-person physiology, drawn once.
struct RecordWriter::Physiology {
  double height_m, bmi_base, sbp_offset, hba1c_offset, diabetes_control, cholesterol_offset,
      hdl_base, egfr_offset, acr_log, alcohol_units, pulse_offset, engagement;
  bool drinker;
  Date smoking_start = kNoDate, smoking_stop = kNoDate;  // never smoked: kNoDate
  std::span<const Course> repeats;                       // the person's repeat medicines
  std::vector<bool> lowers_bp, statin;
};

RecordWriter::RecordWriter(const SyntheticSystem& system, const CareModel& care)
    : system_(system), care_(care) {
  const IcsConfig& config = system.config;
  baseline_ = config.baseline_date;
  window_start_ = HistoryStart(config);
  activity_start_ = AddCivilYears(
      baseline_, -(config.has_activity ? config.activity.appointment_history_years : 2));
  // Each practice's mix of staff roles: the configured shares, each varied.
  const auto& shares = config.activity.staff_role_share;
  for (const auto& [role, share] : shares) {
    uint8_t index = 0;
    ParseStaffRole(role, &index);
    roles_.push_back(index);
  }
  for (uint32_t p = 0; p < system.ics.practices.size(); ++p) {
    Stream rng(config.seed, Purpose::kPracticeVariation, p, 1);
    std::array<double, 32> cumulative{};
    double total = 0;
    for (size_t k = 0; k < shares.size() && k < cumulative.size(); ++k) {
      total += shares[k].second * std::exp(0.4 * rng.Normal());
      cumulative[k] = total;
    }
    for (double& c : cumulative) c /= std::max(total, 1e-12);
    role_share_.push_back(cumulative);
    std::vector<double> completion;
    for (size_t k = 0; k < care.processes.size(); ++k) {
      const CareProcess& process = care.processes[k];
      Stream prng(config.seed, Purpose::kPracticeVariation, p, 100 + k);
      // A practice-wide quality factor shared by all processes, and the
      // process's own variation.
      const double quality = Stream(config.seed, Purpose::kPracticeVariation, p, 2).Normal();
      const double logit = std::log(process.completion / (1 - process.completion)) +
                           process.practice_sd * (0.6 * quality + 0.8 * prng.Normal());
      completion.push_back(1.0 / (1.0 + std::exp(-logit)));
    }
    completion_.push_back(std::move(completion));
  }
}

double RecordWriter::PracticeFactor(uint32_t practice, uint64_t what) const {
  const double sd = system_.config.activity.practice_variation_sd;
  Stream rng(system_.config.seed, Purpose::kPracticeVariation, practice, 10 + what);
  return std::exp(sd * rng.Normal() - sd * sd / 2);
}

void RecordWriter::Write(const Person& person, std::string_view id, RecordRows* out) const {
  Diagnoses(person, id, &out->events);
  // The repeat medicines, worked out once: prescribed, and what treatment
  // does to the observations.
  std::vector<Course> repeats;
  if (!system_.medicines.empty()) {
    system_.medicines.Repeats(person, person.exit(baseline_), &repeats);
    Medications(person, id, repeats, &out->medications);
  }
  if (system_.config.has_care) {
    const IcsConfig& config = system_.config;
    Stream rng(config.seed, Purpose::kRecord, person.id, 0);
    Physiology body;
    const bool female = person.sex == Sex::kFemale;
    body.height_m = (female ? 1.63 : 1.76) + (female ? 0.065 : 0.07) * rng.Normal();
    body.bmi_base = 26.5 * std::exp(0.15 * rng.Normal());
    body.sbp_offset = 11 * rng.Normal();
    body.hba1c_offset = 3 * rng.Normal();
    body.diabetes_control = rng.Normal();
    body.cholesterol_offset = 0.85 * rng.Normal();
    body.hdl_base = std::max(0.6, (female ? 1.6 : 1.3) + 0.3 * rng.Normal());
    body.egfr_offset = 10 * rng.Normal();
    body.acr_log = rng.Normal();
    body.drinker = rng.Bernoulli(0.78);
    body.alcohol_units = (female ? 6.0 : 10.0) * std::exp(0.9 * rng.Normal());
    body.pulse_offset = 9 * rng.Normal();
    body.engagement = std::exp(0.5 * rng.Normal());
    // Smoking: more common in men and in deprived areas, and behind most COPD.
    const int decile = system_.ics.areas[person.area].imd_decile;
    double ever = (female ? 0.38 : 0.46) * std::pow(1.8, (5.5 - decile) / 9.0);
    const int copd = system_.model.index("COPD");
    for (const Episode& e : person.episodes) {
      if (e.condition == copd) ever = 0.88;
    }
    const double start_age = 15 + 5 * rng.Uniform();
    const double smoked_years = rng.Exponential(22);
    if (rng.Bernoulli(std::min(0.95, ever))) {
      body.smoking_start = person.birth + static_cast<Date>(start_age * kDaysPerYear);
      body.smoking_stop = body.smoking_start + static_cast<Date>(smoked_years * kDaysPerYear);
    }
    const MedicineModel& meds = system_.medicines;
    body.lowers_bp.assign(meds.classes.size(), false);
    body.statin.assign(meds.classes.size(), false);
    for (size_t c = 0; c < meds.classes.size(); ++c) {
      const std::string& name = meds.classes[c].name;
      body.statin[c] = name == "statins";
      for (std::string_view bp : kAntihypertensives)
        body.lowers_bp[c] = body.lowers_bp[c] || name == bp;
    }
    body.repeats = repeats;
    CareProcesses(person, id, body, &out->events);
  }
  if (system_.config.has_activity) {
    Appointments(person, id, &out->appointments);
    Hospital(person, id, &out->hospital);
  }
}

void RecordWriter::Diagnoses(const Person& p, std::string_view id, std::string* out) const {
  const ConditionModel& model = system_.model;
  for (const Episode& e : p.episodes) {
    if (e.diagnosed == kNoDate) continue;
    const ConditionSpec& spec = model.conditions[e.condition];
    // Mostly the condition's usual code; sometimes a more specific one, never
    // a code another condition's codelist also holds.
    Stream codes(system_.config.seed, Purpose::kCodes, p.id, e.condition);
    AppendEvent(out, id, e.diagnosed, codes.PickUsual(model.own_codes[e.condition], 0.7));
    if (e.resolved != kNoDate) AppendEvent(out, id, e.resolved, spec.resolved_codes[0]);
  }
}

double RecordWriter::Observe(const Person& p, const Physiology& body, ObservationKind kind,
                             Date date, Stream& rng, Visit* visit) const {
  const ConditionModel& model = system_.model;
  const double age = (date - p.birth) / kDaysPerYear;
  auto has = [&](const char* code) { return p.Has(model.index(code), date); };
  const double growth = std::clamp(0.45 + 0.033 * age, 0.45, 1.0);  // share of adult height
  // What one visit measures once, so the values derived from them agree:
  // weight is BMI times height squared, the ratio is cholesterol over HDL,
  // creatinine follows that day's eGFR.
  auto bmi = [&] {
    if (std::isnan(visit->bmi)) {
      double v = body.bmi_base + 0.08 * (std::min(age, 60.0) - 45) - 0.1 * std::max(0.0, age - 72);
      if (age < 18) v = (15.5 + 0.35 * std::max(0.0, age - 5)) * body.bmi_base / 26.5;
      if (has("DM")) v += 2.5;
      if (has("OB")) v = std::max(v, 30.5 + std::fabs(3 * rng.Normal()));
      visit->bmi = std::clamp(v + 0.5 * rng.Normal(), 12.0, 70.0);
    }
    return visit->bmi;
  };
  auto height_m = [&] {
    return std::clamp(body.height_m * growth - 0.001 * std::max(0.0, age - 60), 0.45, 2.2);
  };
  auto total_cholesterol = [&] {
    if (std::isnan(visit->total_cholesterol)) {
      double v = 4.3 + 0.025 * std::clamp(age - 20, 0.0, 40.0) + body.cholesterol_offset +
                 0.3 * rng.Normal();
      if (OnAny(body.repeats, body.statin, date)) v *= 0.72;
      visit->total_cholesterol = std::clamp(v, 2.0, 12.0);
    }
    return visit->total_cholesterol;
  };
  auto hdl = [&] {
    if (std::isnan(visit->hdl)) {
      visit->hdl =
          std::clamp(body.hdl_base - (has("DM") ? 0.15 : 0.0) + 0.08 * rng.Normal(), 0.5, 3.5);
    }
    return visit->hdl;
  };
  auto egfr = [&] {
    if (std::isnan(visit->egfr)) {
      visit->egfr = has("CKD") ? std::clamp(45 + body.egfr_offset + 4 * rng.Normal(), 12.0, 59.0)
                               : std::clamp(115 - 0.9 * std::max(0.0, age - 20) + body.egfr_offset +
                                                4 * rng.Normal(),
                                            60.0, 140.0);
    }
    return visit->egfr;
  };
  const bool treated = OnAny(body.repeats, body.lowers_bp, date);
  switch (kind) {
    case ObservationKind::kSystolicBp: {
      double v = 112 + 0.55 * std::max(0.0, age - 25) + body.sbp_offset;
      if (has("HTN")) v += 16;
      if (treated) v -= 11;
      return std::clamp(v + 8 * rng.Normal(), 80.0, 240.0);
    }
    case ObservationKind::kDiastolicBp: {
      double v = 72 + 0.25 * std::max(0.0, age - 25) + 0.2 * body.sbp_offset -
                 0.1 * std::max(0.0, age - 60);
      if (has("HTN")) v += 8;
      if (treated) v -= 6;
      return std::clamp(v + 6 * rng.Normal(), 40.0, 140.0);
    }
    case ObservationKind::kBmi:
      return bmi();
    case ObservationKind::kWeight:
      return std::clamp(bmi() * height_m() * height_m(), 2.0, 300.0);
    case ObservationKind::kHeight:
      return height_m();
    case ObservationKind::kHba1c: {
      // Diabetes raises HbA1c whether or not it has been diagnosed yet.
      const int dm = model.index("DM");
      bool diabetes = false;
      for (const Episode& e : p.episodes)
        diabetes = diabetes || (e.condition == dm && e.PresentOn(date));
      if (diabetes)
        return std::clamp(57 + 14 * body.diabetes_control + 5 * rng.Normal(), 38.0, 150.0);
      if (has("NDH")) return std::clamp(44 + 1.5 * rng.Normal(), 42.0, 47.0);
      return std::clamp(
          34 + 0.07 * std::max(0.0, age - 30) + body.hba1c_offset + 1.5 * rng.Normal(), 25.0, 41.0);
    }
    case ObservationKind::kTotalCholesterol:
      return total_cholesterol();
    case ObservationKind::kHdlCholesterol:
      return hdl();
    case ObservationKind::kCholesterolHdlRatio:
      return std::clamp(total_cholesterol() / hdl(), 1.0, 15.0);
    case ObservationKind::kEgfr:
      return egfr();
    case ObservationKind::kSerumCreatinine:
      return std::clamp(80 * std::pow(90 / egfr(), 1 / 1.15) * (p.sex == Sex::kFemale ? 0.85 : 1.0),
                        20.0, 900.0);
    case ObservationKind::kUrineAcr: {
      const bool risk = has("DM") || has("CKD");
      return std::clamp(
          std::exp((risk ? 0.2 : -0.5) + (risk ? 1.0 : 0.6) * body.acr_log + 0.3 * rng.Normal()),
          0.1, 300.0);
    }
    case ObservationKind::kAlcoholUnits:
      return body.drinker
                 ? std::clamp(body.alcohol_units * std::exp(0.3 * rng.Normal()), 0.0, 200.0)
                 : 0.0;
    case ObservationKind::kAuditC: {
      if (!body.drinker) return 0.0;
      return std::clamp(std::round(body.alcohol_units / 4 + rng.Normal()), 0.0, 12.0);
    }
    case ObservationKind::kPulseRate:
      return std::clamp(72 + body.pulse_offset + (has("AF") ? 12 : 0) + 5 * rng.Normal(), 40.0,
                        160.0);
    case ObservationKind::kCount:
      break;
  }
  return 0;
}

void RecordWriter::CareProcesses(const Person& p, std::string_view id, const Physiology& body,
                                 std::string* out) const {
  const IcsConfig& config = system_.config;
  const ConditionModel& model = system_.model;
  const Date from = std::max(window_start_, p.registered_from);
  const Date end = p.exit(baseline_);
  if (from >= end) return;
  for (size_t k = 0; k < care_.processes.size(); ++k) {
    const CareProcess& process = care_.processes[k];
    Stream rng(config.seed, Purpose::kRecord, p.id, 100 + k);
    const double rate =
        std::min(0.98, completion_[p.practice][k] *
                           std::pow(body.engagement, process.completion > 0.6 ? 0.3 : 0.6));
    // The person's usual time of year for it (reviews recur about a year
    // apart), give or take a couple of weeks.
    const double anchor = rng.Uniform();
    Date last_done = kNoDate;
    bool offered = false;  // a once-only process has had its chance
    for (int year = CivilFromDays(from).year; year <= CivilFromDays(end - 1).year; ++year) {
      const double u = rng.Uniform(), jitter = rng.Normal();
      const Date season = process.autumn ? DaysFromCivil(year, 9, 1) : DaysFromCivil(year, 1, 1);
      const int length = process.autumn ? 106 : 365;
      const Date date =
          season + std::clamp(static_cast<int>(anchor * length + 14 * jitter), 0, length - 1);
      if (date < from || date >= end) continue;
      const int age = AgeInYears(p.birth, date);
      if (age < process.min_age || age > process.max_age) continue;
      // Eligible on the date; `since` is when the qualifying condition was diagnosed.
      Date since = kNoDate;
      bool eligible = process.everyone || (process.from_age >= 0 && age >= process.from_age);
      for (int c : process.conditions) {
        for (const Episode& e : p.episodes) {
          if (e.condition == c && e.RecordedOn(date)) {
            eligible = true;
            since = since == kNoDate ? e.diagnosed : std::min(since, e.diagnosed);
          }
        }
      }
      if (!eligible && process.dying_days > 0 && p.death != kNoDate) {
        eligible = p.death >= date && p.death - date <= process.dying_days;
      }
      if (!eligible && process.no_ltc) eligible = RecordedConditions(model, p, date) == 0;
      if (!eligible && process.polypharmacy && model.frailty.enabled()) {
        eligible = system_.medicines.DistinctDrugs(p, date, model.frailty.polypharmacy_days) >=
                   model.frailty.polypharmacy_drugs;
      }
      if (!eligible && process.min_efi_category >= 0) {
        eligible = PersonEfi(model, &system_.medicines, p, date, model.frailty.from_age).category >=
                   process.min_efi_category;
      }
      if (!eligible) continue;
      bool done;
      if (process.interval_years >= 50) {
        // Once, within a year of the diagnosis that qualifies (one long
        // before the record began was done, or not, before it too).
        if (offered) continue;
        offered = true;
        done = (since == kNoDate || date - since <= 365) && u < rate;
      } else if (process.interval_years == 1) {
        done = u < rate;
      } else {
        const bool due =
            last_done == kNoDate || date - last_done >= process.interval_years * 365 - 60;
        done = due && u < rate;
      }
      if (!done) continue;
      last_done = date;
      Visit visit;
      if (!process.codes.codes.empty())
        AppendEvent(out, id, date, rng.PickUsual(process.codes.codes, 0.8));
      for (const CareRecord& r : process.records) {
        switch (r.kind) {
          case CareRecord::Kind::kObservation: {
            const CodeSet& set = care_.observations[static_cast<size_t>(r.index)];
            const double value =
                Observe(p, body, static_cast<ObservationKind>(r.index), date, rng, &visit);
            out->append(id);
            out->push_back(',');
            AppendDate(out, date);
            fmt::format_to(std::back_inserter(*out), "{},{:.{}f},{}\n",
                           rng.PickUsual(set.codes, 0.85), value,
                           kDecimals[static_cast<size_t>(r.index)], set.unit);
            break;
          }
          case CareRecord::Kind::kSmoking: {
            const int status = body.smoking_start == kNoDate || date < body.smoking_start ? 2
                               : date < body.smoking_stop                                 ? 0
                                                                                          : 1;
            AppendEvent(out, id, date, rng.PickUsual(care_.smoking[status].codes, 0.85));
            break;
          }
          case CareRecord::Kind::kFrailtyCode: {
            const int category =
                PersonEfi(model, &system_.medicines, p, date, model.frailty.from_age).category;
            if (category >= 1 && static_cast<size_t>(category) <= care_.frailty_codes.size()) {
              AppendEvent(out, id, date, care_.frailty_codes[static_cast<size_t>(category - 1)]);
            }
            break;
          }
          case CareRecord::Kind::kConditionCode:
            AppendEvent(out, id, date, model.own_codes[static_cast<size_t>(r.index)][0]);
            break;
          case CareRecord::Kind::kProcessCode: {
            const CareProcess& other = care_.processes[static_cast<size_t>(r.index)];
            AppendEvent(out, id, date, rng.PickUsual(other.codes.codes, 0.8));
            break;
          }
        }
      }
    }
  }
}

void RecordWriter::Medications(const Person& p, std::string_view id,
                               const std::vector<Course>& repeats, std::string* out) const {
  const MedicineModel& meds = system_.medicines;
  const Date end = p.exit(baseline_);
  const Date from = std::max(activity_start_, p.registered_from);
  if (from >= end) return;
  Stream rng(system_.config.seed, Purpose::kRecord, p.id, 1);
  const int interval = rng.Bernoulli(0.3) ? 56 : 28;
  for (const Course& c : repeats) {
    const DrugClass& drug = meds.classes[c.drug_class];
    const std::string& product = meds.Product(p, c.drug_class);
    const Date stop = c.stop == kNoDate ? end : std::min(c.stop, end);
    // Issues run from the start every `interval` days; those in the window are written.
    Date d = c.start;
    if (d < from) d += (from - d + interval - 1) / interval * interval;
    for (; d < stop; d += interval) {
      out->append(id);
      out->push_back(',');
      AppendDate(out, d);
      fmt::format_to(std::back_inserter(*out), "{},{}\n", product, drug.inhaler ? 1 : interval);
    }
  }
  std::vector<Course> courses;
  meds.AcuteCourses(p, from, end, &courses);
  for (const Course& c : courses) {
    out->append(id);
    out->push_back(',');
    AppendDate(out, c.start);
    fmt::format_to(std::back_inserter(*out), "{},{}\n", meds.Product(p, c.drug_class),
                   meds.classes[c.drug_class].inhaler ? 1 : 14);
  }
}

double RecordWriter::AppointmentRate(const Person& p, Date date) const {
  const ActivityConfig& a = system_.config.activity;
  const ConditionModel& model = system_.model;
  const double need =
      (1 + a.appointment_need_per_condition * RecordedConditions(model, p, date)) *
      (1 + a.appointment_need_per_deficit * CountEfiDeficits(model, p.episodes, date, false));
  return a.appointments_per_year[AgeBand(AgeInYears(p.birth, date))] * need *
         PracticeFactor(p.practice, 0);
}

double RecordWriter::AdmissionRisk(const Person& p, Date date) const {
  const ActivityConfig& a = system_.config.activity;
  const ConditionModel& model = system_.model;
  const int decile = system_.ics.areas[p.area].imd_decile;
  double risk =
      std::pow(1 + a.admission_risk_per_condition, RecordedConditions(model, p, date)) *
      std::pow(1 + a.admission_risk_per_deficit, CountEfiDeficits(model, p.episodes, date, false)) *
      std::pow(a.admission_deprivation_ratio, (5.5 - decile) / 9.0);
  if (p.death != kNoDate && p.death >= date && p.death - date <= 365) {
    risk *= a.last_year_of_life_ratio;
  }
  return risk;
}

void RecordWriter::AddExpected(const Person& p, Date date, ExpectedActivity* out) const {
  out->appointments_by_role.resize(StaffRoles().size(), 0.0);
  const double appointments = AppointmentRate(p, date);
  const auto& cumulative = role_share_[p.practice];
  double before = 0;
  for (size_t k = 0; k < roles_.size(); ++k) {
    out->appointments_by_role[roles_[k]] += appointments * (cumulative[k] - before);
    before = cumulative[k];
  }
  const int band = AgeBand(AgeInYears(p.birth, date));
  out->emergency_admissions +=
      system_.config.activity.emergency_admissions_per_year[band] * AdmissionRisk(p, date);
}

void RecordWriter::Appointments(const Person& p, std::string_view id, std::string* out) const {
  const IcsConfig& config = system_.config;
  const ActivityConfig& a = config.activity;
  const ConditionModel& model = system_.model;
  const Date from = std::max(activity_start_, p.registered_from);
  const Date end = p.exit(baseline_);
  if (from >= end) return;
  Stream rng(config.seed, Purpose::kRecord, p.id, 2);
  const double person_factor = std::exp(0.5 * rng.Normal() - 0.125);
  const double dna_factor = std::exp(0.8 * rng.Normal() - 0.32);
  const int decile = system_.ics.areas[p.area].imd_decile;
  const int housebound = model.index("housebound");
  const auto& cumulative = role_share_[p.practice];
  const std::string& practice_code = system_.ics.practices[p.practice].code;
  for (Date t = from; t < end;) {
    const Date step_end = std::min<Date>(end, t + 91);
    const Date mid = t + (step_end - t) / 2;
    const int age = AgeInYears(p.birth, mid);
    const double mean = AppointmentRate(p, mid) * person_factor * (step_end - t) / kDaysPerYear;
    const bool at_home = (p.care_home && AgeInYears(p.birth, end) >= 65) ||
                         (housebound >= 0 && p.Has(housebound, mid));
    const uint64_t n = rng.Poisson(mean);
    for (uint64_t k = 0; k < n; ++k) {
      Date d = t + static_cast<Date>(rng.Below(static_cast<uint64_t>(step_end - t)));
      // Weekends move to the Friday before, or the Monday after if that is
      // before the registration (1970-01-01 was a Thursday).
      const int weekday = ((d % 7) + 7 + 3) % 7;  // 0 Monday ... 6 Sunday
      if (weekday >= 5) d = d - (weekday - 4) >= from ? d - (weekday - 4) : d + (7 - weekday);
      if (d >= end) continue;
      const double r = rng.Uniform();
      size_t role = 0;
      while (role + 1 < roles_.size() && r >= cumulative[role]) ++role;
      const std::string_view role_name = StaffRoles()[roles_[role]];
      const bool clinician = role_name == "gp" || role_name == "nurse" ||
                             role_name == "paramedic" || role_name == "advanced-nurse-practitioner";
      const double m = rng.Uniform();
      const char* mode = at_home && clinician && m < 0.6 ? "home-visit"
                         : m < 0.22                      ? "telephone"
                         : m < 0.225                     ? "video"
                                                         : "face-to-face";
      const double age_dna = age < 16 ? 1.2 : age < 36 ? 1.8 : age < 65 ? 1.0 : 0.5;
      const double dna =
          a.did_not_attend_rate * age_dna * dna_factor * std::pow(2.0, (5.5 - decile) / 9.0);
      const double s = rng.Uniform();
      const char* status = s < a.cancelled_rate         ? "cancelled"
                           : s < a.cancelled_rate + dna ? "did-not-attend"
                                                        : "attended";
      const int duration = role_name == "gp" || role_name == "healthcare-assistant" ? 10
                           : role_name == "nurse"                                   ? 15
                                                                                    : 20;
      const Date booked = std::max(
          p.registered_from, rng.Bernoulli(0.35) ? d : d - static_cast<Date>(rng.Exponential(8.0)));
      out->append(practice_code);
      out->push_back(',');
      out->append(id);
      out->push_back(',');
      AppendDate(out, d);
      AppendDate(out, std::min(booked, d));
      fmt::format_to(std::back_inserter(*out), "{},{},{},{}\n", role_name, mode, status, duration);
    }
    t = step_end;
  }
}

void RecordWriter::Hospital(const Person& p, std::string_view id, std::string* out) const {
  const IcsConfig& config = system_.config;
  const ActivityConfig& a = config.activity;
  const ConditionModel& model = system_.model;
  const Date from = std::max(window_start_, p.registered_from);
  const Date end = p.exit(baseline_);
  if (from >= end) return;
  Stream rng(config.seed, Purpose::kRecord, p.id, 3);
  const std::string& provider =
      a.providers[system_.ics.practices[p.practice].locality % a.providers.size()];
  Date last_emergency = kNoDate;
  auto row = [&](Date d, const char* setting, int stay) {
    out->append(id);
    out->push_back(',');
    AppendDate(out, d);
    out->append(setting);
    out->push_back(',');
    out->append(provider);
    out->push_back(',');
    if (stay >= 0) fmt::format_to(std::back_inserter(*out), "{}", stay);
    out->push_back('\n');
  };
  for (Date t = from; t < end;) {
    const Date step_end = std::min<Date>(end, t + 91);
    const Date mid = t + (step_end - t) / 2;
    const int age = AgeInYears(p.birth, mid);
    const int band = AgeBand(age);
    const double years = (step_end - t) / kDaysPerYear;
    const int conditions = RecordedConditions(model, p, mid);
    double risk = AdmissionRisk(p, mid);
    if (last_emergency != kNoDate && mid - last_emergency <= 365) risk *= a.readmission_ratio;
    const uint64_t emergency = rng.Poisson(a.emergency_admissions_per_year[band] * risk * years);
    const uint64_t ae = rng.Poisson(a.ae_per_year[band] * std::sqrt(risk) * years);
    const uint64_t elective =
        rng.Poisson(a.elective_admissions_per_year[band] * (1 + 0.1 * conditions) * years);
    const bool outpatient_window = step_end > activity_start_;
    const uint64_t outpatients = rng.Poisson(
        outpatient_window ? a.outpatients_per_year[band] * (1 + 0.15 * conditions) * years : 0.0);
    auto day = [&] {
      return t + static_cast<Date>(rng.Below(static_cast<uint64_t>(step_end - t)));
    };
    for (uint64_t k = 0; k < emergency; ++k) {
      const Date d = day();
      const double median = 1.5 + 0.08 * age;
      const int stay = rng.Bernoulli(0.25)
                           ? 0
                           : static_cast<int>(std::clamp(
                                 std::round(median * std::exp(0.9 * rng.Normal())), 1.0, 365.0));
      if (rng.Bernoulli(0.75)) row(d, "ae", -1);  // most come in through A&E
      row(d, "emergency-admission", std::min(stay, static_cast<int>(end - d)));
      last_emergency = std::max(last_emergency == kNoDate ? d : last_emergency, d);
    }
    for (uint64_t k = 0; k < ae; ++k) row(day(), "ae", -1);
    for (uint64_t k = 0; k < elective; ++k) {
      const Date d = day();
      const int stay = rng.Bernoulli(0.75) ? 0 : 1 + static_cast<int>(rng.Exponential(3.0));
      row(d, "elective-admission", std::min(stay, static_cast<int>(end - d)));
    }
    for (uint64_t k = 0; k < outpatients; ++k) {
      const Date d = day();
      if (d >= activity_start_) row(d, "outpatient", -1);
    }
    t = step_end;
  }
}

}  // namespace populus::synth
