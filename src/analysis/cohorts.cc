#include "analysis/cohorts.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "analysis/table.h"

namespace populus::analysis {
namespace {

// The rows of a grouping file: the group code, and the row's line for errors.
struct GroupRows {
  Table table;
  int group = 0, criterion = 0;
};

// `columns`: the file's columns besides the group and the criterion.
Status ReadGroups(const std::string& path, const char* group_column,
                  std::vector<const char*> columns, GroupRows* out) {
  columns.insert(columns.begin(), {group_column, "criterion"});
  POPULUS_RETURN_IF_ERROR(ReadTable(path, {columns}, &out->table));
  POPULUS_RETURN_IF_ERROR(out->table.RequireColumn({group_column}, &out->group));
  POPULUS_RETURN_IF_ERROR(out->table.RequireColumn({"criterion"}, &out->criterion));
  if (out->table.rows.empty()) return Status::Data(fmt::format("{}: no rows", path));
  for (size_t r = 0; r < out->table.rows.size(); ++r) {
    if (out->table.rows[r][static_cast<size_t>(out->group)].empty()) {
      return Status::Data(
          fmt::format("{} line {}: the {} is empty", path, out->table.lines[r], group_column));
    }
  }
  return Status::Ok();
}

std::string Where(const Table& t, size_t row) {
  return fmt::format("{} line {}", t.path, t.lines[row]);
}

// The index of a group, adding it when new; rows of one group must be
// together and agree on `same` columns.
Status GroupIndex(const GroupRows& g, size_t row, const std::vector<int>& same,
                  std::vector<std::string>* codes, std::vector<size_t>* first_row, size_t* index) {
  const auto& f = g.table.rows[row];
  const std::string& code = f[static_cast<size_t>(g.group)];
  const auto it = std::find(codes->begin(), codes->end(), code);
  if (it == codes->end()) {
    codes->push_back(code);
    first_row->push_back(row);
    *index = codes->size() - 1;
    return Status::Ok();
  }
  *index = static_cast<size_t>(it - codes->begin());
  if (*index + 1 != codes->size()) {
    return Status::Data(
        fmt::format("{}: the rows of '{}' must be together", Where(g.table, row), code));
  }
  for (int c : same) {
    if (f[static_cast<size_t>(c)] != g.table.rows[(*first_row)[*index]][static_cast<size_t>(c)]) {
      return Status::Data(fmt::format("{}: '{}' has a different {} from its first row",
                                      Where(g.table, row), code,
                                      g.table.header[static_cast<size_t>(c)]));
    }
  }
  return Status::Ok();
}

bool AnyMatches(const std::vector<int>& criteria, const CriteriaSet::Evaluator& e,
                const PatientState& s) {
  for (int c : criteria) {
    if (e.Matches(c, s)) return true;
  }
  return false;
}

}  // namespace

int Segmentation::Assign(const CriteriaSet::Evaluator& e, const PatientState& s) const {
  for (size_t g = 0; g + 1 < criteria.size(); ++g) {
    if (AnyMatches(criteria[g], e, s)) return static_cast<int>(g);
  }
  return static_cast<int>(criteria.size()) - 1;
}

Status LoadSegmentation(const std::string& path, CriteriaSet* set, Segmentation* out) {
  *out = Segmentation();
  GroupRows g;
  POPULUS_RETURN_IF_ERROR(ReadGroups(path, "segment", {"name"}, &g));
  int name = 0;
  POPULUS_RETURN_IF_ERROR(g.table.RequireColumn({"name"}, &name));
  std::vector<size_t> first_row;
  for (size_t r = 0; r < g.table.rows.size(); ++r) {
    size_t k = 0;
    POPULUS_RETURN_IF_ERROR(GroupIndex(g, r, {name}, &out->codes, &first_row, &k));
    if (k == out->criteria.size()) {
      out->names.push_back(g.table.rows[r][static_cast<size_t>(name)]);
      out->criteria.emplace_back();
    }
    const std::string& text = g.table.rows[r][static_cast<size_t>(g.criterion)];
    const bool last = r + 1 == g.table.rows.size();
    if (last != text.empty()) {
      return Status::Data(
          fmt::format("{}: {}", Where(g.table, r),
                      last ? "the last segment takes everyone else: its criterion must be empty"
                           : "only the last segment may have an empty criterion"));
    }
    if (text.empty()) continue;
    int id = 0;
    POPULUS_RETURN_IF_ERROR(set->Add(text, Where(g.table, r), &id));
    out->criteria[k].push_back(id);
  }
  if (out->criteria.size() > 100) {
    return Status::Data(fmt::format("{}: more than 100 segments", path));
  }
  if (out->criteria.size() < 2 || !out->criteria.back().empty()) {
    return Status::Data(
        fmt::format("{}: at least two segments, the last on its own row for everyone else", path));
  }
  return Status::Ok();
}

double WeightedScore::Score(const CriteriaSet::Evaluator& e, const PatientState& s) const {
  double score = 0;
  for (size_t c = 0; c < criteria.size(); ++c) {
    if (AnyMatches(criteria[c], e, s)) score += weights[c];
  }
  return score;
}

Status LoadWeightedScore(const std::string& path, CriteriaSet* set, WeightedScore* out) {
  *out = WeightedScore();
  GroupRows g;
  POPULUS_RETURN_IF_ERROR(ReadGroups(path, "condition", {"name", "weight"}, &g));
  int name = 0, weight = 0;
  POPULUS_RETURN_IF_ERROR(g.table.RequireColumn({"name"}, &name));
  POPULUS_RETURN_IF_ERROR(g.table.RequireColumn({"weight"}, &weight));
  std::vector<size_t> first_row;
  for (size_t r = 0; r < g.table.rows.size(); ++r) {
    size_t k = 0;
    POPULUS_RETURN_IF_ERROR(GroupIndex(g, r, {name, weight}, &out->codes, &first_row, &k));
    if (k == out->criteria.size()) {
      double w = 0;
      POPULUS_RETURN_IF_ERROR(g.table.Number(r, weight, false, &w));
      out->names.push_back(g.table.rows[r][static_cast<size_t>(name)]);
      out->weights.push_back(w);
      out->criteria.emplace_back();
    }
    int id = 0;
    POPULUS_RETURN_IF_ERROR(
        set->Add(g.table.rows[r][static_cast<size_t>(g.criterion)], Where(g.table, r), &id));
    out->criteria[k].push_back(id);
  }
  return Status::Ok();
}

Status LoadWorklists(const std::string& path, CriteriaSet* set, std::vector<Worklist>* out) {
  out->clear();
  GroupRows g;
  POPULUS_RETURN_IF_ERROR(ReadGroups(path, "worklist", {"name", "reason", "show"}, &g));
  int name = 0, reason = 0, show = 0;
  POPULUS_RETURN_IF_ERROR(g.table.RequireColumn({"name"}, &name));
  POPULUS_RETURN_IF_ERROR(g.table.RequireColumn({"reason"}, &reason));
  POPULUS_RETURN_IF_ERROR(g.table.RequireColumn({"show"}, &show));
  static const char* kKeys[] = {
      "age", "sex", "ltc", "cms", "efi", "efi_deficits", "admission_risk_top_percent", "qrisk3"};
  std::vector<std::string> codes;
  std::vector<size_t> first_row;
  for (size_t r = 0; r < g.table.rows.size(); ++r) {
    const auto& f = g.table.rows[r];
    size_t k = 0;
    POPULUS_RETURN_IF_ERROR(GroupIndex(g, r, {name, show}, &codes, &first_row, &k));
    if (k == out->size()) {
      Worklist w;
      w.code = codes.back();
      w.name = f[static_cast<size_t>(name)];
      std::istringstream keys(f[static_cast<size_t>(show)]);
      for (std::string key; keys >> key;) {
        ShownValue v;
        v.label = key;
        if (key.rfind("latest:", 0) == 0) {
          const std::string list = key.substr(7);
          POPULUS_RETURN_IF_ERROR(set->AddValue(list, Where(g.table, r), &v.value_id));
          v.label = list.substr(list.rfind('/') + 1);
          if (v.label.size() > 4 && v.label.ends_with(".csv")) v.label.resize(v.label.size() - 4);
        } else if (std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys)) {
          v.key = key;
        } else {
          return Status::Data(
              fmt::format("{}: '{}' is not a value a worklist can show", Where(g.table, r), key));
        }
        w.shown.push_back(v);
      }
      out->push_back(std::move(w));
    }
    const std::string& why = f[static_cast<size_t>(reason)];
    if (why.empty()) return Status::Data(fmt::format("{}: the reason is empty", Where(g.table, r)));
    int id = 0;
    POPULUS_RETURN_IF_ERROR(set->Add(f[static_cast<size_t>(g.criterion)], Where(g.table, r), &id));
    (*out)[k].reasons.push_back(why);
    (*out)[k].criteria.push_back(id);
  }
  if (out->size() > 64) return Status::Data(fmt::format("{}: more than 64 worklists", path));
  return Status::Ok();
}

}  // namespace populus::analysis
