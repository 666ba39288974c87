// SPDX-License-Identifier: Apache-2.0
// ScpServer: validates options, prepares the temporary folder, binds the
// listening socket (so that Start() can report a busy port), and runs the
// pool's accept loop on one thread; Stop() wakes that loop and drains the
// associations. See scp_pool.hpp and store_scp.hpp for the DCMTK side.
#include "dimse/scp_server.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/oflog/oflog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/log.hpp"
#include "dicom/ae_title.hpp"
#include "dimse/listen_socket.hpp"
#include "dimse/scp_pool.hpp"
#include "dimse/server_context.hpp"
#include "dimse/service.hpp"
#include "dimse/transport.hpp"

namespace cf::dimse {
namespace {

// After the grace period and the cut of their sockets, how long Stop() still
// waits for associations (an ingest already under way finishes in this time).
constexpr std::chrono::seconds kIngestGrace{60};

using dicom::IsValidAeTitle;

Result<void> Validate(const ScpOptions& o) {
  auto bad = [](std::string message) {
    return Fail(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (!IsValidAeTitle(o.ae_title)) {
    return bad("DICOM AE title must be 1 to 16 printable ASCII characters without '\\': '" +
               o.ae_title + "'");
  }
  for (const auto& caller : o.allowed_callers) {
    if (!IsValidAeTitle(caller)) return bad("invalid allowed calling AE title '" + caller + "'");
  }
  if (o.max_pdu < ASC_MINIMUMPDUSIZE || o.max_pdu > ASC_MAXIMUMPDUSIZE) {
    return bad("DICOM max PDU must be between " + std::to_string(ASC_MINIMUMPDUSIZE) + " and " +
               std::to_string(ASC_MAXIMUMPDUSIZE) + " bytes");
  }
  if (o.max_associations < 1 || o.max_associations > 65535) {
    return bad("DICOM max associations must be between 1 and 65535");
  }
  if (o.dimse_timeout.count() < 1 || o.acse_timeout.count() < 1 || o.stop_grace.count() < 0) {
    return bad("DICOM timeouts must be at least one second");
  }
  if (o.max_object_size == 0) return bad("DICOM max object size must not be zero");
  for (const auto& [ae, peer] : o.destinations) {
    if (!IsValidAeTitle(ae)) return bad("invalid DICOM destination AE title '" + ae + "'");
    if (peer.host.empty() || peer.port == 0) {
      return bad("DICOM destination " + ae + " needs a host and a port");
    }
  }
  if (o.query_page_size < 1) return bad("DICOM query page size must be at least 1");
  if (o.tls) {
    if (o.tls->certificate.empty() || o.tls->private_key.empty()) {
      return bad("DICOM TLS needs a certificate and a private key");
    }
    if (o.tls->require_client_certificate && o.tls->ca_certificates.empty()) {
      return bad("DICOM TLS: requiring client certificates needs a CA bundle to verify them");
    }
  }
  return {};
}

}  // namespace

struct ScpServer::Impl {
  Impl(ScpOptions o, archive::Archive& a) : options(std::move(o)), archive(a) {}

  // True when every association has ended; false when some outlived the
  // grace period, their cut sockets and kIngestGrace.
  bool WaitForAssociations();

  ScpOptions options;
  archive::Archive& archive;

  std::mutex mutex;  // serialises Start() and Stop()
  bool running = false;
  std::atomic<uint16_t> port{0};
  std::unique_ptr<ServerContext> context;
  std::unique_ptr<ScpPool> pool;
  // ScpTransportLayer, or the TLS one when options.tls is set; made by Start().
  std::unique_ptr<DcmTransportLayer> transport;
  T_ASC_Network* network = nullptr;  // uses `transport`
  ListenSocket listen_socket;
  UniqueFd wake;
  std::thread listener;
  // Tries the commitment outbox's due reports until Stop().
  std::thread retrier;
  std::mutex retry_mutex;
  std::condition_variable retry_wake;
  bool retry_stop = false;  // guarded by retry_mutex
  void RetryLoop();
};

void ScpServer::Impl::RetryLoop() {
  // Often enough for the shortest delay configured, at least once a second.
  const auto poll = std::clamp<std::chrono::milliseconds>(
      options.commitment_retry / 4, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
  std::unique_lock lock(retry_mutex);
  while (!retry_wake.wait_for(lock, poll, [&] { return retry_stop; })) {
    lock.unlock();
    try {
      RetryDueCommitments(*context);
    } catch (const std::exception& e) {
      log::Error("dimse.unhandled", {{"what", e.what()}});
    }
    lock.lock();
  }
}

ScpServer::ScpServer(ScpOptions options, archive::Archive& archive)
    : impl_(std::make_unique<Impl>(std::move(options), archive)) {}

ScpServer::~ScpServer() { Stop(); }

uint16_t ScpServer::Port() const { return impl_->port.load(); }

Result<void> ScpServer::Start() {
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  if (s.running) return Fail(ErrorCode::kInvalidArgument, "the DICOM server is already running");
  if (auto valid = Validate(s.options); !valid) return valid;
  ScpOptions options = s.options;
  options.max_object_size = std::min(options.max_object_size, s.archive.Options().max_object_size);

  if (options.tls) {
    auto layer = MakeTlsTransportLayer(*options.tls, options.acse_timeout);
    if (!layer) return std::unexpected(layer.error());
    s.transport = std::move(*layer);
  } else {
    s.transport = std::make_unique<ScpTransportLayer>();
  }
  auto listen_socket = OpenListenSocket(options.bind, options.port);
  if (!listen_socket) return std::unexpected(listen_socket.error());
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.Valid()) {
    return Fail(ErrorCode::kInternal, std::string("eventfd failed: ") + std::strerror(errno));
  }
  auto network =
      InitializeAcceptorNetwork(static_cast<int>(options.acse_timeout.count()), *s.transport);
  if (!network) return std::unexpected(network.error());

  // DCMTK logs every association and message at INFO; our own lines say the
  // same with the fields operators need, so keep only its warnings and errors.
  OFLog::getLogger("dcmtk.dcmnet").setLogLevel(OFLogger::WARN_LOG_LEVEL);

  s.context = std::make_unique<ServerContext>(options, s.archive);
  s.pool = std::make_unique<ScpPool>();
  DcmSCPConfig& config = s.pool->getConfig();
  config.setAETitle(options.ae_title.c_str());
  config.setMaxReceivePDULength(options.max_pdu);
  config.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  config.setDIMSETimeout(static_cast<Uint32>(options.dimse_timeout.count()));
  config.setACSETimeout(static_cast<Uint32>(options.acse_timeout.count()));
  config.setHostLookupEnabled(OFFalse);
  config.setProgressNotificationMode(OFFalse);
  s.pool->setMaxThreads(static_cast<Uint16>(options.max_associations));
  s.pool->Configure({s.context.get(), *network, listen_socket->fd.Get(), wake.Get()});

  s.network = *network;
  s.listen_socket = std::move(*listen_socket);
  s.wake = std::move(wake);
  s.port = s.listen_socket.port;
  s.listener = std::thread([pool = s.pool.get()] { pool->listen(); });
  if (options.commitment_outbox != nullptr) {
    s.retry_stop = false;
    s.retrier = std::thread([&s] { s.RetryLoop(); });
  }
  s.running = true;
  log::Info("dimse.listening", {{"bind", options.bind},
                                {"port", s.port.load()},
                                {"ae_title", options.ae_title},
                                {"max_associations", options.max_associations},
                                {"max_pdu", options.max_pdu},
                                {"destinations", options.destinations.size()},
                                {"tls", options.tls.has_value()}});
  return {};
}

bool ScpServer::Impl::WaitForAssociations() {
  using Clock = std::chrono::steady_clock;
  constexpr auto kPoll = std::chrono::milliseconds(10);
  auto wait_until = [&](Clock::time_point deadline) {
    while (pool->numThreads(OFTrue) > 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(kPoll);
    }
    return pool->numThreads(OFTrue) == 0;
  };
  if (wait_until(Clock::now() + options.stop_grace)) return true;
  // Still running after the grace period: cut their connections. DCMTK's
  // next read fails and the partial object is dropped; an object already received
  // is still ingested (the archive keeps ingest atomic).
  const int cut = context->ShutdownSockets();
  log::Warn("dimse.stop.forced", {{"associations", cut}, {"grace_s", options.stop_grace.count()}});
  // What remains is an ingest in progress (disk, database) or a worker DCMTK
  // failed to start but still counts as busy.
  return wait_until(Clock::now() + kIngestGrace);
}

void ScpServer::Stop() {
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  if (!s.running) return;
  const uint64_t one = 1;
  if (::write(s.wake.Get(), &one, sizeof(one)) != sizeof(one)) {
    log::Error("dimse.stop.wake_failed", {{"error", std::strerror(errno)}});
  }
  s.listener.join();
  if (s.retrier.joinable()) {
    {
      std::lock_guard stop(s.retry_mutex);
      s.retry_stop = true;
    }
    s.retry_wake.notify_all();
    s.retrier.join();
  }
  s.listen_socket.fd.Reset();  // from here on, connections are refused by the kernel
  if (!s.WaitForAssociations()) {
    // Deleting what running threads still use would crash the process; a
    // leak at shutdown is the lesser harm.
    log::Error("dimse.stop.abandoned", {{"associations", s.pool->numThreads(OFTrue)}});
    (void)s.pool.release();
    (void)s.context.release();
    (void)s.transport.release();
  } else {
    s.pool.reset();
    s.context.reset();
  }
  ASC_dropNetwork(&s.network);
  s.network = nullptr;
  s.wake.Reset();
  s.running = false;
  log::Info("dimse.stopped", {{"port", s.port.load()}});
}

}  // namespace cf::dimse
