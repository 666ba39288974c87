// SPDX-License-Identifier: Apache-2.0
// C-ECHO as SCU (PS3.7 9.3.5): "is this DICOM node there, and does it
// accept us?" — what an admin asks after registering a peer. A public header
// of the dimse part, free of DCMTK types.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "dimse/scp_server.hpp"

namespace cf::dimse {

struct EchoRequest {
  std::string calling_ae;  // ours
  std::string called_ae;   // the peer's
  DicomPeer peer;
  // For each step: the TCP connection, the association, the C-ECHO response.
  std::chrono::seconds timeout{5};
};

// Connects, associates proposing Verification, sends a C-ECHO and releases.
// Returns the round trip in milliseconds. Errors (the message says which
// step failed, for the admin to read): kInvalidArgument (bad AE titles or
// address), kNotFound (the host name does not resolve), kTimeout (no answer
// in time), kStorageUnavailable (connection refused, association rejected,
// Verification not accepted, a C-ECHO status other than success).
// Blocks for up to about three times `timeout`; thread-safe.
Result<int64_t> Echo(const EchoRequest& request);

}  // namespace cf::dimse
