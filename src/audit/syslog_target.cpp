// SPDX-License-Identifier: Apache-2.0
#include "audit/syslog_target.hpp"

#include <charconv>

namespace cf::audit {
namespace {

Error Bad(std::string_view url, std::string_view why) {
  return Error{ErrorCode::kInvalidArgument, "syslog collector \"" + std::string(url) +
                                                "\": " + std::string(why) +
                                                " (expected udp://, tcp:// or tls://host:port)"};
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

Result<SyslogTarget> ParseSyslogTarget(std::string_view url) {
  SyslogTarget target;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::unexpected(Bad(url, "no scheme"));
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme == "udp") {
    target.protocol = SyslogProtocol::kUdp;
    target.port = 514;
  } else if (scheme == "tcp") {
    target.protocol = SyslogProtocol::kTcp;
    target.port = 601;
  } else if (scheme == "tls") {
    target.protocol = SyslogProtocol::kTls;
    target.port = 6514;
  } else {
    return std::unexpected(Bad(url, "unknown scheme"));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::unexpected(Bad(url, "unclosed '['"));
    target.host = std::string(rest.substr(1, close - 1));
    for (char c : target.host) {
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return std::unexpected(Bad(url, "bad IPv6 address"));
    }
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::unexpected(Bad(url, "unexpected text after the host"));
      port_text = rest.substr(1);
      if (port_text.empty()) return std::unexpected(Bad(url, "empty port"));
    }
  } else {
    const size_t colon = rest.find(':');
    target.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return std::unexpected(Bad(url, "empty port"));
    }
    for (char c : target.host) {
      if (!IsHostChar(c)) return std::unexpected(Bad(url, "bad character in the host"));
    }
  }
  if (target.host.empty()) return std::unexpected(Bad(url, "no host"));
  if (!port_text.empty()) {
    uint32_t port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return std::unexpected(Bad(url, "the port must be a number from 1 to 65535"));
    }
    target.port = static_cast<uint16_t>(port);
  }
  return target;
}

std::string ToUrl(const SyslogTarget& target) {
  std::string url;
  switch (target.protocol) {
    case SyslogProtocol::kUdp:
      url = "udp://";
      break;
    case SyslogProtocol::kTcp:
      url = "tcp://";
      break;
    case SyslogProtocol::kTls:
      url = "tls://";
      break;
  }
  const bool v6 = target.host.find(':') != std::string::npos;
  url += v6 ? "[" + target.host + "]" : target.host;
  url += ':';
  url += std::to_string(target.port);
  return url;
}

}  // namespace cf::audit
