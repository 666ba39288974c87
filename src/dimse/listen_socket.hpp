// SPDX-License-Identifier: Apache-2.0
// The few POSIX socket calls the SCP makes itself. DCMTK 3.6.7 can only
// listen on every IPv4 address and leaves Nagle's algorithm on, so we open
// the listening socket, accept connections and set TCP_NODELAY ourselves,
// then hand each connected socket to DCMTK. Internal to the dimse part.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.hpp"

namespace cf::dimse {

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int Get() const { return fd_; }
  bool Valid() const { return fd_ >= 0; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

struct ListenSocket {
  UniqueFd fd;  // non-blocking, close-on-exec
  uint16_t port = 0;
};

// Binds `address` (numeric IPv4 or a name resolving to IPv4) and `port`
// (0 = any free port) and listens. Fails with kInvalidArgument for an address
// that does not resolve to IPv4, kStorageUnavailable when binding fails
// (port in use, address not local, privileged port).
Result<ListenSocket> OpenListenSocket(std::string_view address, uint16_t port);

// Disables Nagle's algorithm: without it every small DIMSE response waits
// for the peer's delayed ACK (about 40 ms on Linux, even on loopback), which
// caps a C-STORE sender at about 20 objects per second.
void SetNoDelay(int fd);

}  // namespace cf::dimse
