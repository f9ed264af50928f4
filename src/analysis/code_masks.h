// Codelists as masks over a snapshot's code dictionary: for each dictionary
// id, a bit per codelist that holds the code, so "which of these lists is
// this event in" is one array read per event.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace populus {
class CodeColumn;
}

namespace populus::analysis {

// Bit i of entry `id` is set when lists[i] holds the dictionary's code `id`.
// At most 64 lists.
std::vector<uint64_t> CodelistMasks(const CodeColumn& codes,
                                    const std::vector<const std::vector<std::string>*>& lists);

}  // namespace populus::analysis
