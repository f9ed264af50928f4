#include "common/output_directory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "common/data_directory.h"
#include "common/file_io.h"

namespace populus {
namespace fs = std::filesystem;
namespace {

// How many entries of an existing output directory are searched for a data
// directory before the path is refused as too large to be an output.
constexpr size_t kMaxEntriesSearched = 100000;

// The absolute path with every existing part's symbolic links resolved.
fs::path Resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) p = fs::absolute(path, ec).lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

bool IsWithin(const fs::path& inner, const fs::path& outer) {
  const auto [mismatch, ignored] =
      std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return mismatch == outer.end();
}

// What a directory's marker says ("staging ...", "written by ...",
// "replaced by ..."), or empty when it has none.
constexpr const char* kStagingMark = "staging by";
constexpr const char* kWrittenMark = "written by";
constexpr const char* kReplacedMark = "replaced by";

std::string Marker(const fs::path& dir) {
  std::string text;
  std::error_code ec;
  if (!fs::is_regular_file(dir / kOutputMarkerName, ec)) return text;
  if (!ReadSmallFile((dir / kOutputMarkerName).string(), &text).ok() || text.empty()) {
    return "unreadable";  // a marker all the same: populus wrote it
  }
  return text;
}

}  // namespace

Status CheckOutputPath(const std::string& path, std::string_view option) {
  if (path.empty()) return Status::Usage(fmt::format("{} is empty; name a new folder", option));
  std::error_code ec;
  const fs::path target = Resolved(path);
  const fs::path cwd = fs::weakly_canonical(fs::current_path(ec), ec);
  if (target == target.root_path() || IsWithin(cwd, target)) {
    return Status::Usage(fmt::format(
        "{} '{}' is the working directory, a folder above it or the root; name a new folder",
        option, path));
  }
  if (const fs::path data = EnclosingDataDirectory(target); !data.empty()) {
    if (data == target) {
      return Status::Usage(fmt::format(
          "{} '{}' is a populus data directory; write the output somewhere else", option, path));
    }
    return Status::Usage(fmt::format(
        "{} '{}' lies inside the populus data directory '{}'; write the output somewhere else",
        option, path, data.string()));
  }
  if (fs::is_directory(target, ec)) {
    size_t seen = 0;
    for (auto it = fs::recursive_directory_iterator(
             target, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (++seen > kMaxEntriesSearched) {
        return Status::Usage(fmt::format("{} '{}' holds more than {} files; name a new folder",
                                         option, path, kMaxEntriesSearched));
      }
      if (it->is_directory(ec) && !it->is_symlink(ec) && IsDataDirectory(it->path())) {
        return Status::Usage(fmt::format(
            "{} '{}' contains the populus data directory '{}'; write the output somewhere else",
            option, path, it->path().string()));
      }
    }
  }
  return Status::Ok();
}

OutputDirectory::~OutputDirectory() {
  if (!finished_ && !staging_.empty()) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status OutputDirectory::Begin(const std::string& dir, bool overwrite, std::string_view command,
                              std::string_view option) {
  POPULUS_RETURN_IF_ERROR(CheckOutputPath(dir, option));
  const fs::path target = Resolved(dir);
  // NAME.partial is where another run into NAME stages its output, under
  // NAME's lock, not this one's: writing there could remove that run's work.
  if (target.filename().string().ends_with(".partial")) {
    return Status::Usage(fmt::format(
        "{} '{}' ends in .partial, the name populus stages an output under while it writes it; "
        "choose another name",
        option, dir));
  }
  dir_ = target.string();
  command_ = std::string(command);
  std::error_code ec;
  // The lock first, so that what is checked below cannot change under us.
  const fs::path parent = target.parent_path();
  fs::create_directories(parent, ec);
  if (ec) return Status::Io(fmt::format("cannot create '{}': {}", parent.string(), ec.message()));
  const std::string lock = (parent / ("." + target.filename().string() + ".lock")).string();
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::FromErrno("create lock file", lock, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Io(fmt::format(
        "another populus run is writing '{}'; wait for it to finish or choose another {}", dir,
        option));
  }
  const fs::file_status st = fs::symlink_status(target, ec);
  if (fs::exists(st) && !fs::is_directory(st)) {
    return Status::Usage(fmt::format(
        "{} '{}' exists and is not a directory; populus will not replace it", option, dir));
  }
  if (fs::is_directory(st) && !fs::is_empty(target, ec)) {
    if (!overwrite) {
      return Status::Usage(
          fmt::format("'{}' already exists and is not empty; choose another {} or add --overwrite",
                      dir, option));
    }
    if (Marker(target).empty()) {
      return Status::Usage(fmt::format(
          "'{}' is not empty and was not written by populus (it has no {}), so --overwrite will "
          "not replace it; choose another {}",
          dir, kOutputMarkerName, option));
    }
  }
  const fs::path staging = dir_ + ".partial";
  const fs::file_status staged = fs::symlink_status(staging, ec);
  if (fs::exists(staged)) {
    // Holding the lock, a staging folder (or an output it replaced) is left
    // by a run that died; so is an empty one. Anything else is not ours.
    const std::string marker = fs::is_directory(staged) ? Marker(staging) : std::string();
    const bool leftover = fs::is_directory(staged) &&
                          (marker.starts_with(kStagingMark) || marker.starts_with(kReplacedMark) ||
                           fs::is_empty(staging, ec));
    if (!leftover) {
      return Status::Usage(
          fmt::format("'{}' {}; move it away and run again", staging.string(),
                      marker.empty() ? "exists and was not made by populus"
                                     : "is a finished populus output, not a leftover of this one"));
    }
    fs::remove_all(staging, ec);
    if (ec) {
      return Status::Io(fmt::format("cannot remove '{}': {}", staging.string(), ec.message()));
    }
  }
  fs::create_directory(staging, ec);
  if (ec) return Status::Io(fmt::format("cannot create '{}': {}", staging.string(), ec.message()));
  staging_ = staging.string();
  return WriteFileAtomically(staging_ + "/" + kOutputMarkerName,
                             fmt::format("{} {}\n", kStagingMark, command_));
}

Status OutputDirectory::Finish() {
  std::error_code ec;
  // The staging folder becomes a finished output: its marker says so.
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(staging_ + "/" + kOutputMarkerName,
                                              fmt::format("{} {}\n", kWrittenMark, command_)));
  for (const auto& entry : fs::recursive_directory_iterator(staging_, ec)) {
    if (entry.is_directory()) POPULUS_RETURN_IF_ERROR(SyncDirectory(entry.path().string()));
  }
  POPULUS_RETURN_IF_ERROR(SyncDirectory(staging_));
  if (fs::exists(fs::symlink_status(dir_, ec))) {
    // The old output is marked as replaced, so that once it stands at the
    // staging name a run that finds it there knows it may be removed.
    if (!Marker(dir_).empty()) {
      POPULUS_RETURN_IF_ERROR(WriteFileAtomically(dir_ + "/" + kOutputMarkerName,
                                                  fmt::format("{} {}\n", kReplacedMark, command_)));
    }
    // One atomic step: the new output takes the old one's place and the old
    // one the staging name, from where it is removed.
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dir_.c_str(), RENAME_EXCHANGE) != 0) {
      return Status::FromErrno("swap the new output into place at", dir_, errno);
    }
    POPULUS_RETURN_IF_ERROR(SyncDirectory(fs::path(dir_).parent_path().string()));
    CrashPoint("output-swapped");
    fs::remove_all(staging_, ec);
  } else if (::rename(staging_.c_str(), dir_.c_str()) != 0) {
    return Status::FromErrno("rename the new output into place at", dir_, errno);
  }
  finished_ = true;
  return SyncDirectory(fs::path(dir_).parent_path().string());
}

Status CheckOutputFile(const std::string& path, bool overwrite, std::string_view option) {
  if (path.empty()) return Status::Ok();
  POPULUS_RETURN_IF_ERROR(CheckOutputPath(path, option));
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st)) {
    if (!fs::is_regular_file(st)) {
      return Status::Usage(fmt::format(
          "{} '{}' exists and is not a regular file; populus will not replace it", option, path));
    }
    if (!overwrite) {
      return Status::Usage(fmt::format(
          "{} '{}' already exists; choose another file or add --overwrite", option, path));
    }
  } else if (fs::is_symlink(fs::symlink_status(path, ec))) {
    return Status::Usage(
        fmt::format("{} '{}' is a symbolic link to nothing; name a file", option, path));
  }
  return Status::Ok();
}

bool SameOutputPath(const std::string& a, const std::string& b) {
  return Resolved(a) == Resolved(b);
}

Status WriteOutputFile(const std::string& path, std::string_view text, bool overwrite,
                       std::string_view option) {
  if (path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? Status::Ok() : Status::Io("cannot write to standard output");
  }
  POPULUS_RETURN_IF_ERROR(CheckOutputFile(path, overwrite, option));
  return WriteFileAtomically(Resolved(path).string(), text);
}

}  // namespace populus
