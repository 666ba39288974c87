// SPDX-License-Identifier: Apache-2.0
// HMAC (RFC 2104) over any OpenSSL digest. HMAC-SHA256 signs what we send
// to outside gateways (notification webhooks), which check it with the
// shared secret; HMAC-SM3 is the national suite's (sm3.hpp).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>

#include "core/bytes.hpp"
#include "crypto/sha256.hpp"

namespace cf::crypto {

// HMAC-SHA256 of `data` (ToHex in sha256.hpp prints it). Any key length,
// the empty key included.
Sha256Digest HmacSha256(ByteView key, ByteView data);

// HMAC with OpenSSL digest `digest` ("SHA256", "SM3") of the concatenation
// of `parts` (fed in order, never copied together) into `out`, whose size
// must be the digest's. Throws std::runtime_error when OpenSSL lacks the
// digest: a broken installation, not an error a caller can handle.
void Hmac(const char* digest, ByteView key, std::initializer_list<ByteView> parts,
          std::span<std::byte> out);

}  // namespace cf::crypto
