// Resolving FHIR references to the resources of one load.
//
// A ReferenceKeys holds, for the resources of one type (Patient, say), every
// key a reference to one of them may use, each mapped to the resource's
// index among those of its type:
//   - its Bundle entry's fullUrl ("urn:uuid:...");
//   - "Type/id", which a relative reference ("Patient/123") names, as does
//     the end of an absolute one ("https://server/fhir/Patient/123"), without
//     any "/_history/N" version;
//   - "Type?system|value" for each identifier, which a conditional reference
//     ("Patient?identifier=system|value") or a logical one (a Reference with
//     only an identifier) names. NHS numbers are compared without spaces.
// A reference that names none of these resolves to kNoResource, never to a
// guess: the mapping quarantines it as a dangling reference.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fhir/element_reader.h"

namespace populus::fhir {

inline constexpr uint32_t kNoResource = UINT32_MAX;

// An identifier's value as it is compared: an NHS number without its
// spaces, any other as given.
std::string IdentifierValue(std::string_view system, std::string_view value);

// A reference as a message may show it: its text, or its identifier, with
// any run of digits that may be an NHS number masked.
std::string ReferenceText(const ElementReader& json, simdjson::dom::element reference);

class ReferenceKeys {
 public:
  explicit ReferenceKeys(std::string_view type) : type_(type) {}

  // Records the keys of a resource of this type: its fullUrl and id (either
  // may be empty) and the identifiers of `resource`.
  void Add(const ElementReader& json, simdjson::dom::element resource, std::string_view id,
           std::string_view full_url, uint32_t index);
  // Records one identifier of resource `index` (a row of the organisations
  // CSV is known by its ODS code).
  void AddIdentifier(std::string_view system, std::string_view value, uint32_t index);
  // Makes `full_url` a key of the resource with id `id`, if there is one
  // (a word-for-word repeat in another Bundle, known there by its own fullUrl).
  void AddFullUrlOf(std::string_view id, std::string_view full_url);

  // The index of the resource a Reference element names, or kNoResource.
  uint32_t Resolve(const ElementReader& json, simdjson::dom::element reference) const;
  // As Resolve, for a Reference kept as JSON text (read before its targets
  // were known), parsed with `parser`; *text (if given) is set to the
  // reference as a message may show it.
  uint32_t ResolveText(simdjson::dom::parser* parser, const ElementReader& json,
                       const std::string& reference_json, std::string* text) const;

  bool empty() const { return keys_.empty(); }

 private:
  uint32_t Find(const std::string& key) const;

  std::string type_;
  std::unordered_map<std::string, uint32_t> keys_;
};

}  // namespace populus::fhir
