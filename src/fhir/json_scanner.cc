#include "fhir/json_scanner.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cstring>

namespace populus::fhir {
namespace {

constexpr size_t kPassedEvery = size_t{64} << 20;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// What ends a number or a literal.
bool EndsScalar(char c) {
  return IsSpace(c) || c == ',' || c == '}' || c == ']' || c == ':' || c == '"' || c == '{' ||
         c == '[';
}

// The characters ValueEnd stops at inside an object or array.
constexpr std::array<bool, 256> kStructural = [] {
  std::array<bool, 256> t{};
  for (const unsigned char c : {'"', '{', '}', '[', ']'}) t[c] = true;
  return t;
}();

std::string Shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x7F ? fmt::format("'{}'", c) : fmt::format("byte 0x{:02X}", u);
}

}  // namespace

size_t JsonScanner::SkipSpace(size_t at) const {
  while (at < text_.size() && IsSpace(text_[at])) ++at;
  return at;
}

bool JsonScanner::Fail(size_t at, std::string reason) {
  error_at_ = at;
  error_ = std::move(reason);
  return false;
}

void JsonScanner::Passed(size_t at) {
  if (passed_ && at - last_passed_ >= kPassedEvery) {
    passed_(at);
    last_passed_ = at;
  }
}

bool JsonScanner::StringEnd(size_t at, size_t* end) {
  const char* const p = text_.data();
  size_t i = at + 1;
  for (;;) {
    const void* hit = i < text_.size() ? std::memchr(p + i, '"', text_.size() - i) : nullptr;
    if (hit == nullptr) return Fail(at, "the text ends inside a string that opens here");
    const size_t q = static_cast<size_t>(static_cast<const char*>(hit) - p);
    size_t backslashes = 0;
    while (q - backslashes > at + 1 && p[q - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) {
      *end = q + 1;
      return true;
    }
    i = q + 1;
  }
}

bool JsonScanner::ValueEnd(size_t at, size_t* end) {
  if (at >= text_.size()) return Fail(at, "the text ends where a value should be");
  const char first = text_[at];
  if (first == '"') return StringEnd(at, end);
  if (first != '{' && first != '[') {
    size_t i = at;
    while (i < text_.size() && !EndsScalar(text_[i])) ++i;
    if (i == at) return Fail(at, fmt::format("{} where a value should be", Shown(first)));
    *end = i;
    return true;
  }
  open_.assign(1, first);
  const char* const p = text_.data();
  for (size_t i = at + 1; i < text_.size();) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (!kStructural[c]) {
      ++i;
      continue;
    }
    if (c == '"') {
      if (!StringEnd(i, &i)) return false;
      Passed(i);
      continue;
    }
    if (c == '{' || c == '[') {
      if (open_.size() == kMaxDepth) {
        return Fail(i, fmt::format("nested more than {} deep", kMaxDepth));
      }
      open_.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const char expected = open_.back() == '{' ? '}' : ']';
    if (c != expected) {
      return Fail(i, fmt::format("'{}' closes a '{}'", static_cast<char>(c), open_.back()));
    }
    open_.pop_back();
    ++i;
    if (open_.empty()) {
      *end = i;
      return true;
    }
  }
  return Fail(at, fmt::format("the text ends inside the {} that opens here",
                              first == '{' ? "object" : "array"));
}

bool JsonScanner::Members(size_t at, const MemberFn& member, size_t* end) {
  if (at >= text_.size() || text_[at] != '{') return Fail(at, "not a JSON object");
  size_t i = SkipSpace(at + 1);
  if (i < text_.size() && text_[i] == '}') {
    *end = i + 1;
    return true;
  }
  for (;;) {
    if (i >= text_.size()) return Fail(at, "the text ends inside the object that opens here");
    if (text_[i] != '"')
      return Fail(i, fmt::format("{} where a member name should be", Shown(text_[i])));
    size_t name_end = 0;
    if (!StringEnd(i, &name_end)) return false;
    const std::string_view name = text_.substr(i + 1, name_end - i - 2);
    i = SkipSpace(name_end);
    if (i >= text_.size() || text_[i] != ':') {
      return Fail(i, "no ':' after a member name");
    }
    const size_t begin = SkipSpace(i + 1);
    size_t value_end = 0;
    if (!ValueEnd(begin, &value_end)) return false;
    member(name, begin, value_end);
    Passed(value_end);
    i = SkipSpace(value_end);
    if (i < text_.size() && text_[i] == ',') {
      i = SkipSpace(i + 1);
      continue;
    }
    if (i < text_.size() && text_[i] == '}') {
      *end = i + 1;
      return true;
    }
    if (i >= text_.size()) return Fail(at, "the text ends inside the object that opens here");
    return Fail(i, fmt::format("{} where ',' or '}}' should be", Shown(text_[i])));
  }
}

bool JsonScanner::Elements(size_t at, const ElementFn& element, size_t* end) {
  if (at >= text_.size() || text_[at] != '[') return Fail(at, "not a JSON array");
  size_t i = SkipSpace(at + 1);
  if (i < text_.size() && text_[i] == ']') {
    *end = i + 1;
    return true;
  }
  for (;;) {
    size_t value_end = 0;
    if (!ValueEnd(i, &value_end)) return false;
    element(i, value_end);
    Passed(value_end);
    i = SkipSpace(value_end);
    if (i < text_.size() && text_[i] == ',') {
      i = SkipSpace(i + 1);
      continue;
    }
    if (i < text_.size() && text_[i] == ']') {
      *end = i + 1;
      return true;
    }
    if (i >= text_.size()) return Fail(at, "the text ends inside the array that opens here");
    return Fail(i, fmt::format("{} where ',' or ']' should be", Shown(text_[i])));
  }
}

bool DecodeJsonString(std::string_view raw, std::string* out) {
  if (raw.find('\\') == std::string_view::npos) {
    for (const char c : raw) {
      if (static_cast<unsigned char>(c) < 0x20) return false;
    }
    if (!simdjson::validate_utf8(raw.data(), raw.size())) return false;
    out->assign(raw);
    return true;
  }
  // Escapes: simdjson decodes them, as it would in the resource.
  std::string quoted;
  quoted.reserve(raw.size() + 2);
  quoted.append(1, '"').append(raw).append(1, '"');
  simdjson::dom::parser parser;
  std::string_view decoded;
  if (parser.parse(quoted).get_string().get(decoded)) return false;
  out->assign(decoded);
  return true;
}

}  // namespace populus::fhir
