#include "common/output_directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "common/file_io.h"

namespace populus {
namespace fs = std::filesystem;

Status OutputDirectory::Begin(const std::string& dir, bool overwrite) {
  std::error_code ec;
  // A plain folder name: never the working directory, one above it, or the root.
  fs::path normal = fs::absolute(dir, ec).lexically_normal();
  if (!normal.has_filename()) normal = normal.parent_path();
  const fs::path cwd = fs::current_path(ec).lexically_normal();
  const auto [mismatch, ignored] =
      std::mismatch(normal.begin(), normal.end(), cwd.begin(), cwd.end());
  if (normal == normal.root_path() || mismatch == normal.end() || normal.filename() == "..") {
    return Status::Usage(fmt::format(
        "--out '{}' is the working directory, a folder above it or the root; name a new folder",
        dir));
  }
  dir_ = normal.string();
  if (fs::exists(dir_, ec) && !fs::is_empty(dir_, ec) && !overwrite) {
    return Status::Usage(fmt::format(
        "'{}' already exists and is not empty; choose another --out or add --overwrite", dir));
  }
  staging_ = dir_ + ".partial";
  fs::remove_all(staging_, ec);
  fs::create_directories(staging_, ec);
  if (ec) return Status::Io(fmt::format("cannot create '{}': {}", staging_, ec.message()));
  return Status::Ok();
}

Status OutputDirectory::Finish() {
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(staging_, ec)) {
    if (entry.is_directory()) POPULUS_RETURN_IF_ERROR(SyncDirectory(entry.path().string()));
  }
  POPULUS_RETURN_IF_ERROR(SyncDirectory(staging_));
  // The old output is moved aside, not deleted, until the new one is in place.
  const std::string old = dir_ + ".old";
  fs::remove_all(old, ec);
  const bool replacing = fs::exists(dir_, ec);
  if (replacing) {
    fs::rename(dir_, old, ec);
    if (ec) return Status::Io(fmt::format("cannot move '{}' aside: {}", dir_, ec.message()));
  }
  fs::rename(staging_, dir_, ec);
  if (ec) {
    return Status::Io(fmt::format("cannot rename '{}' to '{}': {}", staging_, dir_, ec.message()));
  }
  if (replacing) fs::remove_all(old, ec);
  const fs::path parent = fs::path(dir_).parent_path();
  return SyncDirectory(parent.empty() ? "." : parent.string());
}

}  // namespace populus
