// SPDX-License-Identifier: Apache-2.0
// Syslog over UDP (RFC 5426): one message per datagram, no framing. UDP
// cannot know whether a datagram arrived; a connected socket at least
// learns from ICMP "port unreachable" that nobody listens, and the
// exporter then keeps the messages for a retry.
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "audit/asio_run.hpp"
#include "audit/syslog_framing.hpp"
#include "audit/syslog_transports.hpp"
#include "core/log.hpp"

namespace cf::audit::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

Error Unavailable(std::string message) {
  return Error{ErrorCode::kStorageUnavailable, std::move(message)};
}

class UdpTransport final : public SyslogTransport {
 public:
  explicit UdpTransport(SyslogTransportOptions options)
      : options_(std::move(options)), where_(ToUrl(options_.target)) {}
  ~UdpTransport() override { Close(); }

  Result<void> Open(const std::stop_token& stop) override;
  bool IsOpen() override { return socket_.has_value(); }
  Result<void> Send(std::string_view message, const std::stop_token& stop) override;
  Result<void> Flush(const std::stop_token& stop) override;
  void Close() override {
    error_code ignored;
    if (socket_) socket_->close(ignored);
    socket_.reset();
  }

 private:
  // A pending ICMP error reported on the socket, as an error; clears it.
  Result<void> CheckPendingError();

  const SyslogTransportOptions options_;
  const std::string where_;
  asio::io_context io_;
  std::optional<udp::socket> socket_;
};

Result<void> UdpTransport::Open(const std::stop_token& stop) {
  if (IsOpen()) return {};
  udp::resolver resolver(io_);
  udp::resolver::results_type endpoints;
  error_code ec;
  bool done = false;
  resolver.async_resolve(options_.target.host, std::to_string(options_.target.port),
                         [&](const error_code& e, udp::resolver::results_type results) {
                           ec = e;
                           endpoints = std::move(results);
                           done = true;
                         });
  if (auto r = RunUntilDone(
          io_, done, Clock::now() + options_.timeout, stop, [&] { resolver.cancel(); },
          "resolving " + where_);
      !r) {
    return r;
  }
  if (ec) return std::unexpected(Unavailable("cannot resolve " + where_ + ": " + ec.message()));
  if (endpoints.empty()) return std::unexpected(Unavailable("no address for " + where_));
  // Connecting a UDP socket sends nothing: it fixes the peer, so that ICMP
  // errors from it are reported to us.
  udp::socket socket(io_);
  const udp::endpoint peer = endpoints.begin()->endpoint();
  socket.open(peer.protocol(), ec);
  if (!ec) socket.connect(peer, ec);
  if (ec)
    return std::unexpected(Unavailable("cannot open a socket to " + where_ + ": " + ec.message()));
  socket_.emplace(std::move(socket));
  return {};
}

Result<void> UdpTransport::CheckPendingError() {
  int socket_error = 0;
  socklen_t len = sizeof socket_error;
  if (::getsockopt(socket_->native_handle(), SOL_SOCKET, SO_ERROR, &socket_error, &len) != 0) {
    socket_error = errno;
  }
  if (socket_error == 0) return {};
  Close();
  return std::unexpected(
      Unavailable("sending to " + where_ + " failed: " + std::strerror(socket_error)));
}

Result<void> UdpTransport::Send(std::string_view message, const std::stop_token& /*stop*/) {
  if (!socket_) return Fail(ErrorCode::kInternal, "syslog transport is not open");
  if (auto r = CheckPendingError(); !r) return r;
  const std::string_view datagram = TruncateUtf8(message, kMaxUdpSyslogMessage);
  if (datagram.size() < message.size()) {
    log::Warn("audit.syslog_truncated",
              {{"collector", where_}, {"bytes", message.size()}, {"sent", datagram.size()}});
  }
  // A datagram send does not wait for the network: no deadline needed.
  error_code ec;
  socket_->send(asio::buffer(datagram.data(), datagram.size()), 0, ec);
  if (ec) {
    Close();
    return std::unexpected(Unavailable("sending to " + where_ + " failed: " + ec.message()));
  }
  return {};
}

Result<void> UdpTransport::Flush(const std::stop_token& /*stop*/) {
  if (!socket_) return Fail(ErrorCode::kInternal, "syslog transport is not open");
  return CheckPendingError();
}

}  // namespace

std::unique_ptr<SyslogTransport> MakeUdpTransport(SyslogTransportOptions options) {
  return std::make_unique<UdpTransport>(std::move(options));
}

}  // namespace cf::audit::detail
