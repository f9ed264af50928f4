#include "analysis/registers.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <filesystem>

#include "analysis/code_masks.h"
#include "analysis/codelist.h"
#include "analysis/table.h"
#include "common/file_io.h"
#include "common/parallel.h"
#include "store/snapshot.h"

namespace populus::analysis {

Status LoadRegisterRules(const std::string& path, const std::string& codelist_root,
                         std::vector<RegisterRule>* rules) {
  rules->clear();
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(
      path,
      {{"register", "name", "domain", "qof", "codelist", "min_age", "max_age", "multimorbidity"},
       {"qualifier"}},
      &t));
  int code, name, domain, qof, codelist, min_age, max_age, multimorbidity;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"register"}, &code));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"name"}, &name));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"domain"}, &domain));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"qof"}, &qof));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"codelist"}, &codelist));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"min_age"}, &min_age));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"max_age"}, &max_age));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"multimorbidity"}, &multimorbidity));
  const int qualifier = t.Column({"qualifier"});  // optional
  // Qualifiers read the record, age and sex: no registers in their context.
  CriteriaContext context;
  context.codelist_root = codelist_root;
  auto qualifiers = std::make_shared<CriteriaSet>(context);
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& f = t.rows[r];
    auto fail = [&](const std::string& reason) {
      return Status::Data(fmt::format("{} line {}: {}", path, t.lines[r], reason));
    };
    RegisterRule rule;
    rule.code = f[static_cast<size_t>(code)];
    rule.name = f[static_cast<size_t>(name)];
    rule.domain = f[static_cast<size_t>(domain)];
    rule.codelist = f[static_cast<size_t>(codelist)];
    if (rule.code.empty()) return fail("the register has no code");
    for (const auto& other : *rules) {
      if (other.code == rule.code) return fail(fmt::format("register {} appears twice", rule.code));
    }
    for (const auto& [column, out] :
         {std::pair{qof, &rule.qof}, std::pair{multimorbidity, &rule.multimorbidity}}) {
      const std::string& v = f[static_cast<size_t>(column)];
      if (v != "true" && v != "false") {
        return fail(fmt::format("{} must be true or false, not '{}'",
                                t.header[static_cast<size_t>(column)], v));
      }
      *out = v == "true";
    }
    double lo = 0, hi = 0;
    POPULUS_RETURN_IF_ERROR(t.Number(r, min_age, false, &lo));
    POPULUS_RETURN_IF_ERROR(t.Number(r, max_age, true, &hi));
    if (!(lo >= 0 && lo <= 130 && lo == static_cast<int>(lo)) ||
        (!std::isnan(hi) && !(hi >= lo && hi <= 130 && hi == static_cast<int>(hi)))) {
      return fail("the ages must be whole years from 0 to 130, min_age first");
    }
    rule.min_age = static_cast<int>(lo);
    rule.max_age = std::isnan(hi) ? -1 : static_cast<int>(hi);
    std::string list;
    if (const Status within = PathWithin(codelist_root, rule.codelist, &list); !within.ok()) {
      return fail("codelist " + within.message());
    }
    if (!std::filesystem::is_regular_file(list)) {
      return fail(fmt::format("codelist '{}' is not a file", list));
    }
    Codelist codes;
    POPULUS_RETURN_IF_ERROR(ReadCodelist(list, true, &codes));
    rule.diagnosis = std::move(codes.diagnosis);
    rule.resolved = std::move(codes.resolved);
    if (rule.diagnosis.empty()) return fail(fmt::format("'{}' has no diagnosis codes", list));
    if (qualifier >= 0 && !f[static_cast<size_t>(qualifier)].empty()) {
      rule.qualifier_text = f[static_cast<size_t>(qualifier)];
      POPULUS_RETURN_IF_ERROR(qualifiers->Add(
          rule.qualifier_text, fmt::format("{} line {}", path, t.lines[r]), &rule.qualifier));
    }
    rules->push_back(std::move(rule));
  }
  if (rules->empty() || rules->size() > kMaxRegisters) {
    return Status::Data(
        fmt::format("{}: between 1 and {} registers are needed", path, kMaxRegisters));
  }
  for (RegisterRule& rule : *rules) rule.qualifiers = qualifiers;
  return Status::Ok();
}

RegisterResult EvaluateRegisters(const Snapshot& snapshot, const std::vector<RegisterRule>& rules,
                                 Date as_of) {
  const auto birth = snapshot.patients().date_of_birth;
  const auto from = snapshot.patients().registered_from;
  const auto to = snapshot.patients().registered_to;
  const auto death = snapshot.patients().date_of_death;
  const size_t patients = birth.size();
  RegisterResult result;
  result.in_population.assign(patients, 0);
  result.registers.assign(patients, 0);
  result.conditions.assign(patients, 0);

  // Each code in the snapshot's dictionary: the registers it diagnoses
  // (bit set) and resolves.
  const CodeColumn codes = snapshot.events().code;
  std::vector<const std::vector<std::string>*> diagnosis_lists, resolved_lists;
  for (const RegisterRule& rule : rules) {
    diagnosis_lists.push_back(&rule.diagnosis);
    resolved_lists.push_back(&rule.resolved);
  }
  const std::vector<uint64_t> diagnoses = CodelistMasks(codes, diagnosis_lists);
  const std::vector<uint64_t> resolutions = CodelistMasks(codes, resolved_lists);
  uint64_t counted = 0;
  for (size_t r = 0; r < rules.size(); ++r) {
    if (rules[r].multimorbidity) counted |= uint64_t{1} << r;
  }
  const auto dates = snapshot.events().date;
  const auto sex = snapshot.patients().sex;
  uint64_t qualified = 0;
  for (size_t r = 0; r < rules.size(); ++r) {
    if (rules[r].qualifier >= 0) qualified |= uint64_t{1} << r;
  }
  ForEachRange(patients, WorkerThreads(), [&](size_t, size_t first, size_t last) {
    std::unique_ptr<CriteriaSet::Evaluator> check;
    if (qualified != 0) {
      check = std::make_unique<CriteriaSet::Evaluator>(*rules[0].qualifiers, snapshot, as_of);
    }
    std::array<Date, kMaxRegisters> last_diagnosis{}, last_resolution{};
    for (auto p = static_cast<uint32_t>(first); p < last; ++p) {
      const bool registered = from[p] <= as_of && (to[p] == kNoDate || to[p] > as_of);
      const bool alive = death[p] == kNoDate || death[p] > as_of;
      if (!registered || !alive) continue;
      result.in_population[p] = 1;
      last_diagnosis.fill(kNoDate);
      last_resolution.fill(kNoDate);
      const auto [begin, end] = snapshot.events().range(p);
      uint64_t touched = 0;
      for (uint64_t e = begin; e < end && dates[e] <= as_of; ++e) {  // date order
        const uint32_t id = codes.id(e);
        for (uint64_t bits = diagnoses[id]; bits != 0; bits &= bits - 1) {
          last_diagnosis[static_cast<size_t>(std::countr_zero(bits))] = dates[e];
        }
        for (uint64_t bits = resolutions[id]; bits != 0; bits &= bits - 1) {
          last_resolution[static_cast<size_t>(std::countr_zero(bits))] = dates[e];
        }
        touched |= diagnoses[id];
      }
      const int age = AgeInYears(birth[p], as_of);
      uint64_t on = 0;
      for (uint64_t bits = touched; bits != 0; bits &= bits - 1) {
        const size_t r = static_cast<size_t>(std::countr_zero(bits));
        const RegisterRule& rule = rules[r];
        if (age < rule.min_age || (rule.max_age >= 0 && age > rule.max_age)) continue;
        if (last_resolution[r] != kNoDate && last_resolution[r] >= last_diagnosis[r]) continue;
        on |= uint64_t{1} << r;
      }
      // The number of long-term conditions counts every condition diagnosed
      // and not resolved; the registers also need QOF's further conditions.
      result.conditions[p] = static_cast<uint8_t>(std::popcount(on & counted));
      if ((on & qualified) != 0) {
        PatientState state;
        state.age = age;
        state.sex = sex[p];
        check->Load(p);
        for (uint64_t bits = on & qualified; bits != 0; bits &= bits - 1) {
          const auto r = static_cast<size_t>(std::countr_zero(bits));
          if (!check->Matches(rules[r].qualifier, state)) on &= ~(uint64_t{1} << r);
        }
      }
      result.registers[p] = on;
    }
  });
  return result;
}

}  // namespace populus::analysis
