// Where populus writes what it produces: output directories (`generate`,
// `project`, `analyse`, `export`) and output files (`stats`, `qrisk3`).
//
// An output appears whole or not at all, and never harms what populus did not
// write:
//   - no output path is, contains or lies inside a data directory
//     (data_directory.h), the working directory, a folder above it, or the
//     root;
//   - an existing output is replaced only when asked (--overwrite) and only
//     when populus wrote it: an output directory carries a marker file
//     (kOutputMarkerName) naming the command that wrote it; an output file
//     must be a regular file;
//   - two runs into one output directory cannot interleave: the second is
//     refused while the first holds the output's lock; an output directory
//     may not be named NAME.partial, which is where a run into NAME stages.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace populus {

// The file inside every output directory populus writes (DO NOT CHANGE: it is
// how a later run knows the directory may be replaced).
inline constexpr const char* kOutputMarkerName = ".populus-output";

// A usage error when `path` may not be written by a command: it is, contains
// or lies inside a data directory, or it is the working directory, a folder
// above it or the root. `option` names the option in the message ("--out").
Status CheckOutputPath(const std::string& path, std::string_view option);

// Output directories appear whole or not at all. Begin() checks the path,
// takes the lock (a hidden `.NAME.lock` file beside DIR, held while this
// object lives), then checks what is there, and creates the staging
// directory DIR.partial with a marker saying it is staging; a DIR.partial
// left by a run that died (marked as staging or as a replaced output, or
// empty) is removed first, anything else there is refused. Files are written into staging();
// Finish() marks the output finished, makes it durable and swaps it into
// place in one atomic rename (the old output, marked replaced, is removed), so a reader sees the
// old output or the new one, never a mixture. An object destroyed before Finish() removes its
// staging directory.
class OutputDirectory {
 public:
  OutputDirectory() = default;
  ~OutputDirectory();
  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;

  // `command` is written into the marker ("populus analyse"). A usage error
  // when `dir` exists and is not a directory, or is not empty and either
  // `overwrite` is false or populus did not write it; an I/O error when
  // another run holds the lock.
  Status Begin(const std::string& dir, bool overwrite, std::string_view command,
               std::string_view option = "--out");
  const std::string& staging() const { return staging_; }
  const std::string& path() const { return dir_; }
  Status Finish();

 private:
  std::string dir_, staging_, command_;
  int lock_fd_ = -1;
  bool finished_ = false;
};

// The checks WriteOutputFile makes before it writes (an empty path, standard
// output, passes).
Status CheckOutputFile(const std::string& path, bool overwrite,
                       std::string_view option = "--output");

// True when two output paths name the same file once resolved.
bool SameOutputPath(const std::string& a, const std::string& b);

// Writes one output file whole: to standard output when `path` is empty,
// else through a temporary file in the same directory renamed over `path`.
// A usage error when `path` fails CheckOutputPath, is a directory or another
// non-regular file, or exists and `overwrite` is false.
Status WriteOutputFile(const std::string& path, std::string_view text, bool overwrite,
                       std::string_view option = "--output");

}  // namespace populus
