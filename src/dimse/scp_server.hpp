// SPDX-License-Identifier: Apache-2.0
// The DICOM network front door: a C-ECHO and C-STORE SCP that hands every
// received object to archive::Archive::Ingest and answers the sender only
// once the archive has made it durable; on the same associations, the
// Query/Retrieve SCP (C-FIND, C-MOVE, C-GET) and Storage Commitment. Associations run concurrently
// on a bounded pool of threads; Stop() drains them. This is the only public header of the part:
// DCMTK types stay in the .cpp files.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "core/error.hpp"

namespace cf::audit {
class AuditLog;
}

namespace cf::dimse {

// DICOM TLS (PS3.15 B.9, BCP 195 non-downgrading profile: TLS 1.2 or 1.3
// with ECDHE and AEAD cipher suites only). Files are PEM.
struct ScpTlsOptions {
  std::filesystem::path certificate;  // server certificate (chain)
  std::filesystem::path private_key;  // its private key, unencrypted
  // CA bundle that client certificates are verified against; empty = client
  // certificates are not verified (nor asked for).
  std::filesystem::path ca_certificates;
  // Refuse clients without a certificate signed by `ca_certificates`.
  bool require_client_certificate = false;
};

// A DICOM node this server opens associations to.
struct DicomPeer {
  std::string host;  // IPv4 address or host name
  uint16_t port = 0;
};

// AE titles known besides those of ScpOptions: the DICOM nodes that admins
// register while the server runs (access::DicomNodeRegistry, wired by the
// application). ScpOptions' own entries win over these.
struct RegisteredNodes {
  std::map<std::string, std::string> caller_tenants;  // AE title -> tenant code
  std::map<std::string, DicomPeer> destinations;      // AE title -> where it listens
};

// The current RegisteredNodes, shared by the servers that borrow it and
// replaced as a whole when admins edit: an association reads one immutable
// snapshot (its caller's tenant when it starts, a destination when a C-MOVE
// or a commitment report needs it), never a half-applied edit. Thread-safe.
class NodeDirectory {
 public:
  NodeDirectory() : current_(std::make_shared<const RegisteredNodes>()) {}
  void Replace(RegisteredNodes nodes) {
    auto next = std::make_shared<const RegisteredNodes>(std::move(nodes));
    std::lock_guard lock(mutex_);
    current_.swap(next);
  }
  std::shared_ptr<const RegisteredNodes> Current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const RegisteredNodes> current_;  // guarded by mutex_; never null
};

class CommitmentOutbox;

struct ScpOptions {
  // IPv4 address (or host name resolving to one) to listen on. DCMTK 3.6.7
  // itself can only listen on every address, so the listening socket is ours.
  std::string bind = "127.0.0.1";
  uint16_t port = 11112;  // 0 picks a free port; see ScpServer::Port()
  std::string ae_title = "CLOUDFILM";
  // Calling AE titles allowed to associate; empty allows any. The AE titles
  // of `nodes` are allowed too.
  std::vector<std::string> allowed_callers;
  // The hospital (tenant code) of each known AE title: what a caller
  // stores is filed under its tenant, its queries and retrieves see only
  // that tenant's data, and C-MOVE sends only to AEs of the same tenant.
  // Any other AE title belongs to `unknown_caller_tenant`, or, when that is
  // empty, is refused (A-ASSOCIATE-RJ, calling AE title not recognized).
  std::map<std::string, std::string> caller_tenants;
  std::string unknown_caller_tenant = "default";
  // The hospital of each client certificate (SHA-256 of its DER, lower-case
  // hex) presented on a TLS port: it files the association under that
  // hospital whatever AE title it calls with, and refuses a calling AE title
  // of another hospital. A hospital listed here is accepted only with one
  // of its certificates (so never over plain TCP): an AE title alone can be
  // spoofed, a certificate's private key cannot.
  std::map<std::string, std::string> certificate_tenants;
  // Refuse associations whose called AE title is not `ae_title`.
  bool check_called_ae = true;
  // Largest PDU we accept, within DICOM's 4 KiB..128 KiB that DCMTK supports.
  uint32_t max_pdu = 131072;
  // Concurrent associations; one more is refused with "local limit exceeded".
  int max_associations = 16;
  std::chrono::seconds dimse_timeout{60};  // also the idle limit between commands
  std::chrono::seconds acse_timeout{30};   // association negotiation and release
  // How long Stop() lets running associations finish before cutting their sockets.
  std::chrono::seconds stop_grace{30};
  // Objects larger than this, or than the archive's own max_object_size,
  // are refused with 0xA700. Counted as received: data set plus file meta.
  uint64_t max_object_size = 2ull << 30;
  // Private storage SOP classes to accept besides the standard ones.
  std::vector<std::string> extra_sop_classes;
  // The AE titles this server sends to: C-MOVE destinations (an AE not
  // listed is refused with 0xA801), and where a Storage Commitment result
  // goes when the requester has released its association.
  std::map<std::string, DicomPeer> destinations;
  // C-FIND and the resolution of C-MOVE/C-GET identifiers read the catalog
  // in pages of this many matches, never all at once.
  int query_page_size = 500;
  // Set: this server speaks DICOM over TLS only (run a second ScpServer on
  // another port for plain DICOM). Unset: plain TCP only.
  std::optional<ScpTlsOptions> tls;
  // The audit trail (borrowed; outlives the server). Set: every query,
  // retrieve, the first object of each study per association and refused
  // associations are audit events, written before the data moves, and an
  // operation that cannot be audited is refused. Null: nothing is audited.
  audit::AuditLog* audit = nullptr;
  // AE titles registered while the server runs (borrowed; outlives the
  // server; may be shared by several servers): callers and their tenants,
  // and destinations, after `caller_tenants` and `destinations`, which win.
  // Null: only those of the options.
  const NodeDirectory* nodes = nullptr;
  // Where Storage Commitment reports that could not be delivered wait to be
  // tried again (borrowed; outlives the server; may be shared by several
  // servers). Null: such a report is logged and dropped. The first retry
  // comes after `commitment_retry`, each next one after twice the delay
  // (at most `commitment_retry_max`), until `commitment_give_up` after the
  // request.
  CommitmentOutbox* commitment_outbox = nullptr;
  std::chrono::milliseconds commitment_retry{std::chrono::seconds(30)};
  std::chrono::milliseconds commitment_retry_max{std::chrono::minutes(30)};
  std::chrono::hours commitment_give_up{24 * 7};
};

// Thread-safe: Start, Stop and Port may be called from any thread, but not
// concurrently with the destructor.
class ScpServer {
 public:
  // Borrows `archive`, which must outlive the server.
  ScpServer(ScpOptions options, archive::Archive& archive);
  ~ScpServer();  // Stop()s
  ScpServer(const ScpServer&) = delete;
  ScpServer& operator=(const ScpServer&) = delete;

  // Binds, listens and returns; associations are served on background
  // threads. Fails with kInvalidArgument for bad options, kStorageUnavailable
  // when the address or port cannot be used (e.g. already in use) or the
  // temporary folder cannot be prepared. Blocks briefly.
  Result<void> Start();

  // The bound port (useful with port 0); 0 before Start().
  uint16_t Port() const;

  // Stops accepting associations, lets running ones finish for up to
  // `stop_grace`, then cuts the sockets of those still running and waits for
  // them (an object already received is still ingested and answered).
  // Idempotent; blocks.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::dimse
