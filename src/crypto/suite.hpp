// SPDX-License-Identifier: Apache-2.0
// Crypto suites a tenant's data keys can belong to. A hospital that must pass
// the commercial cryptography assessment (密评, GB/T 39786) uses the Chinese
// national algorithms; everyone else the default. The suite is recorded with
// each data key, and every sealed record names its data key by id, so readers
// never guess: they open whatever suite sealed a record.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::crypto {

enum class CryptoSuite : uint8_t {
  kDefault = 0,  // AES-256-GCM, SHA-256 (Ed25519 signatures)
  kSm = 1,       // SM4-CTR + HMAC-SM3, SM3 (SM2 signatures)
};

// "default" or "sm": the names of the configuration and of `cloudfilm keys list`.
std::string_view SuiteName(CryptoSuite suite);
std::optional<CryptoSuite> ParseSuite(std::string_view name);

class Aead;
// An AEAD of `suite` keyed by `key` (32 bytes for every suite).
// kInvalidArgument for another key size.
Result<std::unique_ptr<Aead>> MakeAead(CryptoSuite suite, ByteView key);

}  // namespace cf::crypto
