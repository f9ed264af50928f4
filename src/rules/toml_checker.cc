#include "rules/toml_checker.h"

namespace populus::rules {

Status ParseTomlFile(const std::string& path, toml::table* root) {
  try {
    *root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::Data(
        fmt::format("{} line {}: {}", path, e.source().begin.line, std::string(e.description())));
  }
  return Status::Ok();
}

}  // namespace populus::rules
