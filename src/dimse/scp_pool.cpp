// SPDX-License-Identifier: Apache-2.0
// Our accept loop for DcmSCPPool (see scp_pool.hpp). DCMTK 3.6.7 takes an
// already connected socket only through the process-wide
// dcmExternalSocketHandle, which it reads once when it sets up a connection;
// every use goes through one mutex, held only while DCMTK reads an
// association request that poll() says has arrived.
#include "dimse/scp_pool.hpp"

#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dul.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "dimse/listen_socket.hpp"

namespace cf::dimse {
namespace {

using Clock = std::chrono::steady_clock;

std::mutex g_external_socket_mutex;

// Connections accepted whose association request has not arrived yet. Past
// this many we stop accepting until some resolve, so that a flood of silent
// connections cannot exhaust descriptors.
constexpr size_t kMaxPending = 256;

struct PendingConnection {
  UniqueFd fd;
  Clock::time_point deadline;
};

std::string CallingAe(const T_ASC_Association* assoc) {
  if (assoc == nullptr || assoc->params == nullptr) return {};
  std::string ae = assoc->params->DULparams.callingAPTitle;
  while (!ae.empty() && ae.back() == ' ') ae.pop_back();
  return ae;
}

bool IsResourceShortage(int e) { return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM; }

}  // namespace

Result<T_ASC_Network*> InitializeAcceptorNetwork(int acse_timeout_seconds,
                                                 DcmTransportLayer& transport) {
  std::lock_guard lock(g_external_socket_mutex);
  // The peer's numeric address is all we log; a reverse DNS lookup per
  // association can stall for seconds on hospital networks without DNS.
  dcmDisableGethostbyaddr.set(OFTrue);
  // With an external socket set, DUL does not create a listening socket of
  // its own (which would bind every address); the value is not used here.
  dcmExternalSocketHandle.set(INT_MAX);
  T_ASC_Network* network = nullptr;
  const OFCondition cond = ASC_initializeNetwork(NET_ACCEPTOR, 0, acse_timeout_seconds, &network);
  dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
  if (cond.bad()) {
    return Fail(ErrorCode::kInternal,
                std::string("cannot initialise the DICOM network layer: ") + cond.text());
  }
  if (const OFCondition set = ASC_setTransportLayer(network, &transport, 0); set.bad()) {
    ASC_dropNetwork(&network);
    return Fail(ErrorCode::kInternal,
                std::string("cannot set the DICOM transport layer: ") + set.text());
  }
  return network;
}

OFCondition AcceptingScpPool::listen() {
  const DcmSharedSCPConfig shared_config(getConfig());
  const auto acse_timeout = setup_.context->Options().acse_timeout;
  std::vector<PendingConnection> pending;
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({setup_.wake_fd, POLLIN, 0});
    // A negative descriptor is ignored by poll(): no accepting while full.
    fds.push_back({pending.size() < kMaxPending ? setup_.listen_fd : -1, POLLIN, 0});
    for (const auto& p : pending) fds.push_back({p.fd.Get(), POLLIN, 0});
    int timeout_ms = -1;
    if (!pending.empty()) {
      const auto earliest =
          std::min_element(pending.begin(), pending.end(), [](const auto& a, const auto& b) {
            return a.deadline < b.deadline;
          })->deadline;
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(earliest - Clock::now());
      timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, INT_MAX));
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) continue;
      log::Error("dimse.listen.poll_failed", {{"error", std::strerror(errno)}});
      return EC_IllegalCall;
    }
    if (fds[0].revents != 0) break;

    // Connections whose request arrived (or that closed): hand them over.
    std::vector<UniqueFd> ready;
    for (size_t i = pending.size(); i-- > 0;) {
      if (fds[2 + i].revents != 0) {
        ready.push_back(std::move(pending[i].fd));
        pending.erase(pending.begin() + static_cast<ptrdiff_t>(i));
      }
    }
    const auto now = Clock::now();
    std::erase_if(pending, [&](const PendingConnection& p) {
      if (p.deadline > now) return false;
      log::Debug("dimse.connection.timeout", {{"waited_s", acse_timeout.count()}});
      return true;  // closes the socket
    });

    if ((fds[1].revents & POLLIN) != 0) {
      while (pending.size() < kMaxPending) {
        int fd = ::accept4(setup_.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
          const int e = errno;
          if (e == EINTR || e == ECONNABORTED) continue;
          if (e == EAGAIN || e == EWOULDBLOCK) break;
          log::Error("dimse.listen.accept_failed", {{"error", std::strerror(e)}});
          // Out of descriptors: the connection stays queued, so back off
          // instead of spinning on a listening socket that stays readable.
          if (IsResourceShortage(e)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
          break;
        }
        if (fd == 0) {  // DCMTK takes 0 for "no external socket"
          const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
          ::close(fd);
          if (moved < 0) continue;
          fd = moved;
        }
        SetNoDelay(fd);
        pending.push_back({UniqueFd(fd), now + acse_timeout});
      }
    }
    for (auto& fd : ready) Receive(fd.Release(), shared_config);
  }
  return EC_Normal;  // `pending` closes what is still waiting
}

void AcceptingScpPool::Receive(int fd, const DcmSharedSCPConfig& config) {
  const ScpOptions& options = setup_.context->Options();
  T_ASC_Association* assoc = nullptr;
  OFCondition cond;
  {
    std::lock_guard lock(g_external_socket_mutex);
    dcmExternalSocketHandle.set(fd);
    cond = ASC_receiveAssociation(setup_.network, &assoc, static_cast<long>(options.max_pdu),
                                  nullptr, nullptr, OFFalse, DUL_NOBLOCK,
                                  static_cast<int>(options.acse_timeout.count()));
    dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
  }
  if (cond.bad()) {
    // DCMTK owns the socket once it has built a connection on it.
    const bool owned = assoc != nullptr && assoc->DULassociation != nullptr;
    if (assoc != nullptr) {
      ASC_dropAssociation(assoc);
      ASC_destroyAssociation(&assoc);
    }
    if (!owned) ::close(fd);
    log::Debug("dimse.connection.dropped", {{"error", cond.text()}});
    return;
  }

  // A duplicate of the socket, so that Stop() can cut an association that
  // outlives the grace period (the worker removes it when done).
  const int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup_fd >= 0) setup_.context->AddSocket(assoc, dup_fd);
  StoreScp::ContextScope scope(*setup_.context);
  {
    std::lock_guard started(start_gate_);
    cond = runAssociation(assoc, config);
  }
  if (cond.good()) return;
  setup_.context->RemoveSocket(assoc);
  if (cond == NET_EC_SCPBusy) {
    log::Warn("dimse.association.refused", {{"reason", "too many associations"},
                                            {"limit", options.max_associations},
                                            {"calling_ae", CallingAe(assoc)}});
    rejectAssociation(assoc, ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
  } else {
    log::Error("dimse.association.refused",
               {{"reason", "cannot start a worker"}, {"error", cond.text()}});
    rejectAssociation(assoc, ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
  }
  dropAndDestroyAssociation(assoc);
}

void StartedWorker::run() {
  // The pool is an AcceptingScpPool: ScpPool is its only use.
  { std::lock_guard started(static_cast<AcceptingScpPool&>(m_pool).StartGate()); }
  DcmBaseSCPWorker::run();  // deletes this worker at its end
}

}  // namespace cf::dimse
