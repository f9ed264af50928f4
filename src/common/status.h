// Status: the outcome of an operation that can fail on bad input or I/O.
//
// I/O and data paths return a Status instead of throwing. A Status is either ok
// or carries a kind and a message written for the person who has to act on it
// ("events.csv line 18233: date '2019-13-01' is not a valid date"). The kind
// decides the process exit code: usage 1, data 2, internal 3.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace populus {

class Status {
 public:
  enum class Kind { kOk = 0, kUsage, kData, kCorruption, kIo, kInternal };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Usage(std::string msg) { return Status(Kind::kUsage, std::move(msg)); }
  // The input (an extract, a configuration, a rule file) is wrong.
  static Status Data(std::string msg) { return Status(Kind::kData, std::move(msg)); }
  // Stored data failed an integrity check (checksum, magic, size).
  static Status Corruption(std::string msg) { return Status(Kind::kCorruption, std::move(msg)); }
  // The operating system refused a read or a write.
  static Status Io(std::string msg) { return Status(Kind::kIo, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Kind::kInternal, std::move(msg)); }
  // An I/O error built from errno, naming the path and the action.
  static Status FromErrno(std::string_view action, std::string_view path, int err);

  bool ok() const { return kind_ == Kind::kOk; }
  Kind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // The process exit code for this status: 0 ok, 1 usage, 2 input data or
  // corrupt stored data, 3 internal or I/O error.
  int ExitCode() const;

 private:
  Status(Kind kind, std::string msg) : kind_(kind), message_(std::move(msg)) {}
  Kind kind_ = Kind::kOk;
  std::string message_;
};

// Evaluates an expression returning Status and returns it from the caller if it failed.
#define POPULUS_RETURN_IF_ERROR(expr) \
  do {                                \
    ::populus::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)

}  // namespace populus
