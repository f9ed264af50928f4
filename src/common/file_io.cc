#include "common/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace populus {
namespace {
constexpr size_t kWriteBuffer = 1 << 20;

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}
}  // namespace

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileWriter::Open(const std::string& path, int mode) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd_ < 0) return Status::FromErrno("create", path, errno);
  buffer_.reserve(kWriteBuffer);
  return Status::Ok();
}

Status FileWriter::Append(const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  bytes_written_ += size;
  if (buffer_.size() + size > kWriteBuffer) {
    POPULUS_RETURN_IF_ERROR(FlushBuffer());
    if (size >= kWriteBuffer) return WriteAll(fd_, bytes, size, path_);
  }
  buffer_.insert(buffer_.end(), bytes, bytes + size);
  return Status::Ok();
}

Status FileWriter::WriteAt(uint64_t offset, const void* data, size_t size) {
  POPULUS_RETURN_IF_ERROR(FlushBuffer());
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, bytes, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("write", path_, errno);
    }
    bytes += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FileWriter::FlushBuffer() {
  if (buffer_.empty()) return Status::Ok();
  Status st = WriteAll(fd_, buffer_.data(), buffer_.size(), path_);
  buffer_.clear();
  return st;
}

Status FileWriter::Sync() {
  POPULUS_RETURN_IF_ERROR(FlushBuffer());
  if (::fsync(fd_) != 0) return Status::FromErrno("fsync", path_, errno);
  return Status::Ok();
}

Status FileWriter::Close() {
  if (fd_ < 0) return Status::Ok();
  Status st = FlushBuffer();
  if (::close(fd_) != 0 && st.ok()) st = Status::FromErrno("close", path_, errno);
  fd_ = -1;
  return st;
}

Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open directory", path, errno);
  Status st;
  if (::fsync(fd) != 0) st = Status::FromErrno("fsync directory", path, errno);
  ::close(fd);
  return st;
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, int mode) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Status::Usage(path + " exists and is not a regular file; it is not replaced");
  }
  // A name of this process's own beside the file, removed on any failure.
  static std::atomic<uint64_t> serial{0};
  const std::string tmp = fmt::format("{}.tmp-{}-{}", path, ::getpid(), serial++);
  Status written = [&] {
    FileWriter writer;
    POPULUS_RETURN_IF_ERROR(writer.Open(tmp, mode));
    POPULUS_RETURN_IF_ERROR(writer.Append(contents));
    POPULUS_RETURN_IF_ERROR(writer.Sync());
    POPULUS_RETURN_IF_ERROR(writer.Close());
    if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::FromErrno("rename", tmp, errno);
    return Status::Ok();
  }();
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  return SyncDirectory(dir.empty() ? "." : dir);
}

Status OpenRegularFile(const std::string& path, int* fd_out) {
  *fd_out = -1;
  if (path.empty()) return Status::Usage("a file name is empty; name a file");
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    struct stat link;
    if (err == ENOENT && ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
      return Status::Data(path +
                          " is a symbolic link to nothing; populus reads only regular files");
    }
    return Status::FromErrno("open", path, err);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* what = S_ISDIR(st.st_mode)                          ? "a directory"
                       : S_ISFIFO(st.st_mode)                       ? "a named pipe (FIFO)"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                       : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                                    : "not a regular file";
    return Status::Data(fmt::format("{} is {}; populus reads only regular files", path, what));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("open", path, err);
  }
  *fd_out = fd;
  return Status::Ok();
}

Status PathWithin(const std::string& root, const std::string& relative, std::string* path) {
  const std::filesystem::path rel(relative);
  if (relative.empty()) return Status::Data("'' names no file");
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    return Status::Data(fmt::format("'{}' is an absolute path; name a file inside the folder '{}'",
                                    relative, root));
  }
  for (const auto& part : rel) {
    if (part == "..") {
      return Status::Data(
          fmt::format("'{}' climbs out of the folder '{}'; name a file inside it", relative, root));
    }
  }
  *path = (std::filesystem::path(root) / rel).string();
  return Status::Ok();
}

Status ReadSmallFile(const std::string& path, std::string* out) {
  int fd = -1;
  POPULUS_RETURN_IF_ERROR(OpenRegularFile(path, &fd));
  out->clear();
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::FromErrno("read", path, err);
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::Ok();
}

MappedFile::~MappedFile() { Reset(); }

MappedFile::MappedFile(MappedFile&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void MappedFile::Reset() {
  if (data_ != nullptr && size_ > 0) ::munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

Status MappedFile::Open(const std::string& path) {
  Reset();
  int fd = -1;
  POPULUS_RETURN_IF_ERROR(OpenRegularFile(path, &fd));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("stat", path, err);
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      size_ = 0;
      return Status::FromErrno("map", path, err);
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return Status::Ok();
}

void MappedFile::ReadSequentially() const {
  if (data_ != nullptr) ::madvise(const_cast<uint8_t*>(data_), size_, MADV_SEQUENTIAL);
}

void MappedFile::ReadUpTo(size_t offset) const {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t whole = std::min(offset, size_) / page * page;
  // Pages of a read-only private mapping not written to: dropping them only
  // means a later read would fetch them from the file again.
  if (data_ != nullptr && whole > 0) ::madvise(const_cast<uint8_t*>(data_), whole, MADV_DONTNEED);
}

void CrashPoint(const char* name) {
  static const char* target = std::getenv("POPULUS_CRASH_AT");
  if (target != nullptr && std::strcmp(target, name) == 0) ::raise(SIGKILL);
}

}  // namespace populus
