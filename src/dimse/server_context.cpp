// SPDX-License-Identifier: Apache-2.0
// Shared per-server state of the SCP (see server_context.hpp).
#include "dimse/server_context.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace cf::dimse {

ServerContext::ServerContext(ScpOptions options, archive::Archive& archive)
    : options_(std::move(options)), archive_(archive), sop_classes_(options_.extra_sop_classes) {}

void ServerContext::AddSocket(const void* association, int fd) {
  std::lock_guard lock(mutex_);
  if (auto [it, inserted] = sockets_.emplace(association, fd); !inserted) {
    ::close(it->second);
    it->second = fd;
  }
}

void ServerContext::RemoveSocket(const void* association) {
  std::lock_guard lock(mutex_);
  if (auto it = sockets_.find(association); it != sockets_.end()) {
    ::close(it->second);
    sockets_.erase(it);
  }
}

int ServerContext::ShutdownSockets() {
  std::lock_guard lock(mutex_);
  for (const auto& [association, fd] : sockets_) ::shutdown(fd, SHUT_RDWR);
  return static_cast<int>(sockets_.size());
}

}  // namespace cf::dimse
