#include "analysis/code_masks.h"

#include <unordered_map>

#include "store/snapshot.h"

namespace populus::analysis {

std::vector<uint64_t> CodelistMasks(const CodeColumn& codes,
                                    const std::vector<const std::vector<std::string>*>& lists) {
  std::unordered_map<std::string, uint64_t> by_code;
  for (size_t i = 0; i < lists.size() && i < 64; ++i) {
    for (const std::string& c : *lists[i]) by_code[c] |= uint64_t{1} << i;
  }
  std::vector<uint64_t> masks(codes.dictionary_size(), 0);
  for (uint32_t id = 0; id < codes.dictionary_size(); ++id) {
    const auto it = by_code.find(std::string(codes.dictionary_entry(id)));
    if (it != by_code.end()) masks[id] = it->second;
  }
  return masks;
}

}  // namespace populus::analysis
