// SPDX-License-Identifier: Apache-2.0
// Picks the transport for a collector URL and builds the TLS client
// context: TLS 1.2 or 1.3, the same AEAD-only suites as our HTTPS server,
// the collector's certificate always verified.
#include "audit/syslog_transport.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

#include <utility>

#include "audit/syslog_transports.hpp"

namespace cf::audit {
namespace {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

// TLS 1.2 suites: ECDHE with AEAD ciphers only (forward secrecy, no CBC);
// TLS 1.3 keeps OpenSSL's defaults, all AEAD. As in src/http/server.cpp.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error Invalid(const std::string& message) {
  return Error{ErrorCode::kInvalidArgument, "audit syslog TLS: " + message};
}

Result<std::unique_ptr<ssl::context>> MakeTlsContext(const SyslogTransportOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Fail(ErrorCode::kInternal, "audit syslog TLS: OpenSSL knows none of the cipher suites");
  }
  error_code ec;
  context->set_verify_mode(ssl::verify_peer, ec);
  if (options.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return std::unexpected(Invalid("cannot use the system's trust store: " + ec.message()));
  } else {
    context->load_verify_file(options.ca_file.string(), ec);
    if (ec) {
      return std::unexpected(
          Invalid("cannot use CA file " + options.ca_file.string() + ": " + ec.message()));
    }
  }
  if (options.client_certificate.empty() != options.client_private_key.empty()) {
    return std::unexpected(Invalid("a client certificate and its private key go together"));
  }
  if (!options.client_certificate.empty()) {
    context->use_certificate_chain_file(options.client_certificate.string(), ec);
    if (ec) {
      return std::unexpected(Invalid("cannot use client certificate " +
                                     options.client_certificate.string() + ": " + ec.message()));
    }
    context->use_private_key_file(options.client_private_key.string(), ssl::context::pem, ec);
    if (ec) {
      return std::unexpected(Invalid("cannot use client private key " +
                                     options.client_private_key.string() + ": " + ec.message()));
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      return std::unexpected(Invalid("client private key " + options.client_private_key.string() +
                                     " does not match " + options.client_certificate.string()));
    }
  }
  return context;
}

}  // namespace

Result<std::unique_ptr<SyslogTransport>> MakeSyslogTransport(SyslogTransportOptions options) {
  if (options.timeout.count() <= 0) {
    return Fail(ErrorCode::kInvalidArgument, "audit syslog timeout must be positive");
  }
  switch (options.target.protocol) {
    case SyslogProtocol::kUdp:
      return detail::MakeUdpTransport(std::move(options));
    case SyslogProtocol::kTcp:
      return detail::MakeStreamTransport(std::move(options), nullptr);
    case SyslogProtocol::kTls: {
      auto context = MakeTlsContext(options);
      if (!context) return std::unexpected(context.error());
      return detail::MakeStreamTransport(std::move(options), std::move(*context));
    }
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown syslog protocol");
}

}  // namespace cf::audit
