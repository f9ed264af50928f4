#include "fhir/element_reader.h"

#include <fmt/format.h>

namespace populus::fhir {
namespace {

const char* JsonTypeName(simdjson::dom::element_type type) {
  switch (type) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return "a number";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
  }
  return "another JSON type";
}

}  // namespace

void ElementReader::WrongType(std::string_view key, element value, const char* wanted) const {
  if (!wrong_type_.empty()) return;  // the first is reported
  wrong_type_key_ = key;
  wrong_type_ =
      fmt::format("'{}' is {} where FHIR requires {}", key, JsonTypeName(value.type()), wanted);
}

std::string_view ElementReader::Str(element e, std::string_view key) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return {};
  std::string_view out;
  if (v.get_string().get(out) != simdjson::SUCCESS) {
    WrongType(key, v, "a string");
    return {};
  }
  return out;
}

bool ElementReader::Obj(element e, std::string_view key, element* out) const {
  if (e[key].get(*out) != simdjson::SUCCESS) return false;
  if (out->is_object()) return true;
  WrongType(key, *out, "an object");
  return false;
}

bool ElementReader::Arr(element e, std::string_view key, array* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.get_array().get(*out) == simdjson::SUCCESS) return true;
  WrongType(key, v, "an array");
  return false;
}

bool ElementReader::First(element e, std::string_view key, element* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.is_object()) {
    *out = v;
    return true;
  }
  array a;
  if (v.get_array().get(a) != simdjson::SUCCESS) {
    WrongType(key, v, "an array");
    return false;
  }
  for (element x : a) {
    if (!x.is_object()) {
      WrongType(key, x, "an array of objects");
      return false;
    }
    *out = x;
    return true;
  }
  return false;
}

bool ElementReader::Number(element e, std::string_view key, double* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.is_double() || v.is_int64() || v.is_uint64()) {
    return v.get_double().get(*out) == simdjson::SUCCESS;
  }
  WrongType(key, v, "a number");
  return false;
}

bool ElementReader::Integer(element e, std::string_view key, int64_t* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.get_int64().get(*out) == simdjson::SUCCESS) return true;
  WrongType(key, v, "an integer");
  return false;
}

bool ElementReader::Boolean(element e, std::string_view key, bool* out) const {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return false;
  if (v.get_bool().get(*out) == simdjson::SUCCESS) return true;
  WrongType(key, v, "true or false");
  return false;
}

}  // namespace populus::fhir
