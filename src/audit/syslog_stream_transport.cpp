// SPDX-License-Identifier: Apache-2.0
// Syslog over TCP (RFC 6587) and TLS (RFC 5425), octet-counted frames.
// Syslog has no acknowledgement of its own (RELP would), so Flush waits for
// the collector's TCP stack to acknowledge every byte: a collector that
// restarts or drops the connection then costs a resend, not a silent loss.
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "audit/asio_run.hpp"
#include "audit/syslog_framing.hpp"
#include "audit/syslog_transports.hpp"

namespace cf::audit::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

Error Unavailable(std::string message) {
  return Error{ErrorCode::kStorageUnavailable, std::move(message)};
}

class StreamTransport final : public SyslogTransport {
 public:
  StreamTransport(SyslogTransportOptions options, std::unique_ptr<asio::ssl::context> tls)
      : options_(std::move(options)), where_(ToUrl(options_.target)), context_(std::move(tls)) {}
  ~StreamTransport() override { Close(); }

  Result<void> Open(const std::stop_token& stop) override;
  bool IsOpen() override;
  Result<void> Send(std::string_view message, const std::stop_token& stop) override;
  Result<void> Flush(const std::stop_token& stop) override;
  void Close() override {
    error_code ignored;
    if (Connected()) Lowest().close(ignored);
    tls_.reset();
    plain_.reset();
  }

 private:
  bool Connected() const { return plain_.has_value() || tls_.has_value(); }
  tcp::socket& Lowest() { return tls_ ? tls_->next_layer() : *plain_; }
  Result<void> Handshake(tcp::socket socket, const std::stop_token& stop);

  const SyslogTransportOptions options_;
  const std::string where_;  // the collector's URL, for messages
  asio::io_context io_;
  std::unique_ptr<asio::ssl::context> context_;  // null: plain TCP
  std::optional<tcp::socket> plain_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
};

Result<void> StreamTransport::Open(const std::stop_token& stop) {
  if (IsOpen()) return {};
  Close();
  const auto deadline = Clock::now() + options_.timeout;
  const std::string& host = options_.target.host;

  tcp::resolver resolver(io_);
  tcp::resolver::results_type endpoints;
  error_code ec;
  bool done = false;
  resolver.async_resolve(host, std::to_string(options_.target.port),
                         [&](const error_code& e, tcp::resolver::results_type results) {
                           ec = e;
                           endpoints = std::move(results);
                           done = true;
                         });
  if (auto r = RunUntilDone(
          io_, done, deadline, stop, [&] { resolver.cancel(); }, "resolving " + where_);
      !r) {
    return r;
  }
  if (ec) return std::unexpected(Unavailable("cannot resolve " + where_ + ": " + ec.message()));

  tcp::socket socket(io_);
  done = false;
  asio::async_connect(socket, endpoints, [&](const error_code& e, const tcp::endpoint&) {
    ec = e;
    done = true;
  });
  if (auto r = RunUntilDone(
          io_, done, deadline, stop,
          [&] {
            error_code ignored;
            socket.close(ignored);
          },
          "connecting to " + where_);
      !r) {
    return r;
  }
  if (ec) return std::unexpected(Unavailable("cannot connect to " + where_ + ": " + ec.message()));
  // Each message is written as soon as it is read: Nagle would hold it for
  // the previous one's acknowledgement. Keep-alive notices a collector that
  // vanished while the connection was idle.
  socket.set_option(tcp::no_delay(true), ec);
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  if (!context_) {
    plain_.emplace(std::move(socket));
    return {};
  }
  return Handshake(std::move(socket), stop);
}

Result<void> StreamTransport::Handshake(tcp::socket socket, const std::stop_token& stop) {
  const auto deadline = Clock::now() + options_.timeout;
  const std::string& host = options_.target.host;
  tls_.emplace(std::move(socket), *context_);
  SSL* ssl = tls_->native_handle();
  // The certificate must name the host we were told to reach: its DNS name,
  // or its IP address when the target is an address (then no SNI either).
  error_code ec;
  asio::ip::make_address(host, ec);
  const bool is_address = !ec;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int named = is_address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                               : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (named != 1 || (!is_address && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)) {
    Close();
    return Fail(ErrorCode::kInternal, "cannot set the expected name of " + where_);
  }
  bool done = false;
  tls_->async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
    ec = e;
    done = true;
  });
  if (auto r = RunUntilDone(
          io_, done, deadline, stop,
          [&] {
            error_code ignored;
            tls_->next_layer().close(ignored);
          },
          "TLS handshake with " + where_);
      !r) {
    Close();
    return r;
  }
  if (ec) {
    // OpenSSL's verdict on the certificate says more than "handshake failed".
    const long verdict = SSL_get_verify_result(ssl);
    const std::string why =
        verdict != X509_V_OK ? X509_verify_cert_error_string(verdict) : ec.message();
    Close();
    return std::unexpected(Unavailable("TLS handshake with " + where_ + " failed: " + why));
  }
  return {};
}

bool StreamTransport::IsOpen() {
  if (!Connected()) return false;
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(Lowest().native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    return false;
  }
  // CLOSE_WAIT: the collector sent its FIN; what we wrote now would be lost.
  return info.tcpi_state == TCP_ESTABLISHED;
}

Result<void> StreamTransport::Send(std::string_view message, const std::stop_token& stop) {
  if (!Connected()) return Fail(ErrorCode::kInternal, "syslog transport is not open");
  const std::string frame = FrameOctetCounted(message);
  error_code ec;
  bool done = false;
  auto on_written = [&](const error_code& e, size_t) {
    ec = e;
    done = true;
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(frame), on_written);
  } else {
    asio::async_write(*plain_, asio::buffer(frame), on_written);
  }
  if (auto r = RunUntilDone(
          io_, done, Clock::now() + options_.timeout, stop,
          [&] {
            error_code ignored;
            Lowest().close(ignored);
          },
          "sending to " + where_);
      !r) {
    Close();
    return r;
  }
  if (ec) {
    Close();
    return std::unexpected(Unavailable("sending to " + where_ + " failed: " + ec.message()));
  }
  return {};
}

Result<void> StreamTransport::Flush(const std::stop_token& stop) {
  if (!Connected()) return Fail(ErrorCode::kInternal, "syslog transport is not open");
  const int fd = Lowest().native_handle();
  const auto deadline = Clock::now() + options_.timeout;
  for (;;) {
    int socket_error = 0;
    socklen_t len = sizeof socket_error;
    tcp_info info{};
    socklen_t info_len = sizeof info;
    int unacknowledged = 0;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &len) != 0 ||
        ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len) != 0 ||
        ::ioctl(fd, SIOCOUTQ, &unacknowledged) != 0) {
      socket_error = errno;
    }
    if (socket_error != 0) {
      Close();
      return std::unexpected(
          Unavailable("connection to " + where_ + " failed: " + std::strerror(socket_error)));
    }
    // After a reset the send queue is emptied: only an open connection with
    // nothing left in it means the collector acknowledged every byte.
    const bool up = info.tcpi_state == TCP_ESTABLISHED || info.tcpi_state == TCP_CLOSE_WAIT;
    if (!up) {
      Close();
      return std::unexpected(Unavailable(where_ + " closed the connection before acknowledging " +
                                         std::to_string(unacknowledged) + " bytes"));
    }
    if (unacknowledged == 0) return {};
    if (stop.stop_requested() || Clock::now() >= deadline) {
      Close();
      return Fail(ErrorCode::kTimeout, where_ + " did not acknowledge " +
                                           std::to_string(unacknowledged) + " bytes in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

std::unique_ptr<SyslogTransport> MakeStreamTransport(SyslogTransportOptions options,
                                                     std::unique_ptr<asio::ssl::context> tls) {
  return std::make_unique<StreamTransport>(std::move(options), std::move(tls));
}

}  // namespace cf::audit::detail
