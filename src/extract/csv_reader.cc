#include "extract/csv_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_io.h"

namespace populus {
namespace {
constexpr size_t kInitialBuffer = 4 << 20;
}  // namespace

const char* CsvProblemText(CsvProblem problem) {
  switch (problem) {
    case CsvProblem::kNone:
      return "no problem";
    case CsvProblem::kUnterminatedQuote:
      return "a quoted field is never closed";
    case CsvProblem::kStrayQuote:
      return "a quote character stands where RFC 4180 does not allow one";
    case CsvProblem::kInvalidUtf8:
      return "the record is not valid UTF-8";
  }
  return "unknown problem";
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: eight ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(len) > n) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = s[i + static_cast<size_t>(k)];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<size_t>(len);
  }
  return true;
}

int ControlByteIn(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  // Eight bytes at a time: skip words with no byte below 0x20 and no 0x7F.
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, s + i, 8);
    const uint64_t below_space = (word - 0x20 * kOnes) & ~word & kHighs;
    const uint64_t del = word ^ (0x7F * kOnes);
    const uint64_t is_del = (del - kOnes) & ~del & kHighs;
    if ((below_space | is_del) != 0) break;
  }
  for (; i < n; ++i) {
    if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F) return s[i];
  }
  return -1;
}

int FieldWithControlByte(const CsvRecord& record) {
  if (ControlByteIn(record.raw) < 0) return -1;  // the usual case: one pass over the line
  for (size_t f = 0; f < record.fields.size(); ++f) {
    if (ControlByteIn(record.fields[f]) >= 0) return static_cast<int>(f);
  }
  return -1;
}

CsvReader::CsvReader() = default;

CsvReader::~CsvReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status CsvReader::Open(const std::string& path) {
  path_ = path;
  Status opened = OpenRegularFile(path, &fd_);
  if (!opened.ok()) return status_ = opened;
  struct stat st;
  if (::fstat(fd_, &st) == 0) file_size_ = static_cast<uint64_t>(st.st_size);
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  buffer_.resize(kInitialBuffer);
  return Status::Ok();
}

bool CsvReader::Fill() {
  if (eof_ || fd_ < 0) return false;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    consumed_before_buffer_ += pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buffer_.size())
    buffer_.resize(buffer_.size() * 2);  // a record longer than the buffer
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      status_ = Status::FromErrno("read", path_, errno);
      eof_ = true;
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(n);
    break;
  }
  if (first_fill_) {
    first_fill_ = false;
    if (end_ >= 3 && std::memcmp(buffer_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  }
  return true;
}

bool CsvReader::Next(CsvRecord* record) {
  if (!status_.ok()) return false;
  for (;;) {
    // Skip blank lines.
    while (pos_ < end_ && (buffer_[pos_] == '\n' || buffer_[pos_] == '\r')) {
      if (buffer_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= end_) {
      if (!Fill()) return false;
      continue;
    }
    if (ParseRecord(record)) return status_.ok();
    // The buffer ended inside the record: read more and parse it again.
    if (!Fill()) {
      if (!status_.ok()) return false;
      // End of file inside a record: what there is makes the last record.
      return ParseRecord(record) && status_.ok();
    }
  }
}

bool CsvReader::ParseRecord(CsvRecord* record) {
  const char* const base = buffer_.data();
  const char* p = base + pos_;
  const char* const end = base + end_;
  const char* const record_start = p;
  record->fields.clear();
  record->problem = CsvProblem::kNone;
  record->line = line_;
  uint64_t newlines_inside = 0;
  size_t field_index = 0;

  for (;;) {
    if (p < end && *p == '"') {
      // Quoted field.
      ++p;
      const char* content = p;
      bool doubled = false;
      bool closed = false;
      uint64_t line_breaks = 0;
      while (p < end) {
        if (*p == '"') {
          if (p + 1 < end && p[1] == '"') {
            doubled = true;
            p += 2;
            continue;
          }
          if (p + 1 >= end && !eof_) return false;  // cannot tell yet if the quote is doubled
          closed = true;
          break;
        }
        if (*p == '\n') {
          ++newlines_inside;
          if (++line_breaks > kMaxQuotedFieldLineBreaks) break;
        }
        ++p;
        if (static_cast<size_t>(p - content) > kMaxQuotedFieldBytes) break;
      }
      std::string_view swallowed(content, static_cast<size_t>(p - content));
      while (!swallowed.empty() && (swallowed.back() == '\n' || swallowed.back() == '\r')) {
        swallowed.remove_suffix(1);
      }
      if (!closed && eof_ && p >= end && swallowed.find('\n') != std::string_view::npos) {
        // Never closed, across lines, to the end of the file: the lines it
        // swallowed were rows, so the read stops rather than lose them.
        status_ = Status::Data(fmt::format(
            "{} line {}: a quoted field opened on this line is never closed; it runs across "
            "{} line breaks to the end of the file (a stray quote?), so the load stops here",
            path_, line_ + newlines_inside - line_breaks, line_breaks));
        return true;
      }
      if (!closed && (line_breaks > kMaxQuotedFieldLineBreaks ||
                      static_cast<size_t>(p - content) > kMaxQuotedFieldBytes)) {
        // A stray opening quote would swallow the rest of the file into one
        // record: stop the read where the quote opened instead.
        status_ = Status::Data(fmt::format(
            "{} line {}: a quoted field opened on this line runs on past {} line breaks or {} "
            "bytes without its closing quote (a stray quote?); nothing after it can be read "
            "reliably, so the load stops here",
            path_, line_ + newlines_inside - line_breaks, kMaxQuotedFieldLineBreaks,
            kMaxQuotedFieldBytes));
        return true;
      }
      if (!closed) {
        if (!eof_) return false;
        record->problem = CsvProblem::kUnterminatedQuote;
        record->fields.emplace_back(content, static_cast<size_t>(p - content));
        break;
      }
      std::string_view value(content, static_cast<size_t>(p - content));
      ++p;  // closing quote
      if (doubled) {
        if (unescaped_.size() <= field_index) unescaped_.resize(field_index + 1);
        std::string& out = unescaped_[field_index];
        out.clear();
        for (size_t i = 0; i < value.size(); ++i) {
          out.push_back(value[i]);
          if (value[i] == '"') ++i;
        }
        value = out;
      }
      // After the closing quote: a delimiter, a line end, or the end of the file.
      if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
        record->problem = CsvProblem::kStrayQuote;
        while (p < end && *p != ',' && *p != '\n') ++p;
      }
      record->fields.push_back(value);
    } else {
      const char* start = p;
      while (p < end && *p != ',' && *p != '\n') {
        if (*p == '"') record->problem = CsvProblem::kStrayQuote;
        ++p;
      }
      if (p >= end && !eof_) return false;
      const char* stop = p;
      if (stop > start && stop[-1] == '\r' && (p >= end || *p == '\n')) --stop;
      record->fields.emplace_back(start, static_cast<size_t>(stop - start));
    }
    ++field_index;
    if (p >= end) {
      if (!eof_) return false;
      break;
    }
    if (*p == ',') {
      ++p;
      if (p >= end && !eof_) return false;
      continue;
    }
    if (*p == '\r') {
      ++p;
      if (p >= end) {
        if (!eof_) return false;
        break;
      }
    }
    if (*p == '\n') {
      ++p;
      break;
    }
  }

  const char* raw_end = p;
  while (raw_end > record_start && (raw_end[-1] == '\n' || raw_end[-1] == '\r')) --raw_end;
  record->raw = std::string_view(record_start, static_cast<size_t>(raw_end - record_start));
  if (record->problem == CsvProblem::kNone && !IsValidUtf8(record->raw)) {
    record->problem = CsvProblem::kInvalidUtf8;
  }
  const bool ended_with_newline = p > record_start && p[-1] == '\n';
  line_ += newlines_inside + (ended_with_newline ? 1 : 0);
  pos_ = static_cast<size_t>(p - base);
  return true;
}

}  // namespace populus
