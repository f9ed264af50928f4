// Reading FHIR R4 resources one at a time, from Bulk Data NDJSON files (one
// resource per line, such as Patient.000.ndjson) and from Bundles (collection,
// transaction, batch or searchset; a JSON file holding one resource that is
// not a Bundle is read as that resource).
//
// A path may be a file or a directory; a directory's *.ndjson and *.json
// files are read in name order and other files are left alone. NDJSON is
// parsed line by line, never as a whole; a Bundle's structure is checked by
// a scan that parses nothing (fhir/json_scanner.h), then each entry is parsed
// on its own, so a read holds about one resource and 64 MB of the file in
// memory however large the file (a resource over 128 MB is a problem). Each
// resource is handed over as its own JSON text with its resourceType, the
// entry's fullUrl (for urn:uuid references inside a Bundle) and where it was
// found: file and line (NDJSON) or file and entry index (Bundle), so a
// consumer can quarantine it with a location a person can find.
//
// A UTF-8 byte order mark at the start of a file is skipped.
//
// Bad input does not stop the read: malformed JSON, a line or entry that is
// not an object with a resourceType, a Bundle type that is not read (history,
// a message...: each of its entries is reported) are reported as problems
// with their location, and the read goes on. Only a path that cannot be read
// is an error.
//
// A problem also says which resourceType the bad text names, so that a
// consumer can tell a broken Patient from a broken Condition (populus rejects
// a load over the one and counts the other): the text's `"resourceType":
// "Patient"` anywhere in it (a truncated line, a Bundle cut short) makes it a
// Patient, else `"resourceType": "Organization"` an Organization, else the
// first resourceType it names. An NDJSON line that names none is of the type
// its file is named for, as Bulk Data names them (Patient.ndjson,
// Patient.000.ndjson, Patient-2.ndjson: the leading letters, when they are an
// R4 resource type). Erring towards Patient is deliberate: a broken line that
// is counted as a Patient stops a load; one counted as an event would let its
// patient vanish.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace populus::fhir {

struct Location {
  std::string file;
  uint64_t line = 0;   // NDJSON: the 1-based line; a Bundle: 0
  int64_t entry = -1;  // a Bundle: the 0-based entry index; otherwise -1
  // "Patient.000.ndjson line 12" or "bundle.json entry 3".
  std::string Describe() const;
};

struct Resource {
  std::string_view type;      // resourceType
  std::string_view json;      // the resource's own JSON text
  std::string_view full_url;  // a Bundle entry's fullUrl, or empty
  const Location* where = nullptr;
  simdjson::dom::element element;  // the resource parsed (a DOM of `json`)
};

struct ReadSummary {
  uint64_t files = 0, bytes = 0, resources = 0, problems = 0;
  uint64_t skipped = 0;                     // passed over unparsed (SkipFn)
  std::map<std::string, uint64_t> by_type;  // resources read, by resourceType
};

struct ReadProblem {
  enum class Kind : uint8_t {
    kMalformed,          // not JSON, not an object, no resourceType, an entry with no resource
    kBundleTypeNotRead,  // an entry (or the whole, if it has none) of a history, message... Bundle
  };
  Kind kind = Kind::kMalformed;
  std::string reason;
  // The resourceType the text names (see above), or empty when it names none.
  std::string_view named_type;
};

using ResourceFn = std::function<void(const Resource&)>;
using ProblemFn = std::function<void(const Location&, const ReadProblem&)>;

// The resource type a Bulk Data file is named for: the leading letters of
// its name when they are an R4 resource type ("Patient.000.ndjson" ->
// "Patient"), else empty. A view of `name`.
std::string_view ResourceTypeOfFileName(std::string_view name);

// Says which resources a read may pass over without parsing them, for a
// consumer that reads the input more than once and wants some types on each
// pass. An NDJSON line or Bundle entry is passed over (counted in
// ReadSummary::skipped, neither handed over nor checked) when it names at
// least one type and `skip(type, text)` is true for every type it names (a
// resource with contained resources names several). Text whose types cannot
// be told without parsing (no `"resourceType": "..."` member as plain text,
// an escaped quote) is parsed and handed over, or reported, as usual.
using SkipFn = std::function<bool(std::string_view type, std::string_view text)>;

// Reads every resource under `path`, in file order and, within a file, in
// the order written. The views in a Resource, and its element, and a
// ReadProblem's named_type are valid only during the call. With `skip`,
// resources it passes over are not read (see SkipFn).
Status ReadResources(const std::string& path, const ResourceFn& on_resource,
                     const ProblemFn& on_problem, ReadSummary* summary, const SkipFn& skip = {});

}  // namespace populus::fhir
