#include "ingest/snomed_id.h"

namespace populus {

bool IsSnomedConceptId(std::string_view text) {
  if (text.size() < 6 || text.size() > 18 || text[0] == '0') return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const char format = text[text.size() - 3];
  const char partition = text[text.size() - 2];
  return (format == '0' || format == '1') && partition == '0';
}

}  // namespace populus
