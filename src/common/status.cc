#include "common/status.h"

#include <fmt/format.h>

#include <cstring>

namespace populus {

Status Status::FromErrno(std::string_view action, std::string_view path, int err) {
  return Io(fmt::format("cannot {} '{}': {}", action, path, std::strerror(err)));
}

int Status::ExitCode() const {
  switch (kind_) {
    case Kind::kOk:
      return 0;
    case Kind::kUsage:
      return 1;
    case Kind::kData:
    case Kind::kCorruption:
      return 2;
    case Kind::kIo:
    case Kind::kInternal:
      return 3;
  }
  return 3;
}

}  // namespace populus
