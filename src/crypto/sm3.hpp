// SPDX-License-Identifier: Apache-2.0
// SM3 (GB/T 32905-2016), the national suite's hash, and HMAC over it
// (RFC 2104 with SM3), from OpenSSL 3. Used by the national suite's AEAD
// (sm_aead.hpp) for its tag and its key derivation.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>

#include "core/bytes.hpp"

namespace cf::crypto {

inline constexpr size_t kSm3Bytes = 32;
using Sm3Digest = std::array<std::byte, kSm3Bytes>;

Sm3Digest Sm3(ByteView data);

// HMAC-SM3 of the concatenation of `parts` (fed in order, never copied
// together). Any key length.
Sm3Digest HmacSm3(ByteView key, std::initializer_list<ByteView> parts);

}  // namespace cf::crypto
