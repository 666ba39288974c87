// SPDX-License-Identifier: Apache-2.0
// TCP transport with immediate ACKs and no Nagle delay (see transport.hpp).
#include "dimse/transport.hpp"

#include <dcmtk/dcmnet/dcmtrans.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "dimse/listen_socket.hpp"

namespace cf::dimse {
namespace {

class QuickAckConnection : public DcmTCPConnection {
 public:
  explicit QuickAckConnection(DcmNativeSocketType socket) : DcmTCPConnection(socket) {
    SetNoDelay(static_cast<int>(socket));
    QuickAck();
  }

  ssize_t read(void* buf, size_t nbyte) override {
    const ssize_t n = DcmTCPConnection::read(buf, nbyte);
    QuickAck();
    return n;
  }

 private:
  void QuickAck() {
    const int on = 1;
    ::setsockopt(static_cast<int>(getSocket()), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
  }
};

}  // namespace

DcmTransportConnection* ScpTransportLayer::createConnection(DcmNativeSocketType socket,
                                                            OFBool use_secure_layer) {
  if (use_secure_layer) return nullptr;
  return new QuickAckConnection(socket);
}

}  // namespace cf::dimse
