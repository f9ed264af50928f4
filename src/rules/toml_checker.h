// Checking a TOML configuration file: the first problem found is kept, with
// the file and the dotted key it is about ("config.toml: key 'frailty.from_age':
// must be at most 110"), so a configuration error always names where it is.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <type_traits>

#include "common/status.h"

namespace populus::rules {

// Parses a TOML file; a syntax error is a Data error naming the file and line.
Status ParseTomlFile(const std::string& path, toml::table* root);

class TomlChecker {
 public:
  explicit TomlChecker(std::string path) : path_(std::move(path)) {}
  bool ok() const { return problem_.empty(); }
  Status status() const { return ok() ? Status::Ok() : Status::Data(problem_); }
  void Fail(const std::string& key, const std::string& reason) {
    if (ok()) problem_ = fmt::format("{}: key '{}': {}", path_, key, reason);
  }

  void NoUnknownKeys(const toml::table& table, const std::string& prefix,
                     const std::set<std::string>& known) {
    for (const auto& [key, node] : table) {
      if (known.count(std::string(key.str())) == 0) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        Fail(prefix + std::string(key.str()), "is not a known key here (known: " + list + ")");
      }
    }
  }

  const toml::table* Table(const toml::table& root, const std::string& key) {
    const toml::table* t = root[key].as_table();
    if (t == nullptr) Fail(key, "the table is missing");
    return t;
  }

  template <typename T>
  T Get(const toml::table& table, const std::string& prefix, const std::string& key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      Fail(prefix + key, "is missing");
      return T{};
    }
    if constexpr (std::is_same_v<T, double>) {
      if (auto v = node->value<double>()) {
        if (std::isfinite(*v)) return *v;
        Fail(prefix + key, "must be a finite number");
        return T{};
      }
      Fail(prefix + key, "must be a number");
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>()) return *v;
      Fail(prefix + key, "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value<bool>()) return *v;
      Fail(prefix + key, "must be true or false");
    } else {
      if (auto v = node->value<int64_t>()) {
        if (*v < 0) {
          Fail(prefix + key, "must not be negative");
          return T{};
        }
        if (static_cast<uint64_t>(*v) > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
          Fail(prefix + key, "is too large");
          return T{};
        }
        return static_cast<T>(*v);
      }
      Fail(prefix + key, "must be a whole number");
    }
    return T{};
  }

  template <size_t N>
  std::array<double, N> Array(const toml::table& table, const std::string& prefix,
                              const std::string& key, double min, double max) {
    std::array<double, N> out{};
    const toml::array* arr = table[key].as_array();
    if (arr == nullptr) {
      Fail(prefix + key, fmt::format("is missing (an array of {} numbers)", N));
      return out;
    }
    if (arr->size() != N) {
      Fail(prefix + key, fmt::format("has {} values; it needs {}", arr->size(), N));
      return out;
    }
    for (size_t i = 0; i < N; ++i) {
      auto v = (*arr)[i].value<double>();
      if (!v) {
        Fail(prefix + key, fmt::format("value {} is not a number", i + 1));
        return out;
      }
      if (!(*v >= min && *v <= max)) {  // NaN fails too
        Fail(prefix + key,
             *v < 0 ? fmt::format("value {} is negative ({})", i + 1, *v)
                    : fmt::format("value {} ({}) is outside {} to {}", i + 1, *v, min, max));
        return out;
      }
      out[i] = *v;
    }
    return out;
  }

  template <size_t N>
  void SumsToOne(const std::array<double, N>& values, const std::string& key) {
    double sum = 0;
    for (double v : values) sum += v;
    if (std::fabs(sum - 1.0) > 1e-6)
      Fail(key, fmt::format("the proportions sum to {}, not 1", sum));
  }

 private:
  std::string path_;
  std::string problem_;
};

}  // namespace populus::rules
