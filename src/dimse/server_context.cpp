// SPDX-License-Identifier: Apache-2.0
// Shared per-server state of the SCP (see server_context.hpp).
#include "dimse/server_context.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "core/tenant.hpp"
#include "crypto/sha256.hpp"

namespace cf::dimse {

ServerContext::ServerContext(ScpOptions options, archive::Archive& archive)
    : options_(std::move(options)), archive_(archive), sop_classes_(options_.extra_sop_classes) {}

std::optional<std::string> ServerContext::KnownTenantOf(std::string_view ae) const {
  const std::string key(ae);
  if (const auto it = options_.caller_tenants.find(key); it != options_.caller_tenants.end()) {
    return it->second;
  }
  if (options_.nodes != nullptr) {
    const auto nodes = options_.nodes->Current();
    if (const auto it = nodes->caller_tenants.find(key); it != nodes->caller_tenants.end()) {
      return it->second;
    }
  }
  return std::nullopt;
}

std::string ServerContext::TenantOf(std::string_view ae) const {
  return KnownTenantOf(ae).value_or(options_.unknown_caller_tenant);
}

std::string ServerContext::TenantOfCertificate(ByteView der) const {
  if (options_.certificate_tenants.empty() || der.empty()) return {};
  const auto it = options_.certificate_tenants.find(crypto::ToHex(crypto::Sha256(der)));
  return it == options_.certificate_tenants.end() ? std::string() : it->second;
}

bool ServerContext::RequiresCertificate(std::string_view tenant) const {
  return std::ranges::any_of(options_.certificate_tenants,
                             [&](const auto& bound) { return bound.second == tenant; });
}

bool ServerContext::CallerAllowed(std::string_view ae) const {
  const auto& allowed = options_.allowed_callers;
  if (allowed.empty() || std::find(allowed.begin(), allowed.end(), ae) != allowed.end()) {
    return true;
  }
  return options_.nodes != nullptr &&
         options_.nodes->Current()->caller_tenants.contains(std::string(ae));
}

std::optional<DicomPeer> ServerContext::DestinationOf(std::string_view ae) const {
  const std::string key(ae);
  if (const auto it = options_.destinations.find(key); it != options_.destinations.end()) {
    return it->second;
  }
  if (options_.nodes != nullptr) {
    const auto nodes = options_.nodes->Current();
    if (const auto it = nodes->destinations.find(key); it != nodes->destinations.end()) {
      return it->second;
    }
  }
  return std::nullopt;
}

audit::Event ServerContext::Event(std::string_view calling_ae, std::string_view peer,
                                  audit::Action action, std::string_view service) const {
  audit::Event event;
  event.tenant = TenantOf(calling_ae);
  if (event.tenant.empty()) event.tenant = std::string(kDefaultTenant);
  event.actor = "ae:" + std::string(calling_ae);
  event.action = action;
  event.protocol = "dimse";
  event.route = std::string(service);
  // DCMTK gives "host:port" or "host"; the audit wants the host.
  event.source = std::string(peer);
  return event;
}

Result<void> ServerContext::Audit(audit::Event event) const {
  if (options_.audit == nullptr) return {};
  auto recorded = options_.audit->Record(std::move(event));
  if (!recorded) {
    log::Error("dimse.audit_failed", {{"error", recorded.error().message}});
  }
  return recorded;
}

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
