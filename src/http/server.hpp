// SPDX-License-Identifier: Apache-2.0
// The HTTP/1.1 server of cloudfilm: a listener, one coroutine per
// connection (keep-alive, a deadline on every read, header and body limits),
// and a bounded pool for blocking Archive calls. This header is the part's
// public API and deliberately free of Asio/Beast types: callers (the
// `cloudfilm serve` command, tests) see options, Start, Port and Stop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "core/error.hpp"
#include "http/site_summary.hpp"

namespace cf::access {
class Access;
}
namespace cf::film {
class ReportStore;
class FilmStore;
class FilmIssuer;
class ReportPrinter;
class VisitStore;
class FilmPackager;
class PrintLog;
}  // namespace cf::film
namespace cf::notify {
class Outbox;
}
namespace cf::audit {
class AuditLog;
}
namespace cf::access {
class DicomNodeRegistry;
}

namespace cf::http {

struct ServerOptions {
  std::string bind = "127.0.0.1";       // an IPv4 or IPv6 address literal
  uint16_t port = 8042;                 // 0 = any free port; see Server::Port()
  int io_threads = 2;                   // threads running the sockets
  int blocking_threads = 4;             // threads running Archive calls
  size_t max_header_bytes = 16 * 1024;  // larger headers get 431
  // Larger bodies get 413. Such a body is read into memory before the
  // route runs (only STOW-RS uploads are spooled, under max_upload_bytes),
  // and the JSON API takes small ones: keep it small, or a few anonymous
  // connections hold gigabytes.
  size_t max_body_bytes = 1024 * 1024;
  std::chrono::seconds read_timeout{30};    // to receive one request, to send a small answer
  std::chrono::seconds idle_timeout{60};    // between requests on a kept-alive connection
  std::chrono::seconds shutdown_grace{10};  // Stop() waits this long for in-flight requests
  // Abuse resistance. A client is an IPv4 address or an IPv6 /64. Over
  // max_connections a new connection gets 503, over the per-client limit
  // 429; a request over the client's rate (a token bucket refilled at
  // requests_per_second, holding up to request_burst) gets 429 with
  // Retry-After. 0 = no limit. Clients in `limit_exempt` (addresses or
  // networks such as "10.0.0.0/8"; loopback by default, for a reverse proxy
  // or benchmarks on the same machine) skip the per-client limits.
  size_t max_connections = 2048;
  size_t max_connections_per_client = 128;
  double requests_per_second = 100;
  double request_burst = 1000;
  std::vector<std::string> limit_exempt = {"127.0.0.0/8", "::1/128"};
  // STOW-RS uploads (POST /dicom-web/studies[/{study}]) are streamed to an
  // unnamed file in this folder (created at Start), beyond what
  // upload_memory_bytes holds, with their own size limit; empty = the
  // system's temporary folder.
  std::filesystem::path spool_dir;
  uint64_t max_upload_bytes = 4ull << 30;  // larger uploads get 413
  // Memory that uploads of a declared length may be held in instead (all
  // of them at once; one body at most a quarter of it): no encryption,
  // writing and reading back for them. 0: every upload to a spool file.
  uint64_t upload_memory_bytes = 256ull << 20;
  // CORS, for web apps served from another origin: the Access-Control-Allow-
  // Origin value ("*" or one origin) on every answer, and OPTIONS preflights
  // answered. Empty = off (browsers then allow same-origin use only).
  std::string cors_allow_origin;
  // HTTPS: PEM certificate (chain) and unencrypted private key. Both set =
  // the listener speaks HTTPS only (TLS 1.2+, ECDHE with AEAD suites, HSTS);
  // both empty = plain HTTP. One without the other fails Start().
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
  // Reports (borrowed; must outlive the server); null: no report routes.
  film::ReportStore* reports = nullptr;
  film::FilmStore* films = nullptr;  // with `issuer`: films (borrowed); null: no film routes
  film::FilmIssuer* issuer = nullptr;
  film::ReportPrinter* printer = nullptr;  // prints text reports as PDF (borrowed; may be null)
  film::VisitStore* visits = nullptr;      // visits for retention (borrowed; may be null)
  // What share URLs start with (ApiContext::public_base_url).
  std::string public_base_url = {};
  // The notification outbox (borrowed); null: no notification routes.
  notify::Outbox* outbox = nullptr;
  // Film packages (borrowed); null: no GET /api/films/{film}/package.
  film::FilmPackager* packager = nullptr;
  // The built web apps (web/ through Vite): served at /, /s/{token},
  // /viewer, /kiosk, /admin and /assets/. Empty: the pages answer 404.
  std::filesystem::path web_root = {};
  // The configuration the admin console shows (GET /api/site).
  SiteSummary site = {};
  // What kiosks printed (borrowed); null: no kiosk routes.
  film::PrintLog* prints = nullptr;
  // Hospitals' names for film sheets (ApiContext::hospital_name).
  std::function<std::string(std::string_view tenant)> hospital_name = {};
  // DICOM nodes managed from the admin console (borrowed; null: no such
  // routes) and the C-ECHO that checks one (ApiContext::dicom_echo).
  access::DicomNodeRegistry* dicom_nodes = nullptr;
  std::function<Result<int64_t>(std::string_view ae_title, std::string_view host, uint16_t port)>
      dicom_echo = {};
};

// Checks a list of addresses and networks ("10.0.0.5", "10.0.0.0/8",
// "fd00::/8") as ServerOptions::limit_exempt takes it; kInvalidArgument
// naming the first entry that is neither.
Result<void> CheckClientNetworks(const std::vector<std::string>& networks);

// Thread-safe. Start and Stop block; call them from the owning thread, never
// from a handler. A server starts at most once.
class Server {
 public:
  // Borrows `archive`, `access` (who may do what) and `audit` (may be
  // null: then nothing is audited), which must outlive the server.
  Server(ServerOptions options, archive::Archive& archive, access::Access& access,
         audit::AuditLog* audit);
  ~Server();  // Stops if running.

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens, then serves on background threads and returns.
  // Errors: kInvalidArgument (bad address or options, unusable TLS
  // certificate or key), kConflict (address in
  // use, or already started), kPermissionDenied (privileged port).
  Result<void> Start();

  // The bound port (useful with port 0); 0 before Start.
  uint16_t Port() const;

  // Graceful: stops accepting, closes idle connections, lets in-flight
  // requests finish (up to shutdown_grace), then stops all threads.
  // Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::http
