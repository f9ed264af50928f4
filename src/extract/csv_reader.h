// A streaming reader of RFC 4180 CSV files.
//
// Reads a file through a fixed buffer (never the whole file), one record at a
// time. Each record's fields are string views valid until the next call to
// Next(). Quoted fields may hold commas, doubled quotes and line breaks; CRLF
// and LF endings are both accepted; a UTF-8 byte order mark is skipped; blank
// lines are skipped. A record that is malformed (bad quoting, invalid UTF-8) is
// still returned, with its problem set, so the caller can quarantine it with
// its line number and raw text and go on: a bad row never stops the read.
// The exception is a quoted field that runs on past kMaxQuotedFieldLineBreaks
// line breaks or kMaxQuotedFieldBytes bytes without closing: that is a stray
// quote swallowing the rest of the file, so the read stops with a Data
// status naming the line where the quote opened; so does a quoted field that
// runs across a line break to the end of the file without closing.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace populus {

// No field of an extract needs more; a quoted field running on past either is
// taken to be a stray quote.
inline constexpr uint64_t kMaxQuotedFieldLineBreaks = 64;
inline constexpr size_t kMaxQuotedFieldBytes = 64 << 10;

enum class CsvProblem {
  kNone,
  kUnterminatedQuote,  // a quoted field runs to the end of the file
  kStrayQuote,         // text after a closing quote, or a quote inside an unquoted field
  kInvalidUtf8,
};

const char* CsvProblemText(CsvProblem problem);

struct CsvRecord {
  std::vector<std::string_view> fields;
  std::string_view raw;  // the record's text as it stands in the file, without its line end
  uint64_t line = 0;     // 1-based line on which the record starts
  CsvProblem problem = CsvProblem::kNone;
};

class CsvReader {
 public:
  CsvReader();
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  Status Open(const std::string& path);
  // Reads the next record into *record. Returns false at the end of the file
  // or on an I/O error (then status() says which).
  bool Next(CsvRecord* record);
  const Status& status() const { return status_; }
  // Bytes of the file consumed so far, for progress reporting.
  uint64_t bytes_consumed() const { return consumed_before_buffer_ + pos_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

 private:
  bool Fill();  // moves unread bytes to the front and reads more; false at EOF or error
  // Parses one record starting at pos_. Returns false if the buffer ended before
  // the record did (and the file has more).
  bool ParseRecord(CsvRecord* record);

  int fd_ = -1;
  std::string path_;
  Status status_;
  std::vector<char> buffer_;
  size_t pos_ = 0;  // start of the unread part of buffer_
  size_t end_ = 0;  // end of valid bytes in buffer_
  bool eof_ = false;
  bool first_fill_ = true;
  uint64_t consumed_before_buffer_ = 0;
  uint64_t file_size_ = 0;
  uint64_t line_ = 1;
  std::deque<std::string>
      unescaped_;  // fields with doubled quotes; a deque keeps views valid as it grows
};

// True if the bytes are valid UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The first control character (a byte below 0x20 other than tab, or 0x7F) in
// the text, or -1 when it has none. A tab is kept, as the quarantine keeps it.
int ControlByteIn(std::string_view text);

// The index of the first field holding a control character, or -1.
int FieldWithControlByte(const CsvRecord& record);

}  // namespace populus
