// SPDX-License-Identifier: Apache-2.0
// SHA-256 digests (OpenSSL). Used to fingerprint received objects: the digest
// of the exact received bytes is recorded at ingest and checked by fsck,
// retrieval tests and film manifests.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace cf::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(ByteView data);
std::string ToHex(const Sha256Digest& digest);
std::optional<Sha256Digest> Sha256FromHex(std::string_view hex);

// Incremental hashing for streamed data. Not thread-safe; one per stream.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  Sha256Digest Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cf::crypto
