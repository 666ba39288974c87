// SPDX-License-Identifier: Apache-2.0
// How one syslog message travels: on a stream (TCP, TLS) as
// "MSG-LEN SP SYSLOG-MSG" (octet counting, RFC 6587 3.4.1 and RFC 5425
// 4.3), so that a message may contain line breaks; over UDP one message per
// datagram (RFC 5426), cut to what a datagram can carry. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cf::audit {

// The largest UDP payload over IPv4 (65535 - 8 UDP - 20 IP header bytes).
inline constexpr size_t kMaxUdpSyslogMessage = 65507;

// "LEN " followed by `message`, LEN in decimal without leading zeros.
std::string FrameOctetCounted(std::string_view message);

// `message` cut to at most `max` bytes without splitting a UTF-8 sequence
// (RFC 5424 6.1 lets a sender truncate; a cut XML audit message is still
// better evidence than none). Unchanged when it fits.
std::string_view TruncateUtf8(std::string_view message, size_t max);

}  // namespace cf::audit
