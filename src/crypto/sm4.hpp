// SPDX-License-Identifier: Apache-2.0
// SM4 (GB/T 32907-2016), the national suite's block cipher, from OpenSSL 3.
// Debian's OpenSSL 3.0 has SM4 in ECB, CBC, CTR, CFB and OFB modes but not
// GCM or CCM, so the national AEAD is SM4-CTR with an HMAC-SM3 tag
// (sm_aead.hpp) rather than SM4-GCM.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::crypto {

inline constexpr size_t kSm4KeyBytes = 16;
inline constexpr size_t kSm4BlockBytes = 16;
using Sm4Block = std::array<std::byte, kSm4BlockBytes>;

// Encrypts one block (ECB): what the standard's examples check.
// kInvalidArgument unless `key` is 16 bytes.
Result<Sm4Block> Sm4EncryptBlock(ByteView key, const Sm4Block& block);

// SM4 in counter mode: `out` = `in` XOR the keystream from the 128-bit
// big-endian counter `iv`. Encrypts and decrypts; `out` may be `in`.
// REQUIRES: out.size() == in.size().
Result<void> Sm4Ctr(ByteView key, const Sm4Block& iv, ByteView in, std::span<std::byte> out);

}  // namespace cf::crypto
