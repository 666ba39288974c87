// SPDX-License-Identifier: Apache-2.0
// The TCP transport DCMTK uses for our associations. Two socket options
// matter for small objects: TCP_NODELAY (our responses leave at once) and
// TCP_QUICKACK (the sender's segments are acknowledged at once). The second
// is what helps a sender that keeps Nagle's algorithm on, like Debian's
// storescu: it holds back the data set behind the C-STORE command until the
// command is acknowledged, and Linux delays that ACK by ~40 ms in a
// request/response exchange. Linux drops quick-ACK mode on its own, so it is
// set again after every read. Internal to the dimse part.
//
// The TLS variant (MakeTlsTransportLayer) wraps DCMTK's DcmTLSTransportLayer
// with the same socket options, a deadline on the server-side handshake,
// and TLS on every connection of the network it is set on (our accept loop
// asks DCMTK for plain connections; a TLS listener has its own network).
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/dcmlayer.h>

#include <chrono>
#include <memory>

#include "core/error.hpp"
#include "dimse/scp_server.hpp"

namespace cf::dimse {

class ScpTransportLayer : public DcmTransportLayer {
 public:
  // TLS is not offered (useSecureLayer must be false).
  DcmTransportConnection* createConnection(DcmNativeSocketType socket,
                                           OFBool use_secure_layer) override;
};

// A transport layer speaking TLS on every connection: the certificate and
// key of `tls`, the BCP 195 non-downgrading profile (TLS 1.2+, ECDHE with
// AES-GCM or ChaCha20-Poly1305), client certificates verified against the
// CA bundle when one is given (required when `require_client_certificate`).
// A handshake taking longer than `handshake_timeout` fails. Errors:
// kInvalidArgument naming the file that cannot be used.
Result<std::unique_ptr<DcmTransportLayer>> MakeTlsTransportLayer(
    const ScpTlsOptions& tls, std::chrono::seconds handshake_timeout);

}  // namespace cf::dimse
