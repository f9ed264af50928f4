// Finding where JSON values begin and end without parsing them: enough to
// walk a Bundle of any size entry by entry (fhir/resource_reader.cc), each
// entry then parsed on its own, so that memory follows the largest
// resource and not the file.
//
// The scanner balances strings (with their escapes) and brackets, and checks
// the commas and colons of the object or array it is asked to walk; what is
// inside a value (a number, a literal, the separators of nested objects) is
// left to whoever parses that value. Nesting deeper than kMaxDepth is an
// error, as it is for simdjson.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace populus::fhir {

class JsonScanner {
 public:
  static constexpr size_t kMaxDepth = 1024;

  // `passed(offset)` is called now and then with an offset the scan has
  // gone past, for a caller that gives back the memory of what is behind.
  explicit JsonScanner(std::string_view text, std::function<void(size_t)> passed = {})
      : text_(text), passed_(std::move(passed)) {}

  // The offset of the first character at or after `at` that is not JSON
  // whitespace (text size if none).
  size_t SkipSpace(size_t at) const;
  // One past the end of the value whose first character is at `at`; false
  // with error() set when its strings or brackets do not balance.
  bool ValueEnd(size_t at, size_t* end);
  // Walks the members of the object at `at` ('{'): `member(name, begin,
  // end)` for each, `name` as written between its quotes (escapes kept),
  // the value's extent [begin, end). *end is one past the object. False,
  // with error() set, at the first thing out of place; members before it
  // were handed over.
  using MemberFn = std::function<void(std::string_view name, size_t begin, size_t end)>;
  bool Members(size_t at, const MemberFn& member, size_t* end);
  // Likewise the elements of the array at `at` ('['); `element(begin, end)`.
  using ElementFn = std::function<void(size_t begin, size_t end)>;
  bool Elements(size_t at, const ElementFn& element, size_t* end);

  const std::string& error() const { return error_; }
  size_t error_at() const { return error_at_; }  // a byte offset in the text

 private:
  bool StringEnd(size_t at, size_t* end);
  bool Fail(size_t at, std::string reason);
  void Passed(size_t at);

  std::string_view text_;
  std::function<void(size_t)> passed_;
  size_t last_passed_ = 0;
  std::vector<char> open_;  // the brackets open in ValueEnd
  std::string error_;
  size_t error_at_ = 0;
};

// The text of a JSON string written between quotes (`raw`, escapes kept),
// decoded; false when it is not a valid JSON string.
bool DecodeJsonString(std::string_view raw, std::string* out);

}  // namespace populus::fhir
