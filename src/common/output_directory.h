// An output directory that appears whole or not at all (the outputs of
// `populus generate`, `project` and `analyse`).
#pragma once

#include <string>

#include "common/status.h"

namespace populus {

// Output directories appear whole or not at all: files are written into
// Begin()'s staging directory, and Finish() renames it into place.
class OutputDirectory {
 public:
  // A usage error if `dir` exists and is not empty, unless overwriting.
  Status Begin(const std::string& dir, bool overwrite);
  const std::string& staging() const { return staging_; }
  Status Finish();

 private:
  std::string dir_, staging_;
};

}  // namespace populus
