// SPDX-License-Identifier: Apache-2.0
// The TCP transport DCMTK uses for our associations. Two socket options
// matter for small objects: TCP_NODELAY (our responses leave at once) and
// TCP_QUICKACK (the sender's segments are acknowledged at once). The second
// is what helps a sender that keeps Nagle's algorithm on, like Debian's
// storescu: it holds back the data set behind the C-STORE command until the
// command is acknowledged, and Linux delays that ACK by ~40 ms in a
// request/response exchange. Linux drops quick-ACK mode on its own, so it is
// set again after every read. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/dcmlayer.h>

namespace cf::dimse {

class ScpTransportLayer : public DcmTransportLayer {
 public:
  // TLS is not offered (useSecureLayer must be false).
  DcmTransportConnection* createConnection(DcmNativeSocketType socket,
                                           OFBool use_secure_layer) override;
};

}  // namespace cf::dimse
