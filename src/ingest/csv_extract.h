// The populus CSV extract (docs/extract-format.md) as a source of rows.
#pragma once

#include <memory>
#include <string>

#include "ingest/extract_source.h"

namespace populus {

// A directory of extract CSV files. Prepare() refuses a directory with a CSV
// file the format does not know (its rows would be lost) or without a file
// every extract needs.
std::unique_ptr<ExtractSource> OpenCsvExtract(const std::string& extract_dir);

}  // namespace populus
