// A codelist file: CSV with a `code` column of SNOMED CT (or dm+d, which are
// SNOMED CT ids too) concept ids and, for the long-term condition lists, a
// `role` column saying whether each code records the condition (`diagnosis`)
// or its end (`resolved`). Every reader of codelists (registers, the eFI,
// criteria, the QRISK3 inputs) goes through this one.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace populus::analysis {

struct Codelist {
  std::vector<std::string> diagnosis;  // every code when the file has no role column
  std::vector<std::string> resolved;
};

// Reads a codelist. Errors name the file and line: a code that is not a
// concept id, a role other than diagnosis or resolved, and (when
// `require_role`) a file without a role column.
Status ReadCodelist(const std::string& path, bool require_role, Codelist* out);

}  // namespace populus::analysis
