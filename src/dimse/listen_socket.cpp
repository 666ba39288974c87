// SPDX-License-Identifier: Apache-2.0
// Listening socket and socket options for the SCP (see listen_socket.hpp).
#include "dimse/listen_socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/log.hpp"

namespace cf::dimse {
namespace {

Result<in_addr> ResolveIpv4(const std::string& address) {
  in_addr out{};
  if (::inet_pton(AF_INET, address.c_str(), &out) == 1) return out;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(address.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                "DICOM bind address '" + address +
                    "' is not an IPv4 address or a name with one (DCMTK 3.6.7 speaks IPv4 only): " +
                    ::gai_strerror(rc));
  }
  out = reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr;
  ::freeaddrinfo(found);
  return out;
}

}  // namespace

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<ListenSocket> OpenListenSocket(std::string_view address, uint16_t port) {
  const std::string where = std::string(address) + ":" + std::to_string(port);
  auto ip = ResolveIpv4(std::string(address));
  if (!ip) return std::unexpected(ip.error());

  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.Valid()) {
    return Fail(ErrorCode::kStorageUnavailable,
                std::string("cannot create the DICOM listening socket: ") + std::strerror(errno));
  }
  // Lets a restarted server bind while connections of the previous one linger
  // in TIME_WAIT; it does not allow two listeners on one port.
  const int on = 1;
  ::setsockopt(fd.Get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr = *ip;
  if (::bind(fd.Get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    std::string why = std::strerror(e);
    if (e == EADDRINUSE) why = "the port is already in use by another program";
    if (e == EACCES) why = "ports below 1024 need privileges";
    if (e == EADDRNOTAVAIL) why = "the address is not one of this machine's";
    return Fail(ErrorCode::kStorageUnavailable, "cannot listen for DICOM on " + where + ": " + why);
  }
  if (::listen(fd.Get(), SOMAXCONN) != 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot listen for DICOM on " + where + ": " + std::strerror(errno));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                std::string("getsockname failed: ") + std::strerror(errno));
  }
  return ListenSocket{std::move(fd), ntohs(addr.sin_port)};
}

void SetNoDelay(int fd) {
  const int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0) {
    log::Warn("dimse.socket.nodelay_failed", {{"error", std::strerror(errno)}});
  }
}

}  // namespace cf::dimse
