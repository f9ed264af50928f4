// Writing CSV: one field appended to a line, quoted as RFC 4180 requires.
// Every CSV populus writes (tables, extracts, the quarantine) goes through it.
#pragma once

#include <string>
#include <string_view>

namespace populus {

// Appends a field to a CSV line, quoting it if RFC 4180 requires.
void AppendCsvField(std::string* line, std::string_view field);

}  // namespace populus
