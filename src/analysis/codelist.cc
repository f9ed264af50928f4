#include "analysis/codelist.h"

#include <fmt/format.h>

#include "analysis/table.h"
#include "common/snomed_id.h"

namespace populus::analysis {

Status ReadCodelist(const std::string& path, bool require_role, Codelist* out) {
  *out = Codelist();
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(path, {{"code"}, {"term", "role", "unit"}}, &t));
  int code = 0, role = -1;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({"code"}, &code));
  if (require_role) {
    POPULUS_RETURN_IF_ERROR(t.RequireColumn({"role"}, &role));
  } else {
    role = t.Column({"role"});
  }
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& id = t.rows[r][static_cast<size_t>(code)];
    if (!IsSnomedConceptId(id)) {
      return Status::Data(
          fmt::format("{} line {}: '{}' is not a SNOMED CT concept id", path, t.lines[r], id));
    }
    const std::string what = role >= 0 ? t.rows[r][static_cast<size_t>(role)] : "diagnosis";
    if (what == "diagnosis") {
      out->diagnosis.push_back(id);
    } else if (what == "resolved") {
      out->resolved.push_back(id);
    } else {
      return Status::Data(fmt::format("{} line {}: role '{}' is not diagnosis or resolved", path,
                                      t.lines[r], what));
    }
  }
  return Status::Ok();
}

}  // namespace populus::analysis
