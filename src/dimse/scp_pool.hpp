// SPDX-License-Identifier: Apache-2.0
// The association pool: DcmSCPPool's bounded workers (one thread per
// association, refusal with "local limit exceeded" beyond the limit), with
// our own accept loop in place of DcmBaseSCPPool::listen(). DCMTK 3.6.7's
// loop can only bind every address, cannot report the port it got, sets no
// TCP_NODELAY and notices a stop request only between connections; ours
// listens on the socket ScpServer bound, polls a wake-up descriptor, and
// waits for several connections' association requests at once, so that one
// silent client does not hold up the others. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/scppool.h>

#include <mutex>

#include "core/error.hpp"
#include "dimse/server_context.hpp"
#include "dimse/store_scp.hpp"

namespace cf::dimse {

class AcceptingScpPool : public DcmBaseSCPPool {
 public:
  struct Setup {
    ServerContext* context = nullptr;  // not owned
    T_ASC_Network* network = nullptr;  // not owned; from InitializeAcceptorNetwork()
    int listen_fd = -1;                // not owned; non-blocking, listening
    int wake_fd = -1;                  // not owned; readable = stop
  };

  // REQUIRES: called once, before listen().
  void Configure(const Setup& setup) { setup_ = setup; }

  // Accepts connections until `wake_fd` becomes readable, then returns
  // (running associations are not waited for: see numThreads()).
  OFCondition listen() override;

  // Held while a worker is being started; see StartedWorker.
  std::mutex& StartGate() { return start_gate_; }

 private:
  void Receive(int fd, const DcmSharedSCPConfig& config);

  Setup setup_;
  std::mutex start_gate_;
};

// DCMTK 3.6.7's OFThread::start() stores the new thread's id into the
// worker after pthread_create returns, but a worker whose association is
// refused at once has by then finished and been deleted by its pool
// (notifyThreadExit): a write into freed memory, seen as "corrupted
// double-linked list" aborts under load (valgrind: OFThread::start,
// invalid write of size 8). This worker waits for the gate that
// AcceptingScpPool holds across runAssociation, so it cannot end before
// start() has returned.
class StartedWorker : public DcmBaseSCPPool::DcmBaseSCPWorker {
 protected:
  explicit StartedWorker(DcmBaseSCPPool& pool) : DcmBaseSCPWorker(pool) {}
  void run() override;
};

using ScpPool = DcmSCPPool<StoreScp, AcceptingScpPool, StartedWorker>;

// An acceptor network for the sockets we accept ourselves: DCMTK creates no
// listening socket of its own for it, and builds its connections with
// `transport`, which must outlive the network.
Result<T_ASC_Network*> InitializeAcceptorNetwork(int acse_timeout_seconds,
                                                 DcmTransportLayer& transport);

}  // namespace cf::dimse
