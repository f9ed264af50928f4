#include "common/data_directory.h"

namespace populus {

bool IsDataDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return false;
  return std::filesystem::exists(dir / kCurrentPointerName, ec) ||
         std::filesystem::is_directory(dir / kVersionsDirName, ec) ||
         std::filesystem::exists(dir / kDataLockName, ec);
}

}  // namespace populus
