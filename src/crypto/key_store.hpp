// SPDX-License-Identifier: Apache-2.0
// The key hierarchy of encryption at rest (envelope encryption):
//
//   master key (KeyProvider: a local file or environment variable today; a
//   KMS or HSM later)  --wraps-->  data keys, one or more per tenant
//   (DATA/keys/<tenant>.<key-id>.wrapped)  --seal-->  blobs, journal records
//
// Every sealed record carries the 32-bit id of its data key, so that a
// rotation can tell which key a record used and old keys stay usable for
// reading. Key ids are unique within a key folder (across tenants).
// Deleting a tenant's wrapped key files makes everything sealed with them
// unreadable (crypto-shredding); the master key alone cannot bring them back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/tenant.hpp"
#include "crypto/aead.hpp"

namespace cf::crypto {

using cf::kDefaultTenant;

// Master-key operations. A KMS or HSM implementation wraps and unwraps
// remotely and never hands out the master key. Thread-safe.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  // Wraps (encrypts) `data_key`, binding `context` (tenant and key id), so
  // that a wrapped key renamed to another tenant or id fails to unwrap.
  virtual Result<Bytes> Wrap(ByteView data_key, std::string_view context) = 0;
  // kInternal ("cannot unwrap") for another master key, context or damage.
  virtual Result<SecretBytes> Unwrap(ByteView wrapped, std::string_view context) = 0;
  // Where the master key comes from, for operators. Never the key itself.
  virtual std::string Describe() const = 0;
};

struct LocalMasterKeyOptions {
  // Checked first: 64 hex characters.
  std::string env_var = "CLOUDFILM_MASTER_KEY";
  // Then this file (64 hex characters, optional trailing newline), when set.
  std::filesystem::path file;
  // Else this file, created (mode 0600, with a warning) on a fresh install.
  std::filesystem::path generated;
};

// Where the master key would come from, without reading it ("environment
// CLOUDFILM_MASTER_KEY", "file /etc/...", "generated file DATA/keys/master.key").
std::string DescribeMasterKeySource(const LocalMasterKeyOptions& options);

// A KeyProvider holding the master key in memory (wiped when destroyed).
// Wraps with AES-256-GCM (see key_store.cpp for why not RFC 5649).
Result<std::unique_ptr<KeyProvider>> OpenLocalKeyProvider(const LocalMasterKeyOptions& options);
// For tests and tools: a provider around a given 32-byte key.
Result<std::unique_ptr<KeyProvider>> MakeLocalKeyProvider(ByteView master_key,
                                                          std::string description);

// A 32-byte key kept wrapped by the master key in `file` under `context`
// (created on first use, by one process when several race), for keys that
// must never change once data depends on them: the key of the encrypted
// SQLite databases (catalog/encrypted_vfs.hpp), which cannot be re-keyed
// page by page the way blobs can.
Result<SecretBytes> OpenOrCreateWrappedKey(KeyProvider& provider, const std::filesystem::path& file,
                                           std::string_view context);

// An unwrapped data key.
struct DataKey {
  uint32_t id = 0;
  std::string tenant;
  Aes256Gcm aead;
};

// Data keys, wrapped on disk in one folder and cached unwrapped in memory.
// Thread-safe; several processes may share the folder (key creation takes an
// flock on dir/.lock).
class KeyStore {
 public:
  // Creates `dir` (0700) when missing. Borrows nothing: owns `provider`.
  static Result<std::unique_ptr<KeyStore>> Open(std::filesystem::path dir,
                                                std::unique_ptr<KeyProvider> provider);
  ~KeyStore();

  // The key that new data of `tenant` is sealed with; created (and its
  // wrapped file made durable) on first use.
  Result<std::shared_ptr<const DataKey>> Active(std::string_view tenant);

  // The key with id `id`, for reading. kNotFound, with a message naming the
  // id, when its file is gone (crypto-shredded or not restored).
  Result<std::shared_ptr<const DataKey>> Find(uint32_t id);

  // True when `dir` holds at least one wrapped data key.
  static bool HasKeys(const std::filesystem::path& dir);

  const KeyProvider& provider() const { return *provider_; }

 private:
  KeyStore(std::filesystem::path dir, std::unique_ptr<KeyProvider> provider);
  Result<std::shared_ptr<const DataKey>> LoadLocked(const std::filesystem::path& file);
  Result<std::shared_ptr<const DataKey>> CreateLocked(std::string_view tenant);

  std::filesystem::path dir_;
  std::unique_ptr<KeyProvider> provider_;
  std::mutex mutex_;
  std::map<uint32_t, std::shared_ptr<const DataKey>> by_id_;                   // guarded by mutex_
  std::map<std::string, std::shared_ptr<const DataKey>, std::less<>> active_;  // guarded by mutex_
};

}  // namespace cf::crypto
