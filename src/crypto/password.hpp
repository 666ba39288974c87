// SPDX-License-Identifier: Apache-2.0
// Password hashing for user accounts (Argon2id, libsodium). A password is the
// one secret here with little entropy, so an attacker holding a copy of the
// account table can guess offline; Argon2id makes each guess cost both time
// and memory, which is what GPUs and ASICs lack. Stored values are the
// self-describing "$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<hash>" strings
// libsodium produces, so each one carries its own salt and cost and the cost
// can be raised later without a migration (PasswordNeedsRehash at login).
//
// All functions are thread-safe. HashPassword and VerifyPassword block for
// the whole hash (about a tenth of a second and 64 MiB at the default cost):
// call them from the blocking pool, never from an I/O thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cf::crypto {

// Work factors of Argon2id. The defaults are those of DefaultPasswordCost().
struct PasswordCost {
  unsigned long long ops = 3;           // passes over memory (t)
  size_t mem_bytes = size_t{64} << 20;  // memory per hash, rounded down to KiB (m)
};

// t=3, m=64 MiB: RFC 9106's second recommended setting and above OWASP's
// minimums. libsodium's MODERATE preset (t=3, m=256 MiB) would let a handful of
// concurrent logins take a gigabyte on a 2-core archive server, and the
// memory term, not time, is what hurts an attacker, so 64 MiB with three
// passes is the balance we take.
PasswordCost DefaultPasswordCost();

// The cheapest cost libsodium allows (t=1, m=8 KiB). For unit tests only:
// a password hashed with it is barely protected.
PasswordCost TestPasswordCost();

// Hashes `password` under a fresh random salt. kInvalidArgument when `cost`
// is outside libsodium's limits; kInternal when the memory cannot be had.
// Does not apply CheckPasswordPolicy: callers setting a new password do.
Result<std::string> HashPassword(std::string_view password,
                                 PasswordCost cost = DefaultPasswordCost());

// True when `password` hashes to `stored_hash` (compared in constant time).
// False, never an error, for anything that is not a well-formed Argon2 hash
// string, so a corrupted or empty column simply fails the login.
bool VerifyPassword(std::string_view stored_hash, std::string_view password);

// True when `stored_hash` was not made with `cost` (or is not an Argon2id
// string at all): after a successful VerifyPassword, the caller re-hashes
// the password it just checked and stores the result.
bool PasswordNeedsRehash(std::string_view stored_hash, PasswordCost cost = DefaultPasswordCost());

inline constexpr size_t kMinPasswordBytes = 10;
// Long enough for any passphrase or password manager; the bound keeps
// request bodies and hashing time predictable.
inline constexpr size_t kMaxPasswordBytes = 1024;

// kInvalidArgument unless `password` has kMinPasswordBytes to
// kMaxPasswordBytes bytes (bytes of UTF-8, not characters). The message
// names the limit and never contains the password.
Result<void> CheckPasswordPolicy(std::string_view password);

}  // namespace cf::crypto
