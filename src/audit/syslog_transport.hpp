// SPDX-License-Identifier: Apache-2.0
// A connection to a syslog collector (syslog_target.hpp) that sends one
// RFC 5424 message at a time, framed for its protocol (syslog_framing.hpp).
// Every call blocks for at most the timeout and returns early, with an
// error, once `stop` is requested (but for a DNS lookup under way, which
// Asio cannot abandon). Not thread-safe: one exporter thread
// owns it. Errors never contain message content (it names patients).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <string_view>

#include "audit/syslog_target.hpp"
#include "core/error.hpp"

namespace cf::audit {

struct SyslogTransportOptions {
  SyslogTarget target;
  // TLS only. The collector's certificate is always verified, and its name
  // (or IP address) must match the target's host: against `ca_file` (PEM
  // bundle) when set, else the system's trust store. A client certificate
  // and its key (both or neither) for collectors that require mutual TLS.
  std::filesystem::path ca_file;
  std::filesystem::path client_certificate;
  std::filesystem::path client_private_key;
  // The longest any one step may take: resolving, connecting, the TLS
  // handshake, writing a message, the acknowledgement of a flush.
  std::chrono::milliseconds timeout{10'000};
};

class SyslogTransport {
 public:
  virtual ~SyslogTransport() = default;

  // Resolves, connects and (TLS) handshakes; kStorageUnavailable when the
  // collector cannot be reached, kTimeout when it does not answer in time.
  virtual Result<void> Open(const std::stop_token& stop) = 0;

  // Whether the connection is open and the collector has not closed its
  // side (a closed side means the collector restarted or dropped us: what
  // is sent on it now would be lost).
  virtual bool IsOpen() = 0;

  // Sends one message. REQUIRES: IsOpen().
  virtual Result<void> Send(std::string_view message, const std::stop_token& stop) = 0;

  // Returns once everything sent so far has reached the collector as far as
  // the transport can tell: over TCP and TLS, once the collector's TCP stack
  // acknowledged every byte (Linux SIOCOUTQ) while the connection stayed up;
  // over UDP, once no error (ICMP port unreachable) came back.
  virtual Result<void> Flush(const std::stop_token& stop) = 0;

  // Drops the connection; the next Open makes a new one.
  virtual void Close() = 0;
};

// A transport for `options.target`'s protocol. Nothing is connected yet;
// for TLS the context is built now, so that an unusable CA bundle,
// certificate or key (kInvalidArgument, naming the file) fails at startup.
Result<std::unique_ptr<SyslogTransport>> MakeSyslogTransport(SyslogTransportOptions options);

}  // namespace cf::audit
