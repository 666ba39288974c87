// SPDX-License-Identifier: Apache-2.0
// Key wrapping is AES-256-GCM under the master key rather than RFC 5649
// (EVP_aes_256_wrap_pad): GCM authenticates associated data, which binds a
// wrapped key to its tenant and key id (a file renamed to another tenant
// fails to unwrap), and it is the one primitive the rest of the code uses.
// Its random 96-bit nonces are safe for the handful of data keys one master
// key ever wraps. A KMS provider would use the KMS's own wrap call.
//
// Wrapped key file, little endian:
//   "CFK1" | u32 key id | u64 created (ms since 1970) | u16 tenant length |
//   tenant | nonce (12) | wrapped key (32) | tag (16)
#include "crypto/key_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "crypto/key_file.hpp"
#include "crypto/random.hpp"

namespace cf::crypto {
namespace fs = std::filesystem;

namespace {

constexpr char kKeyMagic[4] = {'C', 'F', 'K', '1'};
constexpr std::string_view kWrappedSuffix = ".wrapped";

std::string WrapContext(std::string_view tenant, uint32_t id) {
  return "cloudfilm-data-key-v1/" + std::string(tenant) + "/" + std::to_string(id);
}

bool IsValidTenant(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (char c : t) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

void PutLe(Bytes& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
uint64_t GetLe(const std::byte* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// "<tenant>.<id>.wrapped" -> tenant, id.
bool ParseKeyFileName(const std::string& name, std::string* tenant, uint32_t* id) {
  if (!name.ends_with(kWrappedSuffix)) return false;
  const std::string stem = name.substr(0, name.size() - kWrappedSuffix.size());
  const auto dot = stem.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == stem.size()) return false;
  uint64_t v = 0;
  for (char c : stem.substr(dot + 1)) {
    if (c < '0' || c > '9' || v > 0xffffffffull) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v == 0 || v > 0xffffffffull) return false;
  *tenant = stem.substr(0, dot);
  *id = static_cast<uint32_t>(v);
  return IsValidTenant(*tenant);
}

Result<SecretBytes> ParseHexKey(std::string_view text, const std::string& where) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text.size() != 2 * kAeadKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                "master key from " + where + " must be 64 hex characters (32 bytes)");
  }
  SecretBytes key(kAeadKeyBytes);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < kAeadKeyBytes; ++i) {
    const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  "master key from " + where + " must be 64 hex characters (32 bytes)");
    }
    key.span()[i] = static_cast<std::byte>(hi * 16 + lo);
  }
  return key;
}

Error Errno(const std::string& what) {
  return Error{ErrorCode::kStorageUnavailable, what + ": " + std::strerror(errno)};
}

class LocalKeyProvider final : public KeyProvider {
 public:
  LocalKeyProvider(Aes256Gcm master, std::string description)
      : master_(std::move(master)), description_(std::move(description)) {}

  Result<Bytes> Wrap(ByteView data_key, std::string_view context) override {
    return master_.SealPacked(AsBytes(context), data_key);
  }

  Result<SecretBytes> Unwrap(ByteView wrapped, std::string_view context) override {
    if (wrapped.size() < kAeadOverhead) return Fail(ErrorCode::kInternal, "cannot unwrap data key");
    SecretBytes key(wrapped.size() - kAeadOverhead);
    if (!master_.OpenPacked(AsBytes(context), wrapped, key.span())) {
      return Fail(ErrorCode::kInternal,
                  "cannot unwrap data key: another master key, or the key file was moved or "
                  "damaged");
    }
    return key;
  }

  std::string Describe() const override { return description_; }

 private:
  Aes256Gcm master_;
  std::string description_;
};

}  // namespace

std::string DescribeMasterKeySource(const LocalMasterKeyOptions& o) {
  const char* env = o.env_var.empty() ? nullptr : std::getenv(o.env_var.c_str());
  if (env != nullptr && *env != '\0') return "environment " + o.env_var;
  if (!o.file.empty()) return "file " + o.file.string();
  return "generated file " + o.generated.string() + " (keep it off the data disk in production)";
}

Result<std::unique_ptr<KeyProvider>> MakeLocalKeyProvider(ByteView master_key,
                                                          std::string description) {
  auto aead = Aes256Gcm::FromKey(master_key);
  if (!aead) return std::unexpected(aead.error());
  return std::unique_ptr<KeyProvider>(
      new LocalKeyProvider(std::move(*aead), std::move(description)));
}

Result<std::unique_ptr<KeyProvider>> OpenLocalKeyProvider(const LocalMasterKeyOptions& o) {
  const std::string description = DescribeMasterKeySource(o);
  const char* env = o.env_var.empty() ? nullptr : std::getenv(o.env_var.c_str());
  auto from_text = [&](std::string_view text,
                       const std::string& where) -> Result<std::unique_ptr<KeyProvider>> {
    auto key = ParseHexKey(text, where);
    if (!key) return std::unexpected(key.error());
    return MakeLocalKeyProvider(key->view(), description);
  };
  auto from_file = [&](const fs::path& path) -> Result<std::unique_ptr<KeyProvider>> {
    auto bytes = ReadFile(path, 4096);
    if (!bytes) {
      return Fail(bytes.error().code,
                  "cannot read master key file " + path.string() + ": " + bytes.error().message);
    }
    auto provider = from_text(AsChars(*bytes), "file " + path.string());
    Wipe(*bytes);
    return provider;
  };
  if (env != nullptr && *env != '\0') return from_text(env, "environment " + o.env_var);
  if (!o.file.empty()) return from_file(o.file);
  if (o.generated.empty()) return Fail(ErrorCode::kInvalidArgument, "no master key configured");
  std::error_code ec;
  if (!fs::exists(o.generated, ec)) {
    fs::create_directories(o.generated.parent_path(), ec);
    ::chmod(o.generated.parent_path().c_str(), 0700);
    KeyDirLock lock(o.generated.parent_path());
    if (!fs::exists(o.generated, ec)) {
      SecretBytes key(kAeadKeyBytes);
      RandomBytes(key.span());
      static constexpr char kHex[] = "0123456789abcdef";
      SecretBytes text(2 * kAeadKeyBytes + 1);
      for (size_t i = 0; i < kAeadKeyBytes; ++i) {
        const auto b = static_cast<unsigned>(key.view()[i]);
        text.span()[2 * i] = static_cast<std::byte>(kHex[b >> 4]);
        text.span()[2 * i + 1] = static_cast<std::byte>(kHex[b & 15]);
      }
      text.span()[2 * kAeadKeyBytes] = std::byte{'\n'};
      auto w = WriteNewKeyFile(o.generated, text.view(), 0600);
      if (!w && w.error().code != ErrorCode::kConflict) return std::unexpected(w.error());
      log::Warn("keys.master_key_generated",
                {{"file", o.generated.string()},
                 {"advice",
                  "production must keep the master key off the data disk: set "
                  "security.master_key_file or CLOUDFILM_MASTER_KEY, and back it up"}});
    }
  }
  return from_file(o.generated);
}

KeyStore::KeyStore(fs::path dir, std::unique_ptr<KeyProvider> provider)
    : dir_(std::move(dir)), provider_(std::move(provider)) {}
KeyStore::~KeyStore() = default;

Result<std::unique_ptr<KeyStore>> KeyStore::Open(fs::path dir,
                                                 std::unique_ptr<KeyProvider> provider) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot create key folder " + dir.string() + ": " + ec.message());
  }
  ::chmod(dir.c_str(), 0700);
  return std::unique_ptr<KeyStore>(new KeyStore(std::move(dir), std::move(provider)));
}

bool KeyStore::HasKeys(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string tenant;
    uint32_t id = 0;
    if (ParseKeyFileName(e.path().filename().string(), &tenant, &id)) return true;
  }
  return false;
}

Result<std::shared_ptr<const DataKey>> KeyStore::LoadLocked(const fs::path& file) {
  std::string tenant;
  uint32_t id = 0;
  if (!ParseKeyFileName(file.filename().string(), &tenant, &id)) {
    return Fail(ErrorCode::kInternal, "not a key file name: " + file.filename().string());
  }
  if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  auto bytes = ReadFile(file, 4096);
  if (!bytes) return std::unexpected(bytes.error());
  const Bytes& b = *bytes;
  const std::string bad = "damaged key file " + file.filename().string();
  if (b.size() < 18 || std::memcmp(b.data(), kKeyMagic, 4) != 0) {
    return Fail(ErrorCode::kInternal, bad);
  }
  const auto stored_id = static_cast<uint32_t>(GetLe(b.data() + 4, 4));
  const auto tenant_len = static_cast<size_t>(GetLe(b.data() + 16, 2));
  if (stored_id != id || b.size() != 18 + tenant_len + kAeadOverhead + kAeadKeyBytes ||
      std::string_view(reinterpret_cast<const char*>(b.data() + 18), tenant_len) != tenant) {
    return Fail(ErrorCode::kInternal, bad + " (its name does not match its contents)");
  }
  auto key = provider_->Unwrap(ByteView(b).subspan(18 + tenant_len), WrapContext(tenant, id));
  if (!key)
    return Fail(key.error().code, key.error().message + " (" + file.filename().string() + ")");
  auto aead = Aes256Gcm::FromKey(key->view());
  if (!aead) return std::unexpected(aead.error());
  auto dk = std::make_shared<const DataKey>(DataKey{id, tenant, std::move(*aead)});
  by_id_[id] = dk;
  return dk;
}

Result<std::shared_ptr<const DataKey>> KeyStore::CreateLocked(std::string_view tenant) {
  SecretBytes key(kAeadKeyBytes);
  RandomBytes(key.span());
  // Random ids: a key created after another was shredded never takes its
  // id, so old records name a key that is gone instead of the wrong one.
  uint32_t id = 0;
  std::error_code ec;
  while (id == 0) {
    std::byte raw[4];
    RandomBytes(raw);
    id = static_cast<uint32_t>(GetLe(raw, 4));
    if (id != 0 && by_id_.contains(id)) id = 0;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      std::string t;
      uint32_t other = 0;
      if (ParseKeyFileName(e.path().filename().string(), &t, &other) && other == id) id = 0;
    }
  }
  auto wrapped = provider_->Wrap(key.view(), WrapContext(tenant, id));
  if (!wrapped) return std::unexpected(wrapped.error());
  const uint64_t now_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  Bytes file;
  for (char c : kKeyMagic) file.push_back(static_cast<std::byte>(c));
  PutLe(file, id, 4);
  PutLe(file, now_ms, 8);
  PutLe(file, tenant.size(), 2);
  for (char c : tenant) file.push_back(static_cast<std::byte>(c));
  file.insert(file.end(), wrapped->begin(), wrapped->end());
  const fs::path path = dir_ / (std::string(tenant) + "." + std::to_string(id) + ".wrapped");
  if (auto w = WriteNewKeyFile(path, file, 0600); !w) return std::unexpected(w.error());
  log::Info("keys.data_key_created", {{"tenant", std::string(tenant)}, {"key_id", id}});
  auto aead = Aes256Gcm::FromKey(key.view());
  if (!aead) return std::unexpected(aead.error());
  auto dk = std::make_shared<const DataKey>(DataKey{id, std::string(tenant), std::move(*aead)});
  by_id_[id] = dk;
  return dk;
}

Result<std::shared_ptr<const DataKey>> KeyStore::Active(std::string_view tenant) {
  if (!IsValidTenant(tenant)) return Fail(ErrorCode::kInvalidArgument, "invalid tenant name");
  std::lock_guard lock(mutex_);
  if (auto it = active_.find(tenant); it != active_.end()) return it->second;
  // The newest key of the tenant; created under the folder lock when there
  // is none, so that concurrent processes agree on one.
  auto newest = [&]() -> Result<std::shared_ptr<const DataKey>> {
    std::shared_ptr<const DataKey> best;
    uint64_t best_created = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      std::string t;
      uint32_t id = 0;
      if (!ParseKeyFileName(e.path().filename().string(), &t, &id) || t != tenant) continue;
      auto k = LoadLocked(e.path());
      if (!k) return std::unexpected(k.error());
      auto bytes = ReadFile(e.path(), 4096);
      const uint64_t created = bytes && bytes->size() >= 16 ? GetLe(bytes->data() + 8, 8) : 0;
      if (!best || created > best_created || (created == best_created && id > best->id)) {
        best = *k;
        best_created = created;
      }
    }
    return best;
  };
  auto found = newest();
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    KeyDirLock dir_lock(dir_);
    if (!dir_lock.ok()) return std::unexpected(Errno("lock key folder"));
    found = newest();
    if (!found) return std::unexpected(found.error());
    if (!*found) found = CreateLocked(tenant);
    if (!found) return std::unexpected(found.error());
  }
  active_.emplace(std::string(tenant), *found);
  return *found;
}

Result<std::shared_ptr<const DataKey>> KeyStore::Find(uint32_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string t;
    uint32_t other = 0;
    if (ParseKeyFileName(e.path().filename().string(), &t, &other) && other == id) {
      return LoadLocked(e.path());
    }
  }
  return Fail(ErrorCode::kNotFound, "data key " + std::to_string(id) + " is not in " +
                                        dir_.string() + " (deleted: crypto-shredded?)");
}

Result<SecretBytes> OpenOrCreateWrappedKey(KeyProvider& provider, const std::filesystem::path& file,
                                           std::string_view context) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (std::filesystem::exists(file)) {
      auto wrapped = ReadFile(file, 4096);
      if (!wrapped) return std::unexpected(wrapped.error());
      return provider.Unwrap(*wrapped, context);
    }
    SecretBytes key(32);
    RandomBytes(key.span());
    auto wrapped = provider.Wrap(key.view(), context);
    if (!wrapped) return std::unexpected(wrapped.error());
    // Written aside, then linked into place: link() fails if another
    // process created the key meanwhile, and that key wins.
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    const std::filesystem::path tmp = file.string() + ".tmp." + RandomHex(8);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Fail(ErrorCode::kStorageUnavailable, "cannot write " + tmp.string());
    }
    const auto* data = reinterpret_cast<const char*>(wrapped->data());
    const bool written =
        ::write(fd, data, wrapped->size()) == static_cast<ssize_t>(wrapped->size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    const bool linked = written && ::link(tmp.c_str(), file.c_str()) == 0;
    const int link_errno = errno;
    std::filesystem::remove(tmp, ec);
    if (linked) {
      if (const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_CLOEXEC); dir >= 0) {
        ::fsync(dir);
        ::close(dir);
      }
      return key;
    }
    if (!written || link_errno != EEXIST) {
      return Fail(ErrorCode::kStorageUnavailable, "cannot create " + file.string());
    }
  }
  return Fail(ErrorCode::kInternal, "cannot create or read " + file.string());
}

}  // namespace cf::crypto
