// SPDX-License-Identifier: Apache-2.0
// A film: the hospital's signed statement of what an exam is (every object
// by its hash, every report version by its hash), issued at a time and
// appended to the transparency log. Issuing again (a report amended,
// objects added) makes a new film that names the one it supersedes;
// nothing issued is ever changed.
#pragma once

#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace cf::film {

struct Film {
  std::string id;  // public, random: what the QR slip carries
  std::string tenant;
  std::string study_uid;
  std::string manifest;         // canonical JSON, the signed bytes
  std::string manifest_sha256;  // hex
  std::string suite;            // "ed25519" or "sm2" (crypto::SuiteName)
  std::string key_id;           // of the tenant's signing key
  Bytes signature;
  uint64_t ledger_index = 0;  // the log entry recording the issuance
  int64_t issued_at_ms = 0;
  std::string issued_by;
  std::string supersedes;  // the previous film of the exam, if any
};

}  // namespace cf::film
