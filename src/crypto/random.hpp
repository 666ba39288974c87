// SPDX-License-Identifier: Apache-2.0
// Cryptographically strong random values (OpenSSL RAND_bytes), for keys and
// identifiers that must not be guessable.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace cf::crypto {

// `bytes` random bytes as 2*bytes lowercase hex characters.
std::string RandomHex(size_t bytes);

// Fills `out` with random bytes (nonces, keys).
void RandomBytes(std::span<std::byte> out);

}  // namespace cf::crypto
