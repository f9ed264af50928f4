// Reading the elements of a parsed FHIR resource by the JSON type FHIR gives
// them, remembering the first that has another.
//
// Each reader returns the member's value (or true) when it is present with
// the right type, and an empty view (or false) when it is absent. A member
// present with a JSON type other than FHIR's (`"gender": 5`,
// `"valueQuantity": {"value": "140"}`) also reads as absent, but is
// remembered: the mapping then quarantines the resource under rule
// invalid-json-type naming that element, and never loads it as if the
// element were not there. Reset() forgets, at the start of each resource.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace populus::fhir {

class ElementReader {
 public:
  using element = simdjson::dom::element;
  using array = simdjson::dom::array;

  void Reset() {
    wrong_type_.clear();
    wrong_type_key_.clear();
  }

  std::string_view Str(element e, std::string_view key) const;
  bool Obj(element e, std::string_view key, element* out) const;
  bool Arr(element e, std::string_view key, array* out) const;
  // The first element of an array member, or the member itself if an object.
  bool First(element e, std::string_view key, element* out) const;
  bool Number(element e, std::string_view key, double* out) const;
  bool Integer(element e, std::string_view key, int64_t* out) const;
  bool Boolean(element e, std::string_view key, bool* out) const;
  // Calls fn(coding) for every coding of every CodeableConcept in the array
  // member `key` (Organization.type, PractitionerRole.code, ...).
  template <typename Fn>
  void ForEachCoding(element e, std::string_view key, Fn fn) const {
    array concepts;
    if (!Arr(e, key, &concepts)) return;
    for (element concept_ : concepts) {
      array codings;
      if (!Arr(concept_, "coding", &codings)) continue;
      for (element coding : codings) fn(coding);
    }
  }
  // Remembers `value` (the member `key`) as having a JSON type other than
  // `wanted` ("a string"), unless an earlier element already was.
  void WrongType(std::string_view key, element value, const char* wanted) const;

  // Whether an element since Reset() had the wrong type; its key and a
  // sentence saying what it was and what FHIR requires.
  bool wrong_type() const { return !wrong_type_.empty(); }
  const std::string& wrong_type_key() const { return wrong_type_key_; }
  const std::string& wrong_type_reason() const { return wrong_type_; }

 private:
  mutable std::string wrong_type_, wrong_type_key_;
};

}  // namespace populus::fhir
