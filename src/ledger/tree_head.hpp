// SPDX-License-Identifier: Apache-2.0
// Signed tree heads: the log's signed statement "at time T, my first N
// entries have root hash R". What is signed is RFC 6962 section 3.5's
// TreeHeadSignature, 50 bytes:
//
//   u8 version (0 = v1) | u8 signature_type (1 = tree_hash) |
//   u64 timestamp (ms since 1970, big endian) | u64 tree_size (big endian) |
//   sha256_root_hash[32]
//
// signed as is with the log key's suite (crypto/signing.hpp: Ed25519, or
// SM2 with SM3). A film package carries its tree head as JSON:
//
//   {"tree_size": 8, "timestamp": 1764390000000, "time": "2025-...Z",
//    "sha256_root_hash": "<64 hex>", "signature_suite": "ed25519",
//    "key_id": "<64 hex>", "signature": "<hex>"}
//
// ("time" is for people and is not read back: the signed timestamp is.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/signing.hpp"
#include "ledger/merkle.hpp"

namespace cf::ledger {

struct TreeHead {
  uint64_t tree_size = 0;
  int64_t timestamp_ms = 0;
  Hash root_hash{};
};

struct SignedTreeHead {
  TreeHead head;
  crypto::SignatureSuite suite = crypto::SignatureSuite::kEd25519;
  std::string key_id;  // of the log key (crypto::VerifyingKey::key_id)
  Bytes signature;
};

// The 50 bytes that are signed.
Bytes TreeHeadSignatureInput(const TreeHead& head);

Result<SignedTreeHead> SignTreeHead(const TreeHead& head, const crypto::SigningKey& key);

// Ok when `sth` is signed by `key` (same key id and suite, valid
// signature); kConflict naming what differs otherwise.
Result<void> VerifyTreeHead(const SignedTreeHead& sth, const crypto::VerifyingKey& key);

std::string ToJson(const SignedTreeHead& sth);
// kInvalidArgument naming the field that is missing or malformed.
Result<SignedTreeHead> SignedTreeHeadFromJson(std::string_view json);

// Lowercase hex, and back (nullopt unless 2n hex characters).
std::string HexOf(ByteView bytes);
std::optional<Bytes> BytesFromHex(std::string_view hex);

}  // namespace cf::ledger
