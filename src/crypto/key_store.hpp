// SPDX-License-Identifier: Apache-2.0
// The key hierarchy of encryption at rest (envelope encryption):
//
//   master key (KeyProvider: a local file or environment variable today; a
//   KMS or HSM later)  --wraps-->  data keys, one or more per tenant
//   (DATA/keys/<tenant>.<key-id>.wrapped)  --seal-->  blobs, journal records
//
// Every sealed record carries the 32-bit id of its data key, so that a
// rotation can tell which key a record used and old keys stay usable for
// reading. Key ids are unique within a key folder (across tenants). Each
// data key belongs to a crypto suite (suite.hpp), recorded in its file, so
// the key id also says which algorithms sealed a record.
//
// Rotation: a new key of a tenant is its active key at once in the process
// that made it, and in every other process sharing the folder as soon as it
// next seals something (Active() looks at the folder when its modification
// time changed, and at least every refresh interval). Old keys stay for
// reading until they are retired (Remove) once nothing uses them.
// Deleting a tenant's wrapped key files makes everything sealed with them
// unreadable (crypto-shredding); the master key alone cannot bring them back.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/tenant.hpp"
#include "crypto/aead.hpp"
#include "crypto/suite.hpp"

namespace cf::crypto {

using cf::kDefaultTenant;

// Master-key operations. A KMS or HSM implementation wraps and unwraps
// remotely and never hands out the master key. Thread-safe.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  // Wraps (encrypts) `data_key` with the algorithms of `suite`, binding
  // `context` (tenant and key id), so that a wrapped key renamed to another
  // tenant or id fails to unwrap.
  virtual Result<Bytes> Wrap(ByteView data_key, std::string_view context, CryptoSuite suite) = 0;
  // kInternal ("cannot unwrap") for another master key, context, suite or damage.
  virtual Result<SecretBytes> Unwrap(ByteView wrapped, std::string_view context,
                                     CryptoSuite suite) = 0;
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
  CryptoSuite suite = CryptoSuite::kDefault;
  uint64_t created_ms = 0;  // ms since 1970
  std::unique_ptr<Aead> aead;
};

// What `cloudfilm keys list` shows of a key: never its material.
struct KeyInfo {
  uint32_t id = 0;
  std::string tenant;
  CryptoSuite suite = CryptoSuite::kDefault;
  uint64_t created_ms = 0;
  bool active = false;  // the newest of its tenant: what new data is sealed with
};

struct KeyStoreOptions {
  // The suite of the keys created for a tenant; tenants not listed keep
  // the suite of their newest key (default for their first).
  std::map<std::string, CryptoSuite, std::less<>> suites;
  // Active() looks for keys other processes added (a rotation) whenever the
  // folder's modification time changes, and at least this often.
  std::chrono::milliseconds refresh_interval{2000};
};

// Data keys, wrapped on disk in one folder and cached unwrapped in memory.
// Thread-safe; several processes may share the folder (creating, removing
// and re-wrapping keys take an flock on dir/.lock).
class KeyStore {
 public:
  // Creates `dir` (0700) when missing. Borrows nothing: owns `provider`.
  static Result<std::unique_ptr<KeyStore>> Open(std::filesystem::path dir,
                                                std::unique_ptr<KeyProvider> provider,
                                                KeyStoreOptions options = {});
  ~KeyStore();

  // The key that new data of `tenant` is sealed with: its newest key (by
  // creation time), created (and its wrapped file made durable) on first
  // use. A newest key this process cannot unwrap (made under another
  // master key) is logged and passed over for the one before.
  Result<std::shared_ptr<const DataKey>> Active(std::string_view tenant);

  // The key with id `id`, for reading. kNotFound, with a message naming the
  // id, when its file is gone (crypto-shredded, retired or not restored).
  Result<std::shared_ptr<const DataKey>> Find(uint32_t id);

  // Creates a new key for `tenant` in its configured suite (a tenant not
  // in the options keeps the suite of its newest key), which becomes its
  // active key. Refused (kConflict) when the folder's keys are wrapped
  // under another master key than this process's (a master-key rotation
  // happened since it started: restart it with the new one).
  Result<std::shared_ptr<const DataKey>> Rotate(std::string_view tenant);

  // Rotates `tenant` when its active key is not of its configured suite (the
  // setting changed), once even when several processes start together.
  // Tenants not in the options are left alone.
  // Returns whether a key was created.
  Result<bool> RotateIfSuiteChanged(std::string_view tenant);

  // Every data key in the folder (headers only: nothing is unwrapped), by
  // tenant then creation time.
  Result<std::vector<KeyInfo>> List();

  // Deletes the wrapped file of key `id`: what it sealed can never be read
  // again. kConflict when it is its tenant's active key (rotate first);
  // kNotFound when there is no such key. The caller makes sure nothing
  // still uses it.
  Result<void> Remove(uint32_t id);

  CryptoSuite SuiteOf(std::string_view tenant) const;

  // True when `dir` holds at least one wrapped data key.
  static bool HasKeys(const std::filesystem::path& dir);

  const KeyProvider& provider() const { return *provider_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Entry {
    std::string tenant;
    CryptoSuite suite = CryptoSuite::kDefault;
    uint64_t created_ms = 0;
  };
  KeyStore(std::filesystem::path dir, std::unique_ptr<KeyProvider> provider,
           KeyStoreOptions options);
  // Re-reads the folder's key headers when it changed (or `force`).
  void RefreshLocked(bool force);
  // The tenant's key ids, newest first.
  std::vector<uint32_t> NewestFirstLocked(std::string_view tenant) const;
  CryptoSuite SuiteForNewKeyLocked(std::string_view tenant) const;
  Result<std::shared_ptr<const DataKey>> LoadLocked(uint32_t id);
  // REQUIRES: the folder lock is held.
  Result<std::shared_ptr<const DataKey>> CreateLocked(std::string_view tenant);
  Result<void> CheckMasterKeyLocked();

  std::filesystem::path dir_;
  std::unique_ptr<KeyProvider> provider_;
  KeyStoreOptions options_;
  std::mutex mutex_;
  std::map<uint32_t, Entry> index_;                                            // guarded by mutex_
  std::map<uint32_t, std::shared_ptr<const DataKey>> by_id_;                   // guarded by mutex_
  std::map<std::string, std::shared_ptr<const DataKey>, std::less<>> active_;  // guarded by mutex_
  std::chrono::steady_clock::time_point scanned_at_{};                         // guarded by mutex_
  timespec dir_mtime_{};                                                       // guarded by mutex_
  bool scanned_ = false;                                                       // guarded by mutex_
};

// Master-key rotation: re-wraps every data key and signing key in `dir`
// and the `others` (the databases key) from `from` to `to`, one file at a time, each
// atomically (written beside, fsynced, renamed over, folder fsynced), under
// the folder lock. A file that `to` already unwraps is left as it is, so an
// interrupted run is finished by running it again with the same two keys.
// kInternal when a file unwraps under neither. `limit` (tests) stops after
// that many files were re-wrapped.
struct WrappedKeyFile {
  std::filesystem::path file;
  std::string context;  // its wrap's associated data (default suite)
};
struct RewrapReport {
  int64_t rewrapped = 0;
  int64_t already = 0;  // under `to` already (an earlier, interrupted run)
};
Result<RewrapReport> RewrapKeyFolder(const std::filesystem::path& dir, KeyProvider& from,
                                     KeyProvider& to, const std::vector<WrappedKeyFile>& others,
                                     int64_t limit = -1);

}  // namespace cf::crypto
