// SPDX-License-Identifier: Apache-2.0
#include "crypto/password.hpp"

#include <sodium.h>

#include <mutex>
#include <stdexcept>

namespace cf::crypto {
namespace {

static_assert(crypto_pwhash_ALG_DEFAULT == crypto_pwhash_ALG_ARGON2ID13,
              "stored hashes are documented as Argon2id");

// sodium_init picks implementations and seeds its RNG; nothing here works
// without it, so failure is an exhausted resource, not an error value.
void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  });
}

bool CostInLimits(const PasswordCost& cost) {
  return cost.ops >= crypto_pwhash_OPSLIMIT_MIN && cost.ops <= crypto_pwhash_OPSLIMIT_MAX &&
         cost.mem_bytes >= crypto_pwhash_MEMLIMIT_MIN &&
         cost.mem_bytes <= crypto_pwhash_MEMLIMIT_MAX;
}

// libsodium reads stored hashes as C strings of at most STRBYTES - 1
// characters; a longer value or one with an embedded NUL cannot be ours.
bool PlausibleStoredHash(std::string_view stored_hash) {
  return !stored_hash.empty() && stored_hash.size() < crypto_pwhash_STRBYTES &&
         stored_hash.find('\0') == std::string_view::npos;
}

}  // namespace

PasswordCost DefaultPasswordCost() { return PasswordCost{}; }

PasswordCost TestPasswordCost() {
  return PasswordCost{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Result<std::string> HashPassword(std::string_view password, PasswordCost cost) {
  EnsureSodium();
  if (!CostInLimits(cost)) {
    return Fail(ErrorCode::kInvalidArgument, "password hash cost outside libsodium limits");
  }
  if (password.size() > crypto_pwhash_PASSWD_MAX) {
    return Fail(ErrorCode::kInvalidArgument, "password too long to hash");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // The only failure left once the inputs are checked is allocation.
    return Fail(ErrorCode::kInternal, "password hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  EnsureSodium();
  if (!PlausibleStoredHash(stored_hash)) return false;
  const std::string terminated(stored_hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view stored_hash, PasswordCost cost) {
  EnsureSodium();
  if (!PlausibleStoredHash(stored_hash)) return true;
  const std::string terminated(stored_hash);
  // 0: same algorithm and cost; 1: other cost; -1: not an Argon2id string.
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), cost.ops, cost.mem_bytes) != 0;
}

Result<void> CheckPasswordPolicy(std::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                "password too short: at least " + std::to_string(kMinPasswordBytes) + " bytes");
  }
  if (password.size() > kMaxPasswordBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                "password too long: at most " + std::to_string(kMaxPasswordBytes) + " bytes");
  }
  return {};
}

}  // namespace cf::crypto
