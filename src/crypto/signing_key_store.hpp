// SPDX-License-Identifier: Apache-2.0
// Signing keys kept in the key folder (DATA/keys) beside the data keys,
// under the same master key (key_store.hpp's KeyProvider):
//
//   <owner>.sign.<key-id>.wrapped   the private key, wrapped
//   <owner>.sign.<key-id>.pub.pem   its public key, in clear (PEM SPKI)
//
// <owner> is a tenant code (its film manifests) or kLedgerKeyOwner (the
// platform's transparency log); <key-id> is the full key id
// (signing.hpp: SHA-256 of the public key). Wrapped file, little endian:
//
//   "CFS1" | u8 suite (1 ed25519, 2 sm2) | u64 created (ms since 1970) |
//   u16 owner length | owner | wrapped PKCS#8 DER (nonce | ciphertext | tag)
//
// The wrap binds owner, suite and key id, so a file renamed to another
// owner or id fails to unwrap. The public key files are for verifiers that
// have no master key (an auditor given a copy of the folder, film packages);
// they are checked against their name's key id when read. Deleting an
// owner's wrapped files ends its ability to sign; what it signed stays
// verifiable with the public key files. The data-key files
// ("<tenant>.<number>.wrapped") and these never collide: "x.sign" is not a
// tenant name.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "crypto/key_store.hpp"
#include "crypto/signing.hpp"

namespace cf::crypto {

// The owner of the platform's transparency-log key ('_' cannot start a
// tenant code).
inline constexpr std::string_view kLedgerKeyOwner = "_ledger";

// A wrapped signing key file taken apart: what loading a key and
// master-key rotation (RewrapKeyFolder) need.
struct WrappedSigningKey {
  std::string owner;
  std::string key_id;
  SignatureSuite suite = SignatureSuite::kEd25519;
  Bytes prefix;         // the file's bytes before the wrapped key
  Bytes wrapped;        // the private key (PKCS#8), wrapped in the default suite
  std::string context;  // the wrap's associated data
};
// nullopt when `file` is not named like a wrapped signing key; kInternal
// "damaged signing key file ..." when it is but does not parse or its
// contents do not match its name.
Result<std::optional<WrappedSigningKey>> ReadWrappedSigningKey(const std::filesystem::path& file);

// Signing keys, unwrapped on first use and cached. Thread-safe; processes
// sharing the folder agree on the active key (creation takes dir/.lock).
class SigningKeyStore {
 public:
  // Creates `dir` (0700) when missing. Owns `provider`.
  static Result<std::unique_ptr<SigningKeyStore>> Open(std::filesystem::path dir,
                                                       std::unique_ptr<KeyProvider> provider);

  // The newest key of `owner` in `suite`, created (and made durable, both
  // files) when it has none. kInvalidArgument for an owner that is not
  // [a-z0-9_-]{1,64}.
  Result<std::shared_ptr<const SigningKey>> Active(std::string_view owner, SignatureSuite suite);

  // The private key with id `key_id`. kNotFound when no wrapped file has it.
  Result<std::shared_ptr<const SigningKey>> Find(std::string_view key_id);

 private:
  SigningKeyStore(std::filesystem::path dir, std::unique_ptr<KeyProvider> provider);
  Result<std::shared_ptr<const SigningKey>> LoadLocked(const std::filesystem::path& file);
  Result<std::shared_ptr<const SigningKey>> NewestLocked(std::string_view owner,
                                                         SignatureSuite suite);
  Result<std::shared_ptr<const SigningKey>> CreateLocked(std::string_view owner,
                                                         SignatureSuite suite);

  std::filesystem::path dir_;
  std::unique_ptr<KeyProvider> provider_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const SigningKey>, std::less<>> by_id_;  // guarded
};

// The public key `key_id` from `dir`, without the master key. kNotFound
// when there is no such file; kConflict when the file holds another key
// than its name says.
Result<VerifyingKey> ReadPublicSigningKey(const std::filesystem::path& dir,
                                          std::string_view key_id);

// Every public key of `owner` in `dir` (any suite), in key id order.
Result<std::vector<VerifyingKey>> ListPublicSigningKeys(const std::filesystem::path& dir,
                                                        std::string_view owner);

}  // namespace cf::crypto
