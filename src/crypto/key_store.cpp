// SPDX-License-Identifier: Apache-2.0
// The data keys of a key folder (file format: key_file.hpp). The folder is
// the truth: this process keeps an index of the key files' headers and the
// keys it unwrapped, and refreshes the index when the folder changes, so
// that a key another process creates (`cloudfilm keys rotate`) or removes
// (`cloudfilm keys retire`, crypto-shredding) takes effect here too.
#include "crypto/key_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "core/log.hpp"
#include "core/time_text.hpp"
#include "crypto/key_file.hpp"
#include "crypto/random.hpp"

namespace cf::crypto {
namespace fs = std::filesystem;

namespace {

timespec ModificationTime(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool operator==(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

KeyStore::KeyStore(fs::path dir, std::unique_ptr<KeyProvider> provider, KeyStoreOptions options)
    : dir_(std::move(dir)), provider_(std::move(provider)), options_(std::move(options)) {}
KeyStore::~KeyStore() = default;

Result<std::unique_ptr<KeyStore>> KeyStore::Open(fs::path dir,
                                                 std::unique_ptr<KeyProvider> provider,
                                                 KeyStoreOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot create key folder " + dir.string() + ": " + ec.message());
  }
  ::chmod(dir.c_str(), 0700);
  return std::unique_ptr<KeyStore>(
      new KeyStore(std::move(dir), std::move(provider), std::move(options)));
}

bool KeyStore::HasKeys(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string tenant;
    uint32_t id = 0;
    if (keyfile::ParseFileName(e.path().filename().string(), &tenant, &id)) return true;
  }
  return false;
}

CryptoSuite KeyStore::SuiteOf(std::string_view tenant) const {
  const auto it = options_.suites.find(tenant);
  return it == options_.suites.end() ? CryptoSuite::kDefault : it->second;
}

CryptoSuite KeyStore::SuiteForNewKeyLocked(std::string_view tenant) const {
  if (options_.suites.contains(tenant)) return SuiteOf(tenant);
  // Not configured here (a CLI run without the server's configuration):
  // keep the tenant's suite rather than fall back to the default.
  const auto ids = NewestFirstLocked(tenant);
  return ids.empty() ? CryptoSuite::kDefault : index_.at(ids.front()).suite;
}

void KeyStore::RefreshLocked(bool force) {
  const auto now = std::chrono::steady_clock::now();
  // Taken before the listing: a change during it is seen next time.
  const timespec mtime = ModificationTime(dir_);
  if (!force && scanned_ && mtime == dir_mtime_ && now - scanned_at_ < options_.refresh_interval) {
    return;
  }
  std::map<uint32_t, Entry> index;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string tenant;
    uint32_t id = 0;
    if (!keyfile::ParseFileName(e.path().filename().string(), &tenant, &id)) continue;
    if (auto it = index_.find(id); it != index_.end() && it->second.tenant == tenant) {
      index.emplace(id, it->second);  // headers never change (a re-wrap keeps them)
      continue;
    }
    auto contents = keyfile::Read(e.path());
    if (!contents) {
      log::Warn("keys.unreadable_key_file",
                {{"file", e.path().filename().string()}, {"error", contents.error().message}});
      continue;
    }
    index.emplace(id, Entry{tenant, contents->header.suite, contents->header.created_ms});
  }
  if (ec) return;  // keep what we knew; the next call tries again
  // Keys whose files are gone (retired, shredded) are forgotten here too.
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    it = index.contains(it->first) ? std::next(it) : by_id_.erase(it);
  }
  index_ = std::move(index);
  active_.clear();
  dir_mtime_ = mtime;
  scanned_at_ = now;
  scanned_ = true;
}

std::vector<uint32_t> KeyStore::NewestFirstLocked(std::string_view tenant) const {
  std::vector<uint32_t> ids;
  for (const auto& [id, e] : index_) {
    if (e.tenant == tenant) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
    const Entry& ea = index_.at(a);
    const Entry& eb = index_.at(b);
    return ea.created_ms != eb.created_ms ? ea.created_ms > eb.created_ms : a > b;
  });
  return ids;
}

Result<std::shared_ptr<const DataKey>> KeyStore::LoadLocked(uint32_t id) {
  if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  const auto entry = index_.find(id);
  if (entry == index_.end()) {
    return Fail(ErrorCode::kNotFound, "data key " + std::to_string(id) + " is not in " +
                                          dir_.string() + " (deleted: crypto-shredded?)");
  }
  const fs::path file = dir_ / keyfile::FileName(entry->second.tenant, id);
  auto contents = keyfile::Read(file);
  if (!contents) return std::unexpected(contents.error());
  const keyfile::Header& h = contents->header;
  auto key = provider_->Unwrap(contents->wrapped, keyfile::WrapContext(h), h.suite);
  if (!key) {
    return Fail(key.error().code, key.error().message + " (" + file.filename().string() + ")");
  }
  auto aead = MakeAead(h.suite, key->view());
  if (!aead) return std::unexpected(aead.error());
  auto dk = std::make_shared<const DataKey>(
      DataKey{h.id, h.tenant, h.suite, h.created_ms, std::move(*aead)});
  by_id_[id] = dk;
  return dk;
}

Result<void> KeyStore::CheckMasterKeyLocked() {
  // One existing key that unwraps shows the folder and this process agree
  // on the master key; a key wrapped under a master key nobody else has
  // would be unreadable everywhere else.
  if (index_.empty()) return {};
  const uint32_t id = index_.begin()->first;
  const Entry& e = index_.begin()->second;
  auto contents = keyfile::Read(dir_ / keyfile::FileName(e.tenant, id));
  if (!contents) return std::unexpected(contents.error());
  auto key = provider_->Unwrap(contents->wrapped, keyfile::WrapContext(contents->header),
                               contents->header.suite);
  if (!key) {
    return Fail(ErrorCode::kConflict,
                "the keys in " + dir_.string() +
                    " are wrapped under another master key than this process's (was the "
                    "master key rotated? restart with the new one)");
  }
  return {};
}

Result<std::shared_ptr<const DataKey>> KeyStore::CreateLocked(std::string_view tenant) {
  if (auto r = CheckMasterKeyLocked(); !r) return std::unexpected(r.error());
  SecretBytes key(kAeadKeyBytes);
  RandomBytes(key.span());
  // Random ids: a key created after another was shredded never takes its
  // id, so old records name a key that is gone instead of the wrong one.
  uint32_t id = 0;
  while (id == 0 || index_.contains(id) || by_id_.contains(id)) {
    std::byte raw[4];
    RandomBytes(raw);
    id = 0;
    for (int i = 0; i < 4; ++i) id |= static_cast<uint32_t>(raw[i]) << (8 * i);
  }
  keyfile::Header h{id, static_cast<uint64_t>(UnixNowMs()), SuiteForNewKeyLocked(tenant),
                    std::string(tenant)};
  // Never older than a key of the tenant: the newest key is the active one,
  // and clocks of two machines sharing a folder may disagree.
  for (const auto& [other, e] : index_) {
    if (e.tenant == tenant && e.created_ms >= h.created_ms) h.created_ms = e.created_ms + 1;
  }
  auto wrapped = provider_->Wrap(key.view(), keyfile::WrapContext(h), h.suite);
  if (!wrapped) return std::unexpected(wrapped.error());
  const fs::path path = dir_ / keyfile::FileName(tenant, id);
  if (auto w = keyfile::WriteNew(path, keyfile::Encode(h, *wrapped)); !w) {
    return std::unexpected(w.error());
  }
  log::Info("keys.data_key_created", {{"tenant", std::string(tenant)},
                                      {"key_id", id},
                                      {"suite", std::string(SuiteName(h.suite))}});
  auto aead = MakeAead(h.suite, key.view());
  if (!aead) return std::unexpected(aead.error());
  index_[id] = Entry{h.tenant, h.suite, h.created_ms};
  auto dk = std::make_shared<const DataKey>(
      DataKey{id, h.tenant, h.suite, h.created_ms, std::move(*aead)});
  by_id_[id] = dk;
  return dk;
}

Result<std::shared_ptr<const DataKey>> KeyStore::Active(std::string_view tenant) {
  if (!keyfile::IsValidTenant(tenant)) {
    return Fail(ErrorCode::kInvalidArgument, "invalid tenant name");
  }
  std::lock_guard lock(mutex_);
  RefreshLocked(false);
  if (auto it = active_.find(tenant); it != active_.end()) return it->second;
  const std::vector<uint32_t> ids = NewestFirstLocked(tenant);
  std::optional<Error> first_error;
  for (uint32_t id : ids) {
    auto k = LoadLocked(id);
    if (!k) {
      if (!first_error) first_error = k.error();
      continue;
    }
    if (first_error) {
      // Sealing with the key before is safe; a process that cannot read
      // what its peers seal is not, and must be told.
      log::Error("keys.newest_key_unreadable",
                 {{"tenant", std::string(tenant)}, {"error", first_error->message}});
    }
    active_.emplace(std::string(tenant), *k);
    return *k;
  }
  if (first_error) return std::unexpected(*first_error);
  // None yet: create one under the folder lock, so that concurrent
  // processes agree on one.
  keyfile::DirLock dir_lock(dir_);
  if (!dir_lock.ok()) return Fail(ErrorCode::kStorageUnavailable, "cannot lock the key folder");
  RefreshLocked(true);
  if (const auto again = NewestFirstLocked(tenant); !again.empty()) {
    auto k = LoadLocked(again.front());
    if (!k) return std::unexpected(k.error());
    active_.emplace(std::string(tenant), *k);
    return *k;
  }
  auto created = CreateLocked(tenant);
  if (!created) return std::unexpected(created.error());
  active_.emplace(std::string(tenant), *created);
  return *created;
}

Result<std::shared_ptr<const DataKey>> KeyStore::Find(uint32_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  if (!index_.contains(id)) RefreshLocked(true);  // made by another process since
  return LoadLocked(id);
}

Result<std::shared_ptr<const DataKey>> KeyStore::Rotate(std::string_view tenant) {
  if (!keyfile::IsValidTenant(tenant)) {
    return Fail(ErrorCode::kInvalidArgument, "invalid tenant name");
  }
  std::lock_guard lock(mutex_);
  keyfile::DirLock dir_lock(dir_);
  if (!dir_lock.ok()) return Fail(ErrorCode::kStorageUnavailable, "cannot lock the key folder");
  RefreshLocked(true);
  auto created = CreateLocked(tenant);
  if (!created) return std::unexpected(created.error());
  active_[std::string(tenant)] = *created;
  return *created;
}

Result<bool> KeyStore::RotateIfSuiteChanged(std::string_view tenant) {
  if (!options_.suites.contains(tenant)) return false;
  auto active = Active(tenant);
  if (!active) return std::unexpected(active.error());
  if ((*active)->suite == SuiteOf(tenant)) return false;
  std::lock_guard lock(mutex_);
  keyfile::DirLock dir_lock(dir_);
  if (!dir_lock.ok()) return Fail(ErrorCode::kStorageUnavailable, "cannot lock the key folder");
  RefreshLocked(true);
  // Another process may have rotated while we waited for the lock.
  const auto ids = NewestFirstLocked(tenant);
  if (!ids.empty() && index_.at(ids.front()).suite == SuiteOf(tenant)) return false;
  auto created = CreateLocked(tenant);
  if (!created) return std::unexpected(created.error());
  active_[std::string(tenant)] = *created;
  return true;
}

Result<std::vector<KeyInfo>> KeyStore::List() {
  std::lock_guard lock(mutex_);
  RefreshLocked(true);
  std::vector<KeyInfo> keys;
  for (const auto& [id, e] : index_) {
    const auto newest = NewestFirstLocked(e.tenant);
    keys.push_back({id, e.tenant, e.suite, e.created_ms, newest.front() == id});
  }
  std::sort(keys.begin(), keys.end(), [](const KeyInfo& a, const KeyInfo& b) {
    return a.tenant != b.tenant ? a.tenant < b.tenant : a.created_ms < b.created_ms;
  });
  return keys;
}

Result<void> KeyStore::Remove(uint32_t id) {
  std::lock_guard lock(mutex_);
  keyfile::DirLock dir_lock(dir_);
  if (!dir_lock.ok()) return Fail(ErrorCode::kStorageUnavailable, "cannot lock the key folder");
  RefreshLocked(true);
  const auto it = index_.find(id);
  if (it == index_.end()) {
    return Fail(ErrorCode::kNotFound, "no data key " + std::to_string(id) + " in " + dir_.string());
  }
  const std::string tenant = it->second.tenant;
  if (NewestFirstLocked(tenant).front() == id) {
    return Fail(ErrorCode::kConflict, "data key " + std::to_string(id) +
                                          " is the active key of tenant " + tenant +
                                          ": rotate first");
  }
  const fs::path file = dir_ / keyfile::FileName(tenant, id);
  std::error_code ec;
  if (!fs::remove(file, ec) || ec) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot remove " + file.string() + ": " + (ec ? ec.message() : "not found"));
  }
  if (const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  index_.erase(id);
  by_id_.erase(id);
  active_.clear();
  log::Info("keys.data_key_removed", {{"tenant", tenant}, {"key_id", id}});
  return {};
}

}  // namespace cf::crypto
