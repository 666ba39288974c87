// SPDX-License-Identifier: Apache-2.0
// Bearer secrets: API tokens, session ids, share tokens. Whoever presents one
// is let in, so a token is shown once to its owner and only a hash of its
// secret is stored: a leaked table then opens nothing.
//
// Text form: "<prefix>_<id>_<secret>".
//  - prefix: [a-z]{2,8}, names the kind ("cft" API token, "cfs" session), so
//    secret scanners and people can tell a leaked token from noise;
//  - id: 16 lowercase hex characters (8 random bytes), public: the row to
//    look up and the name used in audit events and logs;
//  - secret: 43 base64url characters (32 random bytes, no padding).
// The secret's alphabet contains '_' itself, so the text is parsed by
// position (prefix up to the first '_', then fixed lengths), never split.
//
// The secret has 256 bits of entropy, so a plain SHA-256 of it is as good as a
// slow password hash and lets every request be checked cheaply.
//
// All functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "crypto/sha256.hpp"

namespace cf::crypto {

inline constexpr size_t kTokenIdChars = 16;
inline constexpr size_t kTokenSecretChars = 43;

struct IssuedToken {
  std::string id;            // store, log, audit
  std::string text;          // give to the owner once; never store or log
  Sha256Digest secret_hash;  // store; HashTokenSecret of the secret in `text`
};

// REQUIRES: `prefix` matches [a-z]{2,8} (a constant in the caller; throws
// std::invalid_argument otherwise, as that is a bug).
IssuedToken IssueToken(std::string_view prefix);

struct ParsedToken {
  std::string prefix;
  std::string id;
  std::string secret;
};

// Checks the whole format (lengths, alphabets, separators, and that the secret
// is the canonical encoding of 32 bytes); nullopt for anything else, so
// garbage never reaches a database lookup. The caller still compares the
// prefix with the kind it expects.
std::optional<ParsedToken> ParseToken(std::string_view text);

// SHA-256 of the secret's text as it appears in the token.
Sha256Digest HashTokenSecret(std::string_view secret);

// Compares in time that depends only on the sizes (CRYPTO_memcmp), so that a
// response time does not reveal how much of a guessed hash matched. False if
// the sizes differ; sizes are not secret.
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);

// RFC 4648 section 5 alphabet, without padding: tokens go in URLs and headers.
std::string Base64UrlEncode(ByteView data);
// Strict inverse of Base64UrlEncode: nullopt for padding, characters outside
// the alphabet, impossible lengths, or non-zero unused bits, so every byte
// string has exactly one accepted text.
std::optional<Bytes> Base64UrlDecode(std::string_view text);

}  // namespace cf::crypto
