#include "store/snapshot_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>

#include "common/file_io.h"
#include "store/schema.h"

namespace populus {
namespace fs = std::filesystem;

namespace {
Status MakeDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::Io(fmt::format("cannot create directory '{}': {}", path, ec.message()));
  return Status::Ok();
}

// The number of a rejected load's folder ("r000007-..."), or 0 for any other name.
uint32_t RejectedNumber(const std::string& name) {
  if (name.size() < 8 || name[0] != 'r' || name[7] != '-') return 0;
  uint32_t n = 0;
  for (size_t i = 1; i < 7; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    n = n * 10 + static_cast<uint32_t>(name[i] - '0');
  }
  return n;
}

std::string UtcStamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}
}  // namespace

SnapshotWriter::~SnapshotWriter() {
  if (!finished_ && !staging_.empty()) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status CheckDataDirectoryPath(const std::string& data_dir) {
  if (data_dir.empty()) return Status::Usage("the data directory is empty; name a folder");
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::absolute(data_dir, ec), ec);
  if (ec || root.empty() || root == root.root_path()) {
    return Status::Usage(fmt::format(
        "'{}' cannot be a data directory (it is the root, or it does not resolve)", data_dir));
  }
  if (const fs::path outer = EnclosingDataDirectory(root.parent_path()); !outer.empty()) {
    return Status::Usage(fmt::format(
        "'{}' lies inside the data directory '{}'; a data directory cannot hold another", data_dir,
        outer.string()));
  }
  const fs::file_status st = fs::status(root, ec);
  if (fs::exists(st) && !fs::is_directory(st)) {
    return Status::Usage(fmt::format("'{}' exists and is not a directory", data_dir));
  }
  if (fs::is_directory(st) && !fs::is_empty(root, ec) && !IsDataDirectory(root)) {
    return Status::Usage(fmt::format(
        "'{}' is not empty and is not a populus data directory; name a new or existing data "
        "directory",
        data_dir));
  }
  return Status::Ok();
}

Status SnapshotWriter::Begin(const std::string& data_dir) {
  POPULUS_RETURN_IF_ERROR(CheckDataDirectoryPath(data_dir));
  layout_ = DataDirLayout(data_dir);
  POPULUS_RETURN_IF_ERROR(MakeDir(layout_.versions_dir()));
  POPULUS_RETURN_IF_ERROR(MakeDir(layout_.staging_dir()));
  lock_fd_ = ::open(layout_.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::FromErrno("create lock file", layout_.lock_file(), errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Io(fmt::format(
        "another populus process is writing to '{}'; wait for it to finish", layout_.root));
  }
  // Holding the lock, a load folder in the staging area is from a load that
  // died. Only folders named as Begin() names them are removed: never
  // anything else that happens to be there.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(layout_.staging_dir(), ec)) {
    if (entry.path().filename().string().starts_with("load-") && entry.is_directory(ec) &&
        !entry.is_symlink(ec)) {
      fs::remove_all(entry.path(), ec);
    }
  }
  staging_ = fmt::format("{}/load-{}-{}", layout_.staging_dir(), UtcStamp(), ::getpid());
  POPULUS_RETURN_IF_ERROR(MakeDir(staging_));
  // Rejected loads are numbered like versions, so their order never depends
  // on clock resolution: "r000007-20190630T120000Z".
  uint32_t highest = 0;
  for (const auto& entry : fs::directory_iterator(layout_.rejected_dir(), ec)) {
    highest = std::max(highest, RejectedNumber(entry.path().filename().string()));
  }
  rejected_path_ = fmt::format("{}/r{:06d}-{}", layout_.rejected_dir(), highest + 1, UtcStamp());
  manifest_ = nlohmann::json::object();
  manifest_["format"] = kSnapshotFormat;
  manifest_["format_version"] = kSnapshotFormatVersion;
  manifest_["tables"] = nlohmann::json::object();
  return Status::Ok();
}

std::string SnapshotWriter::PathFor(const std::string& table, const std::string& name) {
  const std::string dir = staging_ + "/" + table;
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir + "/" + name + ".col";
}

Status SnapshotWriter::Record(const std::string& table, const std::string& name,
                              const ColumnFileInfo& info) {
  // Only what store/schema.h declares, with its type, goes into a snapshot.
  const TableSpec* spec = FindTable(table);
  const ColumnSpec* declared = spec != nullptr ? FindColumn(*spec, name) : nullptr;
  if (declared == nullptr || !HoldsDeclaredType(*declared, info.type)) {
    return Status::Internal(
        fmt::format("the column {}.{} of type {} is not declared so in store/schema.h", table, name,
                    ColumnTypeName(info.type)));
  }
  std::lock_guard<std::mutex> lock(manifest_mutex_);
  auto& column = manifest_["tables"][table]["columns"][name];
  column["file"] = name + ".col";
  column["type"] = ColumnTypeName(info.type);
  column["type_id"] = static_cast<uint32_t>(info.type);
  column["rows"] = info.rows;
  column["bytes"] = info.file_bytes;
  column["checksum"] = fmt::format("{:016x}", info.checksum);
  return Status::Ok();
}

Status SnapshotWriter::Strings(const std::string& table, const std::string& name,
                               const std::vector<std::string>& values) {
  ColumnFileInfo info;
  POPULUS_RETURN_IF_ERROR(WriteStringColumn(PathFor(table, name), values, &info));
  return Record(table, name, info);
}

Status SnapshotWriter::Codes(const std::string& table, const std::string& name,
                             const std::vector<uint32_t>& ids,
                             const std::vector<std::string>& dictionary) {
  if (CodeIdType(dictionary.size()) == ColumnType::kUInt16) {
    std::vector<uint16_t> narrow(ids.begin(), ids.end());
    POPULUS_RETURN_IF_ERROR(Column(table, name, narrow));
  } else {
    POPULUS_RETURN_IF_ERROR(Column(table, name, ids));
  }
  return Strings(table, name + ".dict", dictionary);
}

Status SnapshotWriter::BeginColumn(const std::string& table, const std::string& name,
                                   ColumnType type, ColumnAppender* column) {
  return column->Open(PathFor(table, name), type);
}

Status SnapshotWriter::EndColumn(const std::string& table, const std::string& name,
                                 ColumnAppender* column, uint64_t bitmap_rows) {
  ColumnFileInfo info;
  POPULUS_RETURN_IF_ERROR(column->Finish(&info, bitmap_rows));
  return Record(table, name, info);
}

void SnapshotWriter::SetTableRows(const std::string& table, uint64_t rows) {
  std::lock_guard<std::mutex> lock(manifest_mutex_);
  manifest_["tables"][table]["rows"] = rows;
}

std::string SnapshotWriter::NextVersion() const {
  uint32_t highest = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(layout_.versions_dir(), ec)) {
    highest = std::max(highest, ParseVersionName(entry.path().filename().string()));
  }
  return VersionName(highest + 1);
}

Status SnapshotWriter::Publish(int keep_versions) {
  const std::string version = NextVersion();
  std::error_code ec;
  manifest_["version"] = version;
  if (Status st = CheckTablesAgainstSchema(manifest_["tables"], staging_ + "/manifest.json");
      !st.ok()) {
    return Status::Internal("the snapshot written does not match its declaration: " + st.message());
  }

  const std::string manifest_text = manifest_.dump(2) + "\n";
  const std::string manifest_checksum =
      fmt::format("{:016x}", XXH3_64bits(manifest_text.data(), manifest_text.size()));
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"manifest.json", manifest_text},
        {"manifest.checksum", manifest_checksum + "\n"}}) {
    FileWriter writer;
    POPULUS_RETURN_IF_ERROR(writer.Open(staging_ + "/" + name));
    POPULUS_RETURN_IF_ERROR(writer.Append(text));
    POPULUS_RETURN_IF_ERROR(writer.Sync());
    POPULUS_RETURN_IF_ERROR(writer.Close());
  }
  for (const auto& entry : fs::directory_iterator(staging_, ec)) {
    if (entry.is_directory()) POPULUS_RETURN_IF_ERROR(SyncDirectory(entry.path().string()));
  }
  POPULUS_RETURN_IF_ERROR(SyncDirectory(staging_));
  CrashPoint("publish-before-rename");

  const std::string target = layout_.version_dir(version);
  if (::rename(staging_.c_str(), target.c_str()) != 0) {
    return Status::FromErrno("rename staging folder to", target, errno);
  }
  finished_ = true;
  POPULUS_RETURN_IF_ERROR(SyncDirectory(layout_.versions_dir()));
  CrashPoint("publish-before-current");

  const std::string pointer =
      fmt::format("{} {:016x}\n", version, XXH3_64bits(manifest_text.data(), manifest_text.size()));
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(layout_.current_file(), pointer));
  CrashPoint("publish-after-current");

  if (keep_versions > 0) {
    std::vector<uint32_t> numbers;
    for (const auto& entry : fs::directory_iterator(layout_.versions_dir(), ec)) {
      const uint32_t n = ParseVersionName(entry.path().filename().string());
      if (n > 0) numbers.push_back(n);
    }
    std::sort(numbers.rbegin(), numbers.rend());
    for (size_t i = static_cast<size_t>(keep_versions); i < numbers.size(); ++i) {
      fs::remove_all(layout_.version_dir(VersionName(numbers[i])), ec);
    }
  }
  return Status::Ok();
}

std::string SnapshotWriter::RejectedPath() const { return rejected_path_; }

Status SnapshotWriter::Reject() {
  POPULUS_RETURN_IF_ERROR(MakeDir(layout_.rejected_dir()));
  std::error_code ec;
  // Keep the reports, not partial columns.
  for (const auto& entry : fs::directory_iterator(staging_, ec)) {
    if (entry.is_directory()) fs::remove_all(entry.path(), ec);
  }
  if (::rename(staging_.c_str(), rejected_path_.c_str()) != 0) {
    return Status::FromErrno("move rejected load to", rejected_path_, errno);
  }
  finished_ = true;
  std::vector<std::pair<uint32_t, fs::path>> rejected;
  for (const auto& entry : fs::directory_iterator(layout_.rejected_dir(), ec)) {
    const uint32_t n = RejectedNumber(entry.path().filename().string());
    if (n > 0) rejected.emplace_back(n, entry.path());
  }
  std::sort(rejected.begin(), rejected.end());
  constexpr size_t kKeepRejected = 10;
  for (size_t i = 0; i + kKeepRejected < rejected.size(); ++i) {
    fs::remove_all(rejected[i].second, ec);
  }
  return SyncDirectory(layout_.rejected_dir());
}

}  // namespace populus
