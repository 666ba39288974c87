// SPDX-License-Identifier: Apache-2.0
// Private to the audit part: the host of an event's source address.
#pragma once

#include <string_view>

namespace cf::audit {

// "10.0.0.7:51234" -> "10.0.0.7", "[::1]:80" -> "::1"; a bare IPv6 address
// (several colons) or a name without a port stays as it is.
inline std::string_view SourceHost(std::string_view source) {
  if (source.starts_with('[')) {
    const size_t end = source.find(']');
    return end == std::string_view::npos ? source : source.substr(1, end - 1);
  }
  const size_t colon = source.find(':');
  if (colon != std::string_view::npos && source.find(':', colon + 1) == std::string_view::npos) {
    return source.substr(0, colon);
  }
  return source;
}

}  // namespace cf::audit
