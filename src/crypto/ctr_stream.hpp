// SPDX-License-Identifier: Apache-2.0
// An AES-256-CTR key stream with random access, under a random key made
// for one file and kept only in memory (the STOW-RS spool). The counter
// block is 8 random bytes (the nonce) then the 64-bit big-endian index of
// the 16-byte block, so the stream at any offset is known without the
// bytes before it, and 2^64 blocks never wrap. Confidentiality only, no
// integrity: for files that a stolen disk must not reveal, and that only
// this process writes while they exist.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/error.hpp"

namespace cf::crypto {

class CtrStream {
 public:
  // A fresh random key and nonce; kInternal when no randomness is to be had.
  static Result<CtrStream> Create();
  CtrStream(CtrStream&&) noexcept;
  CtrStream& operator=(CtrStream&&) = delete;
  CtrStream(const CtrStream&) = delete;
  CtrStream& operator=(const CtrStream&) = delete;
  ~CtrStream();  // wipes the key and nonce

  // XORs the key stream from byte `offset` into `out` (`in` and `out` may
  // be the same): encrypts and decrypts alike.
  Result<void> Xor(uint64_t offset, const std::byte* in, std::byte* out, size_t size) const;

 private:
  CtrStream() = default;
  unsigned char key_[32] = {};
  unsigned char nonce_[8] = {};
};

}  // namespace cf::crypto
