// SPDX-License-Identifier: Apache-2.0
// What every association of one ScpServer shares: the options, the archive,
// the SOP class policy, and the sockets of running
// associations (so that Stop() can cut those that outlive the grace period).
// Thread-safe. Internal to the dimse part.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "archive/archive.hpp"
#include "audit/event.hpp"
#include "core/bytes.hpp"
#include "dimse/scp_server.hpp"
#include "dimse/sop_classes.hpp"

namespace cf::dimse {

class ServerContext {
 public:
  ServerContext(ScpOptions options, archive::Archive& archive);

  const ScpOptions& Options() const { return options_; }
  archive::Archive& Archive() const { return archive_; }
  const SopClassPolicy& SopClasses() const { return sop_classes_; }
  // The tenant of AE title `ae` (ScpOptions::caller_tenants, else the
  // registered nodes, else unknown_caller_tenant); empty when it belongs to
  // none and must be refused.
  std::string TenantOf(std::string_view ae) const;
  // The tenant of an AE title the configuration or the registered nodes
  // name; nullopt for any other (which unknown_caller_tenant decides).
  std::optional<std::string> KnownTenantOf(std::string_view ae) const;
  // The tenant a client certificate (its DER bytes) is bound to; empty
  // when none (ScpOptions::certificate_tenants).
  std::string TenantOfCertificate(ByteView der) const;
  // Whether `tenant` accepts associations only with one of its certificates.
  bool RequiresCertificate(std::string_view tenant) const;
  // Whether `ae` may associate: allowed_callers is empty, lists it, or it
  // is a registered node.
  bool CallerAllowed(std::string_view ae) const;
  // Where AE title `ae` listens (ScpOptions::destinations, else the
  // registered nodes); nullopt when it is known to be nowhere.
  std::optional<DicomPeer> DestinationOf(std::string_view ae) const;

  // An audit event of this protocol for `calling_ae` at `peer`, to fill in;
  // it belongs to the caller's tenant (the default one for a refused caller).
  audit::Event Event(std::string_view calling_ae, std::string_view peer, audit::Action action,
                     std::string_view service) const;
  // Writes `event` durably; success when no audit log is configured.
  Result<void> Audit(audit::Event event) const;

  // The sockets of running associations, keyed by association. `fd` is a
  // duplicate that the context owns and closes on removal, so that shutting
  // it down never races DCMTK's close() of the original.
  void AddSocket(const void* association, int fd);
  void RemoveSocket(const void* association);
  // Shuts down every registered socket: DCMTK's next read or write on it
  // fails, and the association ends. Returns how many there were.
  int ShutdownSockets();

 private:
  const ScpOptions options_;
  archive::Archive& archive_;
  const SopClassPolicy sop_classes_;

  std::mutex mutex_;
  std::map<const void*, int> sockets_;  // guarded by mutex_
};

}  // namespace cf::dimse
