// SPDX-License-Identifier: Apache-2.0
// Reading settings out of a parsed TOML table, for config.cpp and the
// sections that have files of their own (notify_config.cpp): one message
// per wrong type, and unknown keys as errors.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.hpp"

namespace cf::app {

inline Error ConfigError(const std::string& msg) { return Error{ErrorCode::kInvalidArgument, msg}; }

template <class T>
Result<void> Read(const toml::table& t, std::string_view key, T& out, const std::string& where) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
    auto v = n->value<std::string>();
    if (!v) return std::unexpected(ConfigError(where + std::string(key) + " must be a string"));
    out = *v;
  } else if constexpr (std::is_same_v<T, bool>) {
    auto v = n->value<bool>();
    if (!v)
      return std::unexpected(ConfigError(where + std::string(key) + " must be true or false"));
    out = *v;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    const toml::array* a = n->as_array();
    if (a == nullptr)
      return std::unexpected(
          ConfigError(where + std::string(key) + " must be an array of strings"));
    out.clear();
    for (const auto& e : *a) {
      auto v = e.value<std::string>();
      if (!v)
        return std::unexpected(
            ConfigError(where + std::string(key) + " must be an array of strings"));
      out.push_back(*v);
    }
  } else {
    auto v = n->value<int64_t>();
    if (!v || *v < 0 || static_cast<uint64_t>(*v) > std::numeric_limits<T>::max()) {
      return std::unexpected(
          ConfigError(where + std::string(key) + " must be an integer in range"));
    }
    out = static_cast<T>(*v);
  }
  return {};
}

inline Result<void> CheckKeys(const toml::table& t, const std::set<std::string>& allowed,
                              const std::string& where) {
  for (const auto& [k, v] : t) {
    if (!allowed.contains(std::string(k.str()))) {
      return std::unexpected(ConfigError("unknown setting " + where + std::string(k.str())));
    }
  }
  return {};
}

}  // namespace cf::app
