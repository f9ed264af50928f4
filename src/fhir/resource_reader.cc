#include "fhir/resource_reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/file_io.h"
#include "fhir/json_scanner.h"
#include "fhir/resource_types.h"

namespace populus::fhir {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kBundleTypes[] = {"collection", "transaction", "batch", "searchset"};
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// The most populus parses as one resource (an NDJSON line, a Bundle entry,
// a JSON file): what a read holds in memory follows this, not the file.
constexpr size_t kMaxResourceBytes = size_t{128} << 20;
// A file's pages read are given back every so often, so that a file of any
// size holds only about this much of the process's memory.
constexpr size_t kGiveBackEvery = size_t{64} << 20;

// The resourceType a text that could not be read names (resource_reader.h):
// Patient if it names one anywhere, else Organization, else the first.
std::string_view NamedType(std::string_view text) {
  constexpr std::string_view kKey = "\"resourceType\"";
  std::string_view first;
  bool organisation = false;
  auto skip_space = [&](size_t i) {
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
      ++i;
    }
    return i;
  };
  for (size_t at = text.find(kKey); at != std::string_view::npos;
       at = text.find(kKey, at + kKey.size())) {
    size_t i = skip_space(at + kKey.size());
    if (i >= text.size() || text[i] != ':') continue;
    i = skip_space(i + 1);
    if (i >= text.size() || text[i] != '"') continue;
    const size_t end = text.find('"', i + 1);
    if (end == std::string_view::npos) break;  // cut short inside the name
    const std::string_view type = text.substr(i + 1, end - i - 1);
    if (type == "Patient") return type;
    if (type == "Organization") organisation = true;
    if (first.empty()) first = type;
  }
  return organisation ? "Organization" : first;
}

// True when every "resourceType" member in `text` is written plainly and
// `skip` is true for the type it names, and there is at least one.
bool Skippable(std::string_view text, const SkipFn& skip) {
  static constexpr std::string_view kKey = "\"resourceType\"";
  bool any = false;
  const char* const begin = text.data();
  const char* const end = text.data() + text.size();
  const char* at = begin;
  while (at < end) {
    const void* hit = ::memmem(at, static_cast<size_t>(end - at), kKey.data(), kKey.size());
    if (hit == nullptr) break;
    const char* p = static_cast<const char*>(hit);
    if (p > begin && p[-1] == '\\') return false;  // inside a string: parse to be sure
    p += kKey.size();
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
    if (p >= end || *p != ':') return false;
    ++p;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
    if (p >= end || *p != '"') return false;
    const char* name = ++p;
    while (p < end && *p != '"' && *p != '\\') ++p;
    if (p >= end || *p != '"' || p == name) return false;
    if (!skip(std::string_view(name, static_cast<size_t>(p - name)), text)) return false;
    any = true;
    at = p + 1;
  }
  return any;
}

// The first member name given twice in one object anywhere in `root`, or
// empty. JSON parsers differ on which of two they keep, so a resource with
// one is not read at all.
// `pending` and `names` are the walk's, passed in to reuse their memory.
std::string_view RepeatedName(simdjson::dom::element root,
                              std::vector<simdjson::dom::element>* pending_elements,
                              std::vector<std::string_view>* names) {
  std::vector<simdjson::dom::element>& pending = *pending_elements;
  pending.assign(1, root);
  while (!pending.empty()) {
    const simdjson::dom::element e = pending.back();
    pending.pop_back();
    if (e.is_array()) {
      const simdjson::dom::array items = e.get_array().value_unsafe();
      for (const simdjson::dom::element item : items) {
        if (item.is_array() || item.is_object()) pending.push_back(item);
      }
      continue;
    }
    if (!e.is_object()) continue;
    names->clear();
    const simdjson::dom::object members = e.get_object().value_unsafe();
    for (const simdjson::dom::key_value_pair member : members) {
      names->push_back(member.key);
      if (member.value.is_array() || member.value.is_object()) pending.push_back(member.value);
    }
    if (names->size() < 2) continue;
    if (names->size() <= 8) {
      for (size_t i = 1; i < names->size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if ((*names)[i] == (*names)[j]) return (*names)[i];
        }
      }
      continue;
    }
    std::sort(names->begin(), names->end());
    const auto twice = std::adjacent_find(names->begin(), names->end());
    if (twice != names->end()) return *twice;
  }
  return {};
}

class Reader {
 public:
  Reader(const ResourceFn& on_resource, const ProblemFn& on_problem, ReadSummary* summary,
         const SkipFn& skip)
      : on_resource_(on_resource), on_problem_(on_problem), summary_(summary), skip_(skip) {}

  Status File(const std::string& path) {
    const std::string name = fs::path(path).filename().string();
    ++summary_->files;
    if (name.ends_with(".ndjson")) return Ndjson(path, name);
    return Json(path, name);
  }

 private:
  // `text` is what could not be read, for the type it names.
  void Problem(const Location& where, std::string reason, std::string_view text,
               ReadProblem::Kind kind = ReadProblem::Kind::kMalformed) {
    ++summary_->problems;
    ReadProblem problem{kind, std::move(reason), NamedType(text)};
    if (problem.named_type.empty()) problem.named_type = file_type_;
    on_problem_(where, problem);
  }

  // Checks one resource's JSON text in full and hands it over; false (with
  // a problem reported) when it is not a JSON object with a resourceType.
  void Deliver(std::string_view json, std::string_view full_url, const Location& where) {
    if (skip_ && Skippable(json, skip_)) {
      ++summary_->skipped;
      return;
    }
    if (json.size() > kMaxResourceBytes) {
      Problem(where, TooLarge(json.size()), json);
      return;
    }
    simdjson::dom::element element;
    if (const auto error = dom_.parse(json.data(), json.size()).get(element)) {
      Problem(where, fmt::format("malformed JSON: {}", simdjson::error_message(error)), json);
      return;
    }
    simdjson::dom::object object;
    if (element.get_object().get(object)) {
      Problem(where, "not a JSON object", json);
      return;
    }
    std::string_view type;
    if (object["resourceType"].get_string().get(type) || type.empty()) {
      Problem(where, "no resourceType", json);
      return;
    }
    if (const std::string_view twice = RepeatedName(element, &pending_, &names_); !twice.empty()) {
      Problem(where,
              fmt::format("malformed JSON: the member '{}' is given twice in one object", twice),
              json);
      return;
    }
    ++summary_->resources;
    if (type != counted_type_) {  // NDJSON files hold one type: one map lookup per file
      counted_type_ = type;
      type_count_ = &summary_->by_type[counted_type_];
    }
    ++*type_count_;
    on_resource_(Resource{type, json, full_url, &where, element});
  }

  // One resource per line; blank lines are allowed.
  Status Ndjson(const std::string& path, const std::string& name) {
    MappedFile file;
    POPULUS_RETURN_IF_ERROR(file.Open(path));
    summary_->bytes += file.size();
    const auto* data = reinterpret_cast<const char*>(file.data());
    Location where;
    where.file = name;
    file_type_ = ResourceTypeOfFileName(where.file);
    size_t pos = std::string_view(data, file.size()).starts_with(kByteOrderMark) ? 3 : 0;
    file.ReadSequentially();
    size_t given_back = 0;
    for (; pos < file.size();) {
      if (pos - given_back >= kGiveBackEvery) {
        file.ReadUpTo(pos);
        given_back = pos;
      }
      const void* newline = std::memchr(data + pos, '\n', file.size() - pos);
      const size_t end =
          newline ? static_cast<size_t>(static_cast<const char*>(newline) - data) : file.size();
      std::string_view line(data + pos, end - pos);
      pos = end + 1;
      ++where.line;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
      }
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      Deliver(line, {}, where);
    }
    file_type_ = {};
    return Status::Ok();
  }

  // A Bundle, entry by entry, or a file holding one resource. The whole
  // file's structure is checked first (strings and brackets balance, the
  // Bundle's members and its entry array are well separated), so that a
  // file cut short is one problem and none of its entries is read; then each
  // entry is parsed on its own.
  Status Json(const std::string& path, const std::string& name) {
    MappedFile file;  // refuses what is not a regular file, as for NDJSON
    POPULUS_RETURN_IF_ERROR(file.Open(path));
    summary_->bytes += file.size();
    Location where;
    where.file = name;
    std::string_view all(reinterpret_cast<const char*>(file.data()), file.size());
    if (all.starts_with(kByteOrderMark)) all.remove_prefix(kByteOrderMark.size());
    const size_t skipped = file.size() - all.size();
    file.ReadSequentially();
    JsonScanner scan(all, [&](size_t at) { file.ReadUpTo(skipped + at); });
    auto malformed = [&](const std::string& reason, size_t at) {
      Problem(where, fmt::format("malformed JSON: {} (byte {})", reason, skipped + at), all);
      return Status::Ok();
    };

    // The Bundle's own members; any other file is one resource.
    const size_t top = scan.SkipSpace(0);
    if (top >= all.size() || all[top] != '{') {
      Deliver(all, {}, where);  // reports what is wrong with it
      return Status::Ok();
    }
    struct Member {
      size_t begin = 0, end = 0, count = 0;
    };
    Member resource_type, bundle_type, entry;
    size_t entries = 0;
    size_t bad_name = std::string_view::npos;  // where a member name is not a JSON string
    auto members = [&](std::string_view raw, size_t begin, size_t end) {
      std::string key;
      if (!DecodeJsonString(raw, &key)) {
        if (bad_name == std::string_view::npos)
          bad_name = static_cast<size_t>(raw.data() - all.data());
        return;
      }
      Member* m = key == "resourceType" ? &resource_type
                  : key == "type"       ? &bundle_type
                  : key == "entry"      ? &entry
                                        : nullptr;
      if (m == nullptr) return;
      if (m->count++ == 0) *m = {begin, end, 1};
    };
    size_t top_end = 0;
    if (!scan.Members(top, members, &top_end)) return malformed(scan.error(), scan.error_at());
    if (const size_t after = scan.SkipSpace(top_end); after != all.size()) {
      return malformed("text after the JSON object", after);
    }
    if (bad_name != std::string_view::npos) {
      return malformed("a member name that is not a valid JSON string", bad_name);
    }
    std::string type;
    if (resource_type.count == 0 ||
        !StringValue(all.substr(resource_type.begin, resource_type.end - resource_type.begin),
                     &type) ||
        type != "Bundle") {
      Deliver(all, {}, where);  // one resource, or what is wrong with it
      return Status::Ok();
    }
    for (const auto& [m, key] : {std::pair{&resource_type, "resourceType"},
                                 std::pair{&bundle_type, "type"}, std::pair{&entry, "entry"}}) {
      if (m->count > 1) {
        Problem(where, fmt::format("malformed Bundle: it has {} '{}' members", m->count, key), all);
        return Status::Ok();
      }
    }
    std::string kind;
    const bool read =
        bundle_type.count == 1 &&
        StringValue(all.substr(bundle_type.begin, bundle_type.end - bundle_type.begin), &kind) &&
        std::find(std::begin(kBundleTypes), std::end(kBundleTypes), kind) != std::end(kBundleTypes);
    const std::string not_read =
        read ? std::string()
             : fmt::format(
                   "Bundle type '{}' is not read (collection, transaction, batch or "
                   "searchset)",
                   kind);
    if (entry.count == 0) {  // an empty Bundle
      if (!read) Problem(where, not_read, {}, ReadProblem::Kind::kBundleTypeNotRead);
      return Status::Ok();
    }
    if (all[entry.begin] != '[') {
      Problem(where, "the Bundle's entry is not an array", all);
      return Status::Ok();
    }
    // The entries' separators are checked before any is read.
    size_t entry_end = 0;
    if (!scan.Elements(
            entry.begin, [&](size_t, size_t) { ++entries; }, &entry_end)) {
      return malformed(scan.error(), scan.error_at());
    }
    if (!read && entries == 0) {
      Problem(where, not_read, {}, ReadProblem::Kind::kBundleTypeNotRead);
      return Status::Ok();
    }
    where.entry = 0;
    size_t given_back = 0;
    auto each = [&](size_t begin, size_t end) {
      if (begin - given_back >= kGiveBackEvery) {
        file.ReadUpTo(skipped + begin);
        given_back = begin;
      }
      Entry(all.substr(begin, end - begin), read, not_read, where);
      ++where.entry;
    };
    scan.Elements(entry.begin, each, &entry_end);  // checked above: cannot fail
    return Status::Ok();
  }

  // A Bundle entry: its resource handed over, or a problem.
  void Entry(std::string_view text, bool read, const std::string& not_read, const Location& where) {
    JsonScanner scan(text);
    std::string_view resource;
    std::string full_url;
    size_t resources = 0, urls = 0;
    bool names_read = true;
    auto member = [&](std::string_view raw, size_t begin, size_t end) {
      std::string key;
      if (!DecodeJsonString(raw, &key)) {
        names_read = false;
        return;
      }
      const std::string_view value = text.substr(begin, end - begin);
      if (key == "resource" && resources++ == 0 && value.starts_with('{')) resource = value;
      if (key == "fullUrl" && urls++ == 0 && !StringValue(value, &full_url)) full_url.clear();
    };
    size_t end = 0;
    if (!scan.Members(0, member, &end) || !names_read) {
      Problem(where, "malformed Bundle entry", text);
      return;
    }
    if (resources > 1 || urls > 1) {
      Problem(where,
              fmt::format("malformed Bundle entry: it has {} '{}' members",
                          std::max(resources, urls), resources > 1 ? "resource" : "fullUrl"),
              text);
      return;
    }
    if (resource.empty()) {
      Problem(where, read ? "the entry has no resource" : not_read, {},
              read ? ReadProblem::Kind::kMalformed : ReadProblem::Kind::kBundleTypeNotRead);
    } else if (read) {
      Deliver(resource, full_url, where);
    } else {
      Problem(where, not_read, resource, ReadProblem::Kind::kBundleTypeNotRead);
    }
  }

  static std::string TooLarge(size_t bytes) {
    return fmt::format("{:.1f} MB is more than populus reads as one resource ({} MB)",
                       static_cast<double>(bytes) / 1e6, kMaxResourceBytes >> 20);
  }

  // A JSON string value's text; false when `value` is not a string.
  static bool StringValue(std::string_view value, std::string* out) {
    if (value.size() < 2 || value.front() != '"') return false;
    return DecodeJsonString(value.substr(1, value.size() - 2), out);
  }

  const ResourceFn& on_resource_;
  const ProblemFn& on_problem_;
  ReadSummary* summary_;
  const SkipFn& skip_;
  simdjson::dom::parser dom_;
  // RepeatedName's, kept to reuse their memory.
  std::vector<simdjson::dom::element> pending_;
  std::vector<std::string_view> names_;
  std::string counted_type_;
  uint64_t* type_count_ = nullptr;
  std::string_view file_type_;  // the type an NDJSON file is named for, while it is read
};

// True when a folder holds a file named as a FHIR input.
bool HoldsFhirFiles(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string lower = entry.path().filename().string();
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find(".ndjson") != std::string::npos || lower.find(".json") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view ResourceTypeOfFileName(std::string_view name) {
  size_t n = 0;
  while (n < name.size() &&
         ((name[n] >= 'A' && name[n] <= 'Z') || (name[n] >= 'a' && name[n] <= 'z'))) {
    ++n;
  }
  const std::string_view type = name.substr(0, n);
  return IsR4ResourceType(type) ? type : std::string_view{};
}

std::string Location::Describe() const {
  if (entry >= 0) return fmt::format("{} entry {}", file, entry);
  if (line > 0) return fmt::format("{} line {}", file, line);
  return file;
}

Status ReadResources(const std::string& path, const ResourceFn& on_resource,
                     const ProblemFn& on_problem, ReadSummary* summary, const SkipFn& skip) {
  *summary = ReadSummary();
  Reader reader(on_resource, on_problem, summary, skip);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) {
    return Status::Usage(fmt::format("'{}' does not exist", path));
  }
  // Anything but a directory is read as one file, which must be a regular
  // file (a FIFO or a device is refused by the read, never waited on).
  if (!fs::is_directory(path, ec)) return reader.File(path);
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool input = lower.ends_with(".ndjson") || lower.ends_with(".json");
    std::error_code kind;
    const bool folder = entry.is_directory(kind);
    // What populus does not read is refused, never silently left out: its
    // resources would be lost.
    if (input && !folder) {
      files.push_back(entry.path().string());  // a dangling link or FIFO fails when read
    } else if (folder) {
      if (input || HoldsFhirFiles(entry.path())) {
        return Status::Data(fmt::format(
            "{}: a folder inside a FHIR input is not read; give its files in one folder",
            entry.path().string()));
      }
    } else if (lower.find(".ndjson.") != std::string::npos ||
               lower.find(".json.") != std::string::npos) {
      return Status::Data(fmt::format(
          "{}: a compressed or renamed input is not read; decompress it or name it .ndjson",
          entry.path().string()));
    }
    // Anything else (a README, populus's own .populus-output marker) holds
    // no resources and is passed over, as the CSV extract passes over files
    // that are not CSV.
  }
  if (ec) return Status::Io(fmt::format("cannot list '{}': {}", path, ec.message()));
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) POPULUS_RETURN_IF_ERROR(reader.File(file));
  return Status::Ok();
}

}  // namespace populus::fhir
