// SPDX-License-Identifier: Apache-2.0
// Where audit messages go: a syslog collector named by a URL,
// "udp://host:514" (RFC 5426), "tcp://host:601" (RFC 6587 octet counting)
// or "tls://host:6514" (RFC 5425). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cf::audit {

enum class SyslogProtocol { kUdp, kTcp, kTls };

struct SyslogTarget {
  SyslogProtocol protocol = SyslogProtocol::kTcp;
  std::string host;  // a name or an address; IPv6 without its brackets
  uint16_t port = 0;
};

// Parses "SCHEME://HOST[:PORT]" with SCHEME udp, tcp or tls (lower case)
// and HOST a name, an IPv4 address or a bracketed IPv6 address. Without a
// port: 514 (udp), 601 (tcp), 6514 (tls), the IANA ports. Nothing may follow
// the port (no path, user or query). kInvalidArgument saying what is wrong.
Result<SyslogTarget> ParseSyslogTarget(std::string_view url);

// The canonical URL of `target` ("tls://[::1]:6514"), for logs and
// `config show`.
std::string ToUrl(const SyslogTarget& target);

}  // namespace cf::audit
