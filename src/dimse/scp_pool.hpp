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

 private:
  void Receive(int fd, const DcmSharedSCPConfig& config);

  Setup setup_;
};

using ScpPool = DcmSCPPool<StoreScp, AcceptingScpPool>;

// An acceptor network for the sockets we accept ourselves: DCMTK creates no
// listening socket of its own for it, and builds its connections with
// `transport`, which must outlive the network.
Result<T_ASC_Network*> InitializeAcceptorNetwork(int acse_timeout_seconds,
                                                 DcmTransportLayer& transport);

}  // namespace cf::dimse
