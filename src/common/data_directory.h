// What marks a populus data directory (the snapshot store's root, see
// store/snapshot.h), declared once so that the store creates these entries and
// every command that writes can refuse to write into, over or around one.
//
// DO NOT CHANGE THESE NAMES: they are embedded in every data directory.
#pragma once

#include <filesystem>

namespace populus {

inline constexpr const char* kCurrentPointerName = "CURRENT";  // names the published version
inline constexpr const char* kVersionsDirName = "versions";    // versions/v000001, ...
inline constexpr const char* kStagingDirName = "tmp";          // loads under way
inline constexpr const char* kRejectedDirName = "rejected";    // reports of rejected loads
inline constexpr const char* kDataLockName = ".lock";          // held by the one writer

// True when `dir` is a directory holding a CURRENT pointer, a versions/
// folder or the writer's lock: a data directory, published or not yet.
bool IsDataDirectory(const std::filesystem::path& dir);

// The nearest of `path` and the folders above it that is a data directory,
// or an empty path when none is. `path` should be absolute and resolved.
std::filesystem::path EnclosingDataDirectory(const std::filesystem::path& path);

}  // namespace populus
