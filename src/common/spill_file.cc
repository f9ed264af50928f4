#include "common/spill_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace populus {
SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status SpillFile::Create(const std::string& dir, size_t buffer_bytes) {
  dir_ = dir;
  buffer_bytes_ = std::max<size_t>(buffer_bytes, 4096);
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a named file, unlinked at once.
    std::string name = (std::filesystem::path(dir) / ".populus-spill-XXXXXX").string();
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ >= 0) ::unlink(name.c_str());
  }
  if (fd_ < 0) {
    status_ = Status::FromErrno("create a temporary file in", dir, errno);
    return status_;
  }
  buffer_.reserve(buffer_bytes_);
  return Status::Ok();
}

void SpillFile::Flush() {
  const char* data = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0 && status_.ok()) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      status_ = Status::FromErrno("write a temporary file in", dir_, errno);
      break;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
}

void SpillFile::Append(const void* data, size_t size) {
  if (!status_.ok()) return;
  if (fd_ < 0 || reading_) {
    status_ = Status::Internal("a spill file was appended to before Create() or after reading");
    return;
  }
  size_ += size;
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    if (buffer_.size() == buffer_bytes_) Flush();
    const size_t n = std::min(size, buffer_bytes_ - buffer_.size());
    buffer_.insert(buffer_.end(), bytes, bytes + n);
    bytes += n;
    size -= n;
  }
}

Status SpillFile::FinishWriting() {
  if (status_.ok() && fd_ < 0) status_ = Status::Internal("a spill file was never created");
  if (!status_.ok()) return status_;
  Flush();
  if (status_.ok() && ::lseek(fd_, 0, SEEK_SET) != 0) {
    status_ = Status::FromErrno("rewind a temporary file in", dir_, errno);
  }
  buffer_.resize(buffer_bytes_);
  read_at_ = read_end_ = 0;
  reading_ = true;
  return status_;
}

bool SpillFile::Read(void* out, size_t size) {
  if (!reading_ || !status_.ok()) return false;
  char* to = static_cast<char*>(out);
  size_t wanted = size;
  while (wanted > 0) {
    if (read_at_ == read_end_) {
      ssize_t n;
      do {
        n = ::read(fd_, buffer_.data(), buffer_.size());
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        status_ = Status::FromErrno("read a temporary file in", dir_, errno);
        return false;
      }
      if (n == 0) {
        if (wanted != size) {
          status_ = Status::Io(
              fmt::format("a temporary file in '{}' ended part way through a record", dir_));
        }
        return false;
      }
      read_at_ = 0;
      read_end_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(wanted, read_end_ - read_at_);
    std::memcpy(to, buffer_.data() + read_at_, n);
    read_at_ += n;
    to += n;
    wanted -= n;
  }
  return true;
}

std::string SpillFolderFor(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path.empty() ? fs::path(".") : fs::path(path), ec).lexically_normal();
  while (!p.empty()) {
    if (fs::is_directory(p, ec)) return p.string();
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return fs::current_path(ec).string();
}

}  // namespace populus
