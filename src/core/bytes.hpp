// SPDX-License-Identifier: Apache-2.0
// Byte buffers and views used across parts.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace cf {

using Bytes = std::vector<std::byte>;
using ByteView = std::span<const std::byte>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace cf
