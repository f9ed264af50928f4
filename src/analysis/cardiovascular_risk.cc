#include "analysis/cardiovascular_risk.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "analysis/code_masks.h"
#include "analysis/codelist.h"
#include "analysis/table.h"
#include "common/vocabulary.h"
#include "store/snapshot.h"

namespace populus::analysis {
namespace {

// The measurement and smoking lists, in mask bit order.
enum Measure { kSbp, kRatio, kTotalCholesterol, kHdl, kBmi, kCurrent, kEx, kNever, kMeasures };
constexpr const char* kMeasureNames[] = {
    "sbp",        "rati",         "total_cholesterol", "hdl_cholesterol", "bmi", "smoking_current",
    "smoking_ex", "smoking_never"};
constexpr int kFiveYears = 1826;

Status ReadCodes(const std::string& path, std::vector<std::string>* codes) {
  Codelist list;
  POPULUS_RETURN_IF_ERROR(ReadCodelist(path, false, &list));
  if (list.diagnosis.empty()) return Status::Data(fmt::format("{}: no codes", path));
  *codes = std::move(list.diagnosis);
  return Status::Ok();
}

}  // namespace

struct CardiovascularRisk::Impl {
  Qrisk3Model model;
  std::vector<int> exclude;
  std::map<std::string, std::vector<int>> flags;  // flag name -> criteria (any)
  std::vector<std::vector<std::string>> measures{kMeasures};
  std::unordered_map<std::string, int> smoking_amount;  // code -> smoke_cat
  std::unordered_map<std::string, int> ethrisk;         // ethnicity code -> ethrisk
};

CardiovascularRisk::CardiovascularRisk() : impl_(std::make_unique<Impl>()) {}
CardiovascularRisk::~CardiovascularRisk() = default;

Status CardiovascularRisk::Load(const rules::QriskFiles& files, const std::string& codelist_root,
                                CriteriaSet* set) {
  Impl& m = *impl_;
  POPULUS_RETURN_IF_ERROR(m.model.Load(files.model));
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(files.record, {{"input", "source"}}, &t));
  int input = 0, source = 0;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"input"}, &input));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"source"}, &source));
  const auto& known = m.model.flag_names();
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& name = t.rows[r][static_cast<size_t>(input)];
    const std::string& what = t.rows[r][static_cast<size_t>(source)];
    const std::string where = fmt::format("{} line {}", files.record, t.lines[r]);
    const auto measure = std::find(std::begin(kMeasureNames), std::end(kMeasureNames), name);
    if (measure != std::end(kMeasureNames)) {
      const auto k = static_cast<size_t>(measure - std::begin(kMeasureNames));
      if (!m.measures[k].empty()) return Status::Data(fmt::format("{}: {} twice", where, name));
      POPULUS_RETURN_IF_ERROR(
          ReadCodes((std::filesystem::path(codelist_root) / what).string(), &m.measures[k]));
      continue;
    }
    if (name != "exclude" && std::find(known.begin(), known.end(), name) == known.end()) {
      return Status::Data(
          fmt::format("{}: '{}' is not exclude, a QRISK3 condition or a measurement", where, name));
    }
    int id = 0;
    POPULUS_RETURN_IF_ERROR(set->Add(what, where, &id));
    (name == "exclude" ? m.exclude : m.flags[name]).push_back(id);
  }
  for (size_t k = 0; k < kMeasures; ++k) {
    if (m.measures[k].empty()) {
      return Status::Data(fmt::format("{}: no row for {}", files.record, kMeasureNames[k]));
    }
  }
  // Current smokers by amount (smoke_cat 2-4); ethnic codes to their census
  // group, and groups to QRISK3's ethrisk.
  POPULUS_RETURN_IF_ERROR(ReadWholeNumberMap(files.smoking_amounts,
                                             {{"code", "smoke_cat"}, {"term"}}, "code", "smoke_cat",
                                             2, 4, &m.smoking_amount));
  std::unordered_map<std::string, int> ethrisk_of_group, group_of_code;
  POPULUS_RETURN_IF_ERROR(ReadWholeNumberMap(files.ethnicity, {{"group_16", "ethrisk"}, {"group"}},
                                             "group_16", "ethrisk", 1, 9, &ethrisk_of_group));
  POPULUS_RETURN_IF_ERROR(ReadWholeNumberMap(files.ethnicity_codes, kCensusEthnicityColumns, "code",
                                             "group_16", 1, 16, &group_of_code));
  for (const auto& [code, group] : group_of_code) {
    const auto it = ethrisk_of_group.find(std::to_string(group));
    if (it == ethrisk_of_group.end()) {
      return Status::Data(fmt::format("{}: census group {} (of code {} in {}) has no ethrisk",
                                      files.ethnicity, group, code, files.ethnicity_codes));
    }
    m.ethrisk[code] = it->second;
  }
  return Status::Ok();
}

struct CardiovascularRisk::Reader::Impl {
  const CardiovascularRisk::Impl& risk;
  const Snapshot& snapshot;
  Date as_of;
  std::span<const int32_t> dates;
  CodeColumn codes;
  EventValues values;
  std::vector<uint64_t> masks;
  std::vector<int8_t> amount;   // per code id: smoke_cat, or -1
  std::vector<int8_t> ethrisk;  // per ethnicity dictionary id
  CodeColumn ethnicity;

  Impl(const CardiovascularRisk::Impl& r, const Snapshot& s, Date date)
      : risk(r),
        snapshot(s),
        as_of(date),
        dates(s.events().date),
        codes(s.events().code),
        values(s),
        ethnicity(s.patients().ethnicity) {
    std::vector<const std::vector<std::string>*> lists;
    for (const auto& l : r.measures) lists.push_back(&l);
    masks = CodelistMasks(codes, lists);
    amount.assign(codes.dictionary_size(), -1);
    for (uint32_t id = 0; id < codes.dictionary_size(); ++id) {
      const auto it = r.smoking_amount.find(std::string(codes.dictionary_entry(id)));
      if (it != r.smoking_amount.end()) amount[id] = static_cast<int8_t>(it->second);
    }
    ethrisk.assign(ethnicity.dictionary_size(), 1);  // not recorded: as White or not stated
    for (uint32_t id = 0; id < ethnicity.dictionary_size(); ++id) {
      const auto it = r.ethrisk.find(std::string(ethnicity.dictionary_entry(id)));
      if (it != r.ethrisk.end()) ethrisk[id] = static_cast<int8_t>(it->second);
    }
  }
};

CardiovascularRisk::Reader::Reader(const CardiovascularRisk& risk, const Snapshot& snapshot,
                                   Date as_of)
    : impl_(std::make_unique<Impl>(*risk.impl_, snapshot, as_of)) {}
CardiovascularRisk::Reader::~Reader() = default;

CardiovascularRisk::Reader::Outcome CardiovascularRisk::Reader::Score(
    uint32_t patient, const PatientState& state, const CriteriaSet::Evaluator& e, double* percent,
    std::string* missing) const {
  const Impl& m = *impl_;
  missing->clear();
  if (state.age < 25 || state.age > 84) return Outcome::kNotEligible;
  for (int id : m.risk.exclude) {
    if (e.Matches(id, state)) return Outcome::kNotEligible;
  }
  std::vector<double> systolic;
  double latest[kMeasures];
  std::fill(std::begin(latest), std::end(latest), NAN);
  int smoking = -1;  // the latest status: kCurrent, kEx or kNever
  int smoke_cat = 0;
  const auto [begin, end] = m.snapshot.events().range(patient);
  for (uint64_t i = begin; i < end && m.dates[i] <= m.as_of; ++i) {
    const uint32_t id = m.codes.id(i);
    const uint64_t bits = m.masks[id];
    if (bits == 0) continue;
    const bool recent = m.dates[i] > m.as_of - kFiveYears;
    const bool valued = m.values.has(i);
    for (int k = kCurrent; k <= kNever; ++k) {
      if (!(bits >> k & 1)) continue;
      smoking = k;
      if (k == kCurrent) {
        smoke_cat = m.amount[id] >= 0 ? m.amount[id] : 3;
        if (m.amount[id] < 0 && valued) {  // cigarettes a day
          const float a = m.values.value(i);
          smoke_cat = a < 10 ? 2 : a < 20 ? 3 : 4;
        }
      }
    }
    if (!recent || !valued) continue;
    for (int k = kSbp; k <= kBmi; ++k) {
      if (!(bits >> k & 1)) continue;
      latest[k] = m.values.value(i);
      if (k == kSbp) systolic.push_back(latest[k]);
    }
  }
  // The model has an equation for women and one for men only.
  if (state.sex != static_cast<uint8_t>(Sex::kFemale) &&
      state.sex != static_cast<uint8_t>(Sex::kMale)) {
    *missing = "sex not recorded as female or male";
    return Outcome::kNotScored;
  }
  Qrisk3Input in;
  in.female = state.sex == static_cast<uint8_t>(Sex::kFemale);
  in.age = state.age;
  in.ethrisk = m.ethrisk[m.ethnicity.id(patient)];
  in.smoke_cat = smoking == kCurrent ? smoke_cat : smoking == kEx ? 1 : 0;
  in.sbp = latest[kSbp];
  in.bmi = latest[kBmi];
  in.rati = latest[kRatio];
  if (std::isnan(in.rati) && latest[kHdl] > 0) in.rati = latest[kTotalCholesterol] / latest[kHdl];
  in.town = 0;
  if (systolic.size() >= 2) {
    double mean = 0, ss = 0;
    for (double v : systolic) mean += v;
    mean /= static_cast<double>(systolic.size());
    for (double v : systolic) ss += (v - mean) * (v - mean);
    in.sbps5 = std::sqrt(ss / static_cast<double>(systolic.size() - 1));
  }
  for (const auto& [name, criteria] : m.risk.flags) {
    bool any = false;
    for (int id : criteria) any = any || e.Matches(id, state);
    in.flags[name] = any;
  }
  if (std::isnan(in.sbp)) *missing += "systolic blood pressure; ";
  if (std::isnan(in.rati)) *missing += "cholesterol/HDL ratio; ";
  if (std::isnan(in.bmi)) *missing += "BMI; ";
  if (!missing->empty()) {
    missing->resize(missing->size() - 2);
    *missing = "no " + *missing + " in 5 years";
    return Outcome::kNotScored;
  }
  std::string reason;
  if (!m.risk.model.Score(in, percent, &reason)) {
    *missing = reason;
    return Outcome::kNotScored;
  }
  return Outcome::kScored;
}

}  // namespace populus::analysis
