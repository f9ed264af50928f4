#include "common/data_directory.h"

namespace populus {

bool IsDataDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return false;
  return std::filesystem::exists(dir / kCurrentPointerName, ec) ||
         std::filesystem::is_directory(dir / kVersionsDirName, ec) ||
         std::filesystem::exists(dir / kDataLockName, ec);
}

std::filesystem::path EnclosingDataDirectory(const std::filesystem::path& path) {
  for (std::filesystem::path a = path; !a.empty(); a = a.parent_path()) {
    if (IsDataDirectory(a)) return a;
    if (a == a.root_path()) break;
  }
  return {};
}

}  // namespace populus
