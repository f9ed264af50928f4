#include "fhir/loinc_map.h"

#include <fmt/format.h>

#include "common/snomed_id.h"
#include "extract/data_table.h"

namespace populus::fhir {

Status LoincMap::Read(const std::string& path) {
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(path,
                                    {{"loinc_code", "loinc_term", "loinc_unit", "snomed_code",
                                      "snomed_term", "snomed_unit", "factor"}},
                                    &t));
  const auto column = [&t](const char* name) { return static_cast<size_t>(t.Column({name})); };
  const size_t loinc = column("loinc_code"), unit = column("loinc_unit"),
               snomed = column("snomed_code"), snomed_unit = column("snomed_unit");
  const int factor = t.Column({"factor"});
  for (size_t r = 0; r < t.rows.size(); ++r) {
    LoincMapping m;
    m.unit = t.rows[r][unit];
    m.snomed = t.rows[r][snomed];
    m.snomed_unit = t.rows[r][snomed_unit];
    if (!IsSnomedConceptId(m.snomed)) {
      return Status::Data(fmt::format("{} line {}: snomed_code '{}' is not a SNOMED CT concept id",
                                      path, t.lines[r], m.snomed));
    }
    POPULUS_RETURN_IF_ERROR(t.Number(r, factor, false, &m.factor));
    if (!(m.factor > 0)) {
      return Status::Data(fmt::format("{} line {}: factor '{}' is not a positive number", path,
                                      t.lines[r], t.rows[r][static_cast<size_t>(factor)]));
    }
    by_code_[t.rows[r][loinc]].push_back(std::move(m));
  }
  return Status::Ok();
}

const std::vector<LoincMapping>* LoincMap::Find(const std::string& loinc_code) const {
  auto it = by_code_.find(loinc_code);
  return it == by_code_.end() ? nullptr : &it->second;
}

}  // namespace populus::fhir
