#include "fhir/resource_reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/file_io.h"
#include "fhir/resource_types.h"

namespace populus::fhir {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kBundleTypes[] = {"collection", "transaction", "batch", "searchset"};
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

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
    // The lines read are given back every so often, so that a file of any
    // size holds only about this much of the process's memory.
    static constexpr size_t kGiveBackEvery = size_t{64} << 20;
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

  // A Bundle, entry by entry, or a file holding one resource.
  Status Json(const std::string& path, const std::string& name) {
    MappedFile file;  // refuses what is not a regular file, as for NDJSON
    POPULUS_RETURN_IF_ERROR(file.Open(path));
    simdjson::padded_string text(reinterpret_cast<const char*>(file.data()), file.size());
    summary_->bytes += text.size();
    Location where;
    where.file = name;
    // Without a byte order mark; the padding after the text is still there.
    const size_t skip =
        std::string_view(text.data(), text.size()).starts_with(kByteOrderMark) ? 3 : 0;
    const std::string_view all(text.data() + skip, text.size() - skip);
    const simdjson::padded_string_view input(all.data(), all.size(),
                                             all.size() + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object top;
    std::string_view type;
    if (ondemand_.iterate(input).get(doc) || doc.get_object().get(top) ||
        top["resourceType"].get_string().get(type)) {
      Deliver(all, {}, where);  // reports why
      return Status::Ok();
    }
    if (type != "Bundle") {
      Deliver(all, {}, where);
      return Status::Ok();
    }
    std::string_view bundle_type;
    const bool read = !top["type"].get_string().get(bundle_type) &&
                      std::find(std::begin(kBundleTypes), std::end(kBundleTypes), bundle_type) !=
                          std::end(kBundleTypes);
    const std::string not_read =
        read ? std::string()
             : fmt::format(
                   "Bundle type '{}' is not read (collection, transaction, batch or "
                   "searchset)",
                   bundle_type);
    simdjson::ondemand::array entries;
    const auto missing = top["entry"].get_array().get(entries);
    if (missing == simdjson::NO_SUCH_FIELD) {  // an empty Bundle
      if (!read) Problem(where, not_read, {}, ReadProblem::Kind::kBundleTypeNotRead);
      return Status::Ok();
    }
    if (missing) {
      Problem(where, "the Bundle's entry is not an array", all);
      return Status::Ok();
    }
    // What follows the last entry handed over: what is lost if the Bundle
    // cannot be read to its end.
    const char* unread = all.data();
    auto rest = [&] {
      return std::string_view(unread, static_cast<size_t>(all.data() + all.size() - unread));
    };
    where.entry = 0;
    for (auto item : entries) {
      simdjson::ondemand::object entry;
      if (item.get_object().get(entry)) {
        Problem(where, "malformed Bundle entry", rest());
        return Status::Ok();  // the rest of the file cannot be trusted
      }
      std::string_view full_url;
      simdjson::ondemand::object resource;
      std::string_view json;
      // Fields may come in any order: look each up afresh.
      const auto url_error = entry["fullUrl"].get_string().get(full_url);
      if (url_error && url_error != simdjson::NO_SUCH_FIELD) full_url = {};
      std::string url(full_url);  // the view may not survive the next lookup
      if (entry["resource"].get_object().get(resource) || resource.raw_json().get(json)) {
        Problem(where, read ? "the entry has no resource" : not_read, {},
                read ? ReadProblem::Kind::kMalformed : ReadProblem::Kind::kBundleTypeNotRead);
      } else {
        unread = json.data() + json.size();
        if (read) {
          Deliver(json, url, where);
        } else {
          Problem(where, not_read, json, ReadProblem::Kind::kBundleTypeNotRead);
        }
      }
      ++where.entry;
    }
    if (!read && where.entry == 0) {
      where.entry = -1;
      Problem(where, not_read, {}, ReadProblem::Kind::kBundleTypeNotRead);
    }
    return Status::Ok();
  }

  const ResourceFn& on_resource_;
  const ProblemFn& on_problem_;
  ReadSummary* summary_;
  const SkipFn& skip_;
  simdjson::dom::parser dom_;
  std::string counted_type_;
  uint64_t* type_count_ = nullptr;
  std::string_view file_type_;  // the type an NDJSON file is named for, while it is read
  simdjson::ondemand::parser ondemand_;
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
