#include "analysis/criteria.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <filesystem>
#include <sstream>

#include "analysis/code_masks.h"
#include "analysis/codelist.h"
#include "analysis/table.h"
#include "common/file_io.h"
#include "common/number.h"
#include "common/vocabulary.h"
#include "store/snapshot.h"

namespace populus::analysis {
namespace {

enum class Subject {
  kRegister,
  kAge,
  kSex,
  kLtc,
  kCms,
  kEfi,
  kEfiDeficits,
  kCareHome,
  kAdmissionRisk,
  kQrisk3,
  kFact
};
enum class Op { kLt, kLe, kGt, kGe, kEq, kNe };
enum class FactKind { kCoded, kFirst, kIssued, kLatest, kBestOfLastTwo, kHospital };

struct Clause {
  bool alternative = false;  // "or" comes before it: it starts another set of clauses
  bool negate = false;
  Subject subject = Subject::kAge;
  int index = 0;  // register bit, or fact
  Op op = Op::kGe;
  double number = 1;
};

struct Fact {
  FactKind kind = FactKind::kCoded;
  int list = 0;          // event or prescription list, or the hospital setting
  int window = 0;        // days; 0: ever
  Date since = kNoDate;  // only on or after this date; kNoDate: no limit
  bool operator==(const Fact&) const = default;
};

bool ParseOp(const std::string& text, Op* op) {
  static const std::pair<const char*, Op> kOps[] = {{"<", Op::kLt}, {"<=", Op::kLe},
                                                    {">", Op::kGt}, {">=", Op::kGe},
                                                    {"=", Op::kEq}, {"!=", Op::kNe}};
  for (const auto& [name, value] : kOps) {
    if (text == name) {
      *op = value;
      return true;
    }
  }
  return false;
}

bool ParseDouble(const std::string& text, double* out) { return ParseDecimal(text, out); }

bool Compare(double x, Op op, double n) {
  switch (op) {
    case Op::kLt:
      return x < n;
    case Op::kLe:
      return x <= n;
    case Op::kGt:
      return x > n;
    case Op::kGe:
      return x >= n;
    case Op::kEq:
      return x == n;
    case Op::kNe:
      return x != n;
  }
  return false;
}

}  // namespace

struct CriteriaSet::Impl {
  CriteriaContext context;
  std::vector<std::vector<Clause>> criteria;
  std::vector<Fact> facts;
  // Codelists by path, for events and for prescriptions.
  std::vector<std::string> event_lists, issue_lists;
  std::vector<std::vector<std::string>> event_codes, issue_codes;

  Status ReadList(const std::string& name, bool prescriptions, const std::string& where,
                  int* index) {
    auto& names = prescriptions ? issue_lists : event_lists;
    auto& codes = prescriptions ? issue_codes : event_codes;
    const auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) {
      *index = static_cast<int>(it - names.begin());
      return Status::Ok();
    }
    if (names.size() == 64) {
      return Status::Data(fmt::format("{}: more than 64 {} codelists", where,
                                      prescriptions ? "prescription" : "event"));
    }
    // "a.csv+b.csv": the union of the lists.
    std::vector<std::string> list;
    for (size_t from = 0; from <= name.size();) {
      size_t plus = name.find('+', from);
      if (plus == std::string::npos) plus = name.size();
      const std::string part = name.substr(from, plus - from);
      from = plus + 1;
      std::string path;
      if (const Status within = PathWithin(context.codelist_root, part, &path); !within.ok()) {
        return Status::Data(fmt::format("{}: codelist {}", where, within.message()));
      }
      if (!std::filesystem::is_regular_file(path)) {
        return Status::Data(fmt::format("{}: codelist '{}' is not a file", where, path));
      }
      Codelist read;
      POPULUS_RETURN_IF_ERROR(ReadCodelist(path, false, &read));
      list.insert(list.end(), read.diagnosis.begin(), read.diagnosis.end());
      if (read.diagnosis.empty()) {
        return Status::Data(fmt::format("{}: codelist '{}' has no codes", where, path));
      }
    }
    *index = static_cast<int>(names.size());
    names.push_back(name);
    codes.push_back(std::move(list));
    return Status::Ok();
  }

  int AddFact(const Fact& f) {
    const auto it = std::find(facts.begin(), facts.end(), f);
    if (it != facts.end()) return static_cast<int>(it - facts.begin());
    facts.push_back(f);
    return static_cast<int>(facts.size()) - 1;
  }

  Status ParseClause(const std::vector<std::string>& tokens, const std::string& where,
                     Clause* clause) {
    size_t i = 0;
    auto fail = [&](const std::string& why) {
      std::string text;
      for (const auto& t : tokens) text += (text.empty() ? "" : " ") + t;
      return Status::Data(fmt::format("{}: clause '{}': {}", where, text, why));
    };
    if (i < tokens.size() && tokens[i] == "not") {
      clause->negate = true;
      ++i;
    }
    if (i >= tokens.size()) return fail("nothing to test");
    const std::string head = tokens[i++];
    auto comparison = [&](bool required) -> Status {
      if (i == tokens.size() && !required) {
        clause->op = Op::kGe;
        clause->number = 1;
        return Status::Ok();
      }
      if (i + 2 != tokens.size() || !ParseOp(tokens[i], &clause->op)) {
        return fail("expected a comparison such as '>= 2'");
      }
      if (!ParseDouble(tokens[i + 1], &clause->number)) {
        return fail(fmt::format("'{}' is not a number", tokens[i + 1]));
      }
      i = tokens.size();
      return Status::Ok();
    };
    auto window = [&](Fact* f) -> Status {
      int* days = &f->window;
      *days = 0;
      if (i < tokens.size() && tokens[i] == "since") {
        if (i + 1 >= tokens.size() || ParseIsoDate(tokens[i + 1], &f->since) != DateParse::kOk) {
          return fail("'since' needs a date such as 2006-04-01");
        }
        i += 2;
      } else if (i < tokens.size() && tokens[i] == "in") {
        if (i + 1 >= tokens.size()) return fail("'in' needs a number of days such as 365d");
        const std::string& w = tokens[i + 1];
        double d = 0;
        if (w.size() < 2 || w.back() != 'd' || !ParseDouble(w.substr(0, w.size() - 1), &d) ||
            d < 1 || d > 36500 || d != std::floor(d)) {
          return fail(fmt::format("'{}' is not a number of days such as 365d", w));
        }
        *days = static_cast<int>(d);
        i += 2;
      }
      return Status::Ok();
    };
    const auto colon = head.find(':');
    if (colon != std::string::npos) {
      const std::string kind = head.substr(0, colon), arg = head.substr(colon + 1);
      if (kind == "register") {
        const auto& r = context.registers;
        const auto it = std::find(r.begin(), r.end(), arg);
        if (it == r.end()) return fail(fmt::format("there is no register '{}'", arg));
        clause->subject = Subject::kRegister;
        clause->index = static_cast<int>(it - r.begin());
        if (i != tokens.size()) return fail("a register clause takes nothing after it");
        return Status::Ok();
      }
      Fact f;
      if (kind == "coded") {
        f.kind = FactKind::kCoded;
      } else if (kind == "issued") {
        f.kind = FactKind::kIssued;
      } else if (kind == "first") {
        f.kind = FactKind::kFirst;
      } else if (kind == "latest") {
        f.kind = FactKind::kLatest;
      } else if (kind == "best_of_last_2") {
        f.kind = FactKind::kBestOfLastTwo;
      } else {
        return fail(fmt::format(
            "'{}' is not register, coded, first, issued, latest or best_of_last_2", kind));
      }
      POPULUS_RETURN_IF_ERROR(ReadList(arg, f.kind == FactKind::kIssued, where, &f.list));
      POPULUS_RETURN_IF_ERROR(window(&f));
      const bool value = f.kind == FactKind::kLatest || f.kind == FactKind::kBestOfLastTwo;
      POPULUS_RETURN_IF_ERROR(comparison(value));
      clause->subject = Subject::kFact;
      clause->index = AddFact(f);
      return Status::Ok();
    }
    static const std::pair<const char*, HospitalSetting> kHospital[] = {
        {"emergency_admissions", HospitalSetting::kEmergencyAdmission},
        {"ae_attendances", HospitalSetting::kAe},
        {"elective_admissions", HospitalSetting::kElectiveAdmission},
        {"outpatient_attendances", HospitalSetting::kOutpatient}};
    for (const auto& [name, setting] : kHospital) {
      if (head != name) continue;
      Fact f;
      f.kind = FactKind::kHospital;
      f.list = static_cast<int>(setting);
      POPULUS_RETURN_IF_ERROR(window(&f));
      POPULUS_RETURN_IF_ERROR(comparison(true));
      clause->subject = Subject::kFact;
      clause->index = AddFact(f);
      return Status::Ok();
    }
    if (head == "care_home") {
      clause->subject = Subject::kCareHome;
      if (i != tokens.size()) return fail("care_home takes nothing after it");
      return Status::Ok();
    }
    if (head == "sex") {
      clause->subject = Subject::kSex;
      if (i + 2 != tokens.size() || (tokens[i] != "=" && tokens[i] != "!=") ||
          (tokens[i + 1] != "female" && tokens[i + 1] != "male")) {
        return fail("expected 'sex = female' or 'sex = male'");
      }
      clause->op = tokens[i] == "=" ? Op::kEq : Op::kNe;
      clause->number = static_cast<double>(tokens[i + 1] == "female" ? Sex::kFemale : Sex::kMale);
      return Status::Ok();
    }
    if (head == "efi") {
      clause->subject = Subject::kEfi;
      if (i + 2 != tokens.size() || !ParseOp(tokens[i], &clause->op)) {
        return fail("expected a comparison such as 'efi >= moderate'");
      }
      const auto& c = context.efi_categories;
      const auto it = std::find(c.begin(), c.end(), tokens[i + 1]);
      if (it == c.end()) return fail(fmt::format("'{}' is not an eFI category", tokens[i + 1]));
      clause->number = static_cast<double>(it - c.begin());
      return Status::Ok();
    }
    static const std::pair<const char*, Subject> kNumbers[] = {
        {"age", Subject::kAge},
        {"ltc", Subject::kLtc},
        {"cms", Subject::kCms},
        {"efi_deficits", Subject::kEfiDeficits},
        {"admission_risk_top_percent", Subject::kAdmissionRisk},
        {"qrisk3", Subject::kQrisk3}};
    for (const auto& [name, subject] : kNumbers) {
      if (head != name) continue;
      clause->subject = subject;
      return comparison(true);
    }
    return fail(fmt::format("'{}' is not something a criterion can test", head));
  }
};

CriteriaSet::CriteriaSet(CriteriaContext context) : impl_(std::make_unique<Impl>()) {
  impl_->context = std::move(context);
}
CriteriaSet::~CriteriaSet() = default;
CriteriaSet::CriteriaSet(CriteriaSet&&) noexcept = default;
size_t CriteriaSet::size() const { return impl_->criteria.size(); }

Status CriteriaSet::AddValue(const std::string& list, const std::string& where, int* value_id) {
  Fact f;
  f.kind = FactKind::kLatest;
  POPULUS_RETURN_IF_ERROR(impl_->ReadList(list, false, where, &f.list));
  *value_id = impl_->AddFact(f);
  return Status::Ok();
}

Status CriteriaSet::Add(const std::string& text, const std::string& where, int* id) {
  std::istringstream in(text);
  std::vector<std::vector<std::string>> clauses(1);
  std::vector<bool> alternative(1, false);
  for (std::string token; in >> token;) {
    if (token == "and" || token == "or") {
      clauses.emplace_back();
      alternative.push_back(token == "or");
    } else {
      clauses.back().push_back(token);
    }
  }
  std::vector<Clause> parsed;
  for (size_t k = 0; k < clauses.size(); ++k) {
    if (clauses[k].empty()) {
      return Status::Data(fmt::format("{}: criterion '{}' has an empty clause", where, text));
    }
    Clause c;
    POPULUS_RETURN_IF_ERROR(impl_->ParseClause(clauses[k], where, &c));
    c.alternative = alternative[k];
    parsed.push_back(c);
  }
  *id = static_cast<int>(impl_->criteria.size());
  impl_->criteria.push_back(std::move(parsed));
  return Status::Ok();
}

struct CriteriaSet::Evaluator::Impl {
  const CriteriaSet::Impl& set;
  const Snapshot& snapshot;
  Date as_of;
  std::span<const int32_t> event_dates, issue_dates, hospital_dates;
  std::span<const uint8_t> settings;
  CodeColumn event_codes, issue_codes;
  EventValues values;
  std::vector<uint64_t> event_masks, issue_masks;
  // The facts each list feeds.
  std::vector<std::vector<int>> event_facts, issue_facts;
  std::vector<int> hospital_facts;
  std::vector<double> facts;
  std::vector<double> previous;  // best_of_last_2: the value before the latest

  Impl(const CriteriaSet::Impl& s, const Snapshot& snap, Date date)
      : set(s),
        snapshot(snap),
        as_of(date),
        event_dates(snap.events().date),
        issue_dates(snap.medications().date),
        hospital_dates(snap.hospital_activity().date),
        settings(snap.hospital_activity().setting),
        event_codes(snap.events().code),
        issue_codes(snap.medications().dmd_code),
        values(snap) {
    std::vector<const std::vector<std::string>*> lists;
    for (const auto& l : set.event_codes) lists.push_back(&l);
    event_masks = CodelistMasks(event_codes, lists);
    lists.clear();
    for (const auto& l : set.issue_codes) lists.push_back(&l);
    issue_masks = CodelistMasks(issue_codes, lists);
    event_facts.resize(set.event_lists.size());
    issue_facts.resize(set.issue_lists.size());
    for (size_t f = 0; f < set.facts.size(); ++f) {
      const Fact& fact = set.facts[f];
      const auto k = static_cast<size_t>(fact.list);
      if (fact.kind == FactKind::kIssued) {
        issue_facts[k].push_back(static_cast<int>(f));
      } else if (fact.kind == FactKind::kHospital) {
        hospital_facts.push_back(static_cast<int>(f));
      } else {
        event_facts[k].push_back(static_cast<int>(f));
      }
    }
    facts.assign(set.facts.size(), 0);
    previous.assign(set.facts.size(), NAN);
  }

  bool InWindow(Date date, const Fact& f) const {
    return (f.window == 0 || date > as_of - f.window) && (f.since == kNoDate || date >= f.since);
  }
};

CriteriaSet::Evaluator::Evaluator(const CriteriaSet& set, const Snapshot& snapshot, Date as_of)
    : impl_(std::make_unique<Impl>(*set.impl_, snapshot, as_of)) {}
CriteriaSet::Evaluator::~Evaluator() = default;

void CriteriaSet::Evaluator::Load(uint32_t patient) {
  Impl& m = *impl_;
  for (size_t f = 0; f < m.facts.size(); ++f) {
    const FactKind kind = m.set.facts[f].kind;
    const bool value =
        kind == FactKind::kLatest || kind == FactKind::kBestOfLastTwo || kind == FactKind::kFirst;
    m.facts[f] = value ? NAN : 0.0;
    m.previous[f] = NAN;
  }
  if (!m.event_facts.empty()) {
    const auto [begin, end] = m.snapshot.events().range(patient);
    for (uint64_t e = begin; e < end && m.event_dates[e] <= m.as_of; ++e) {
      for (uint64_t bits = m.event_masks[m.event_codes.id(e)]; bits != 0; bits &= bits - 1) {
        for (int f : m.event_facts[static_cast<size_t>(std::countr_zero(bits))]) {
          const Fact& fact = m.set.facts[static_cast<size_t>(f)];
          double& x = m.facts[static_cast<size_t>(f)];
          const bool in_window = m.InWindow(m.event_dates[e], fact);
          if (fact.kind == FactKind::kFirst) {  // events are in date order
            if (std::isnan(x)) x = in_window ? 1 : 0;
          } else if (!in_window) {
            continue;
          } else if (fact.kind == FactKind::kCoded) {
            x += 1;
          } else if (m.values.has(e)) {  // the latest so far
            m.previous[static_cast<size_t>(f)] = x;
            x = m.values.value(e);
          }
        }
      }
    }
  }
  for (size_t f = 0; f < m.facts.size(); ++f) {
    if (m.set.facts[f].kind == FactKind::kBestOfLastTwo && !std::isnan(m.previous[f])) {
      m.facts[f] = std::max(m.facts[f], m.previous[f]);
    }
  }
  if (!m.issue_facts.empty()) {
    const auto [begin, end] = m.snapshot.medications().range(patient);
    for (uint64_t i = begin; i < end && m.issue_dates[i] <= m.as_of; ++i) {
      for (uint64_t bits = m.issue_masks[m.issue_codes.id(i)]; bits != 0; bits &= bits - 1) {
        for (int f : m.issue_facts[static_cast<size_t>(std::countr_zero(bits))]) {
          if (m.InWindow(m.issue_dates[i], m.set.facts[static_cast<size_t>(f)])) {
            m.facts[static_cast<size_t>(f)] += 1;
          }
        }
      }
    }
  }
  if (!m.hospital_facts.empty()) {
    const auto [begin, end] = m.snapshot.hospital_activity().range(patient);
    for (uint64_t h = begin; h < end && m.hospital_dates[h] <= m.as_of; ++h) {
      for (int f : m.hospital_facts) {
        const Fact& fact = m.set.facts[static_cast<size_t>(f)];
        if (m.settings[h] == fact.list && m.InWindow(m.hospital_dates[h], fact)) {
          m.facts[static_cast<size_t>(f)] += 1;
        }
      }
    }
  }
}

bool CriteriaSet::Evaluator::Matches(int id, const PatientState& s) const {
  const Impl& m = *impl_;
  // Clauses joined by "and" bind tighter than "or": the criterion holds when
  // every clause of some run between "or"s holds.
  bool run_holds = true;
  for (const Clause& c : m.set.criteria[static_cast<size_t>(id)]) {
    if (c.alternative) {
      if (run_holds) return true;
      run_holds = true;
    }
    if (!run_holds) continue;
    double x = NAN;
    switch (c.subject) {
      case Subject::kRegister:
        x = static_cast<double>((s.registers >> c.index) & 1);
        break;
      case Subject::kCareHome:
        x = s.care_home ? 1 : 0;
        break;
      case Subject::kAge:
        x = s.age;
        break;
      case Subject::kSex:
        x = s.sex;
        break;
      case Subject::kLtc:
        x = s.ltc;
        break;
      case Subject::kCms:
        x = s.cms;
        break;
      case Subject::kEfi:
        x = s.efi_category >= 0 ? static_cast<double>(s.efi_category) : NAN;
        break;
      case Subject::kEfiDeficits:
        x = s.efi_deficits >= 0 ? static_cast<double>(s.efi_deficits) : NAN;
        break;
      case Subject::kAdmissionRisk:
        x = s.admission_risk_top_percent;
        break;
      case Subject::kQrisk3:
        x = s.qrisk3;
        break;
      case Subject::kFact:
        x = m.facts[static_cast<size_t>(c.index)];
        break;
    }
    bool holds;
    if (c.subject == Subject::kRegister || c.subject == Subject::kCareHome) {
      holds = x == 1;
    } else {
      holds = !std::isnan(x) && Compare(x, c.op, c.number);
    }
    if (holds == c.negate) run_holds = false;
  }
  return run_holds;
}

double CriteriaSet::Evaluator::Value(int value_id) const {
  return impl_->facts[static_cast<size_t>(value_id)];
}

}  // namespace populus::analysis
