#include "fhir/reference_keys.h"

#include <fmt/format.h>

#include "common/nhs_number.h"
#include "fhir/fhir_systems.h"

namespace populus::fhir {

using simdjson::dom::element;

std::string IdentifierValue(std::string_view system, std::string_view value) {
  if (system != kNhsNumberSystem) return std::string(value);
  std::string out;
  for (char c : value) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

std::string ReferenceText(const ElementReader& json, element reference) {
  const std::string_view text = json.Str(reference, "reference");
  if (!text.empty()) return MaskNhsNumberRuns(text);
  element id;
  if (json.Obj(reference, "identifier", &id)) {
    return MaskNhsNumberRuns(
        fmt::format("identifier {}|{}", json.Str(id, "system"), json.Str(id, "value")));
  }
  return "(empty)";
}

void ReferenceKeys::Add(const ElementReader& json, element resource, std::string_view id,
                        std::string_view full_url, uint32_t index) {
  if (!full_url.empty()) keys_.emplace(std::string(full_url), index);
  if (!id.empty()) keys_.emplace(fmt::format("{}/{}", type_, id), index);
  simdjson::dom::array identifiers;
  if (!json.Arr(resource, "identifier", &identifiers)) return;
  for (element identifier : identifiers) {
    const std::string_view value = json.Str(identifier, "value");
    if (!value.empty()) AddIdentifier(json.Str(identifier, "system"), value, index);
  }
}

void ReferenceKeys::AddIdentifier(std::string_view system, std::string_view value, uint32_t index) {
  keys_.emplace(fmt::format("{}?{}|{}", type_, system, IdentifierValue(system, value)), index);
}

void ReferenceKeys::AddFullUrlOf(std::string_view id, std::string_view full_url) {
  const uint32_t index = Find(fmt::format("{}/{}", type_, id));
  if (index != kNoResource) keys_.emplace(std::string(full_url), index);
}

uint32_t ReferenceKeys::Find(const std::string& key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? kNoResource : it->second;
}

uint32_t ReferenceKeys::Resolve(const ElementReader& json, element reference) const {
  const std::string_view text = json.Str(reference, "reference");
  if (text.empty()) {
    element id;
    if (!json.Obj(reference, "identifier", &id)) return kNoResource;
    const std::string_view system = json.Str(id, "system");
    return Find(
        fmt::format("{}?{}|{}", type_, system, IdentifierValue(system, json.Str(id, "value"))));
  }
  if (const uint32_t hit = Find(std::string(text)); hit != kNoResource) return hit;  // a fullUrl
  const size_t query = text.find("?identifier=");
  if (query != std::string_view::npos) {
    const std::string_view token = text.substr(query + 12);
    const size_t bar = token.rfind('|');
    const std::string_view system =
        bar == std::string_view::npos ? std::string_view{} : token.substr(0, bar);
    const std::string_view value = bar == std::string_view::npos ? token : token.substr(bar + 1);
    return Find(
        fmt::format("{}?{}|{}", text.substr(0, query), system, IdentifierValue(system, value)));
  }
  // Relative or absolute: the last Type/id, without a _history version.
  std::string_view path = text;
  const size_t history = path.find("/_history/");
  if (history != std::string_view::npos) path = path.substr(0, history);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return kNoResource;
  const size_t before = path.rfind('/', slash - 1);
  const std::string_view relative =
      before == std::string_view::npos ? path : path.substr(before + 1);
  if (!relative.starts_with(type_) || relative.size() <= type_.size() ||
      relative[type_.size()] != '/') {
    return kNoResource;
  }
  return Find(std::string(relative));
}

uint32_t ReferenceKeys::ResolveText(simdjson::dom::parser* parser, const ElementReader& json,
                                    const std::string& reference_json, std::string* text) const {
  element reference;
  if (reference_json.empty() || parser->parse(reference_json).get(reference) != simdjson::SUCCESS) {
    return kNoResource;
  }
  if (text != nullptr) *text = ReferenceText(json, reference);
  return Resolve(json, reference);
}

}  // namespace populus::fhir
