// SPDX-License-Identifier: Apache-2.0
#include "crypto/signing_key_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/time_text.hpp"
#include "crypto/key_file.hpp"

namespace cf::crypto {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[4] = {'C', 'F', 'S', '1'};
constexpr std::string_view kInfix = ".sign.";
constexpr std::string_view kWrapped = ".wrapped";
constexpr std::string_view kPublic = ".pub.pem";
constexpr size_t kHeader = 4 + 1 + 8 + 2;
constexpr uint64_t kMaxKeyFile = 16 * 1024;

bool IsKeyId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

uint8_t SuiteCode(SignatureSuite s) { return s == SignatureSuite::kSm2Sm3 ? 2 : 1; }

std::string WrapContext(std::string_view owner, SignatureSuite suite, std::string_view key_id) {
  return "cloudfilm-signing-key-v1/" + std::string(owner) + "/" + std::string(SuiteName(suite)) +
         "/" + std::string(key_id);
}

struct KeyFileName {
  std::string owner;
  std::string key_id;
};

// "<owner>.sign.<key-id><suffix>" -> owner, key id.
std::optional<KeyFileName> ParseName(std::string_view name, std::string_view suffix) {
  if (!name.ends_with(suffix)) return std::nullopt;
  name.remove_suffix(suffix.size());
  const auto infix = name.rfind(kInfix);
  if (infix == std::string_view::npos) return std::nullopt;
  KeyFileName out{std::string(name.substr(0, infix)),
                  std::string(name.substr(infix + kInfix.size()))};
  if (!keyfile::IsValidTenant(out.owner) || !IsKeyId(out.key_id)) return std::nullopt;
  return out;
}

std::string FileStem(std::string_view owner, std::string_view key_id) {
  return std::string(owner) + std::string(kInfix) + std::string(key_id);
}

uint64_t CreatedOf(const fs::path& file) {
  auto bytes = ReadFile(file, kMaxKeyFile);
  if (!bytes || bytes->size() < kHeader) return 0;
  return LoadLe(bytes->data() + 5, 8);
}

}  // namespace

SigningKeyStore::SigningKeyStore(fs::path dir, std::unique_ptr<KeyProvider> provider)
    : dir_(std::move(dir)), provider_(std::move(provider)) {}

Result<std::unique_ptr<SigningKeyStore>> SigningKeyStore::Open(
    fs::path dir, std::unique_ptr<KeyProvider> provider) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot create key folder " + dir.string() + ": " + ec.message());
  }
  ::chmod(dir.c_str(), 0700);
  return std::unique_ptr<SigningKeyStore>(new SigningKeyStore(std::move(dir), std::move(provider)));
}

Result<std::optional<WrappedSigningKey>> ReadWrappedSigningKey(const fs::path& file) {
  const std::string name = file.filename().string();
  const auto parsed = ParseName(name, kWrapped);
  if (!parsed) return std::optional<WrappedSigningKey>();
  auto bytes = ReadFile(file, kMaxKeyFile);
  if (!bytes) return std::unexpected(bytes.error());
  const Bytes& b = *bytes;
  const std::string bad = "damaged signing key file " + name;
  if (b.size() < kHeader || std::memcmp(b.data(), kMagic, 4) != 0) {
    return Fail(ErrorCode::kInternal, bad);
  }
  const auto code = static_cast<uint8_t>(b[4]);
  if (code != 1 && code != 2) return Fail(ErrorCode::kInternal, bad + " (unknown suite)");
  WrappedSigningKey out;
  out.owner = parsed->owner;
  out.key_id = parsed->key_id;
  out.suite = code == 2 ? SignatureSuite::kSm2Sm3 : SignatureSuite::kEd25519;
  const auto prefix = kHeader + static_cast<size_t>(LoadLe(b.data() + 13, 2));
  if (b.size() < prefix + kAeadOverhead ||
      AsChars(ByteView(b).subspan(kHeader, prefix - kHeader)) != out.owner) {
    return Fail(ErrorCode::kInternal, bad + " (its name does not match its contents)");
  }
  out.prefix.assign(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(prefix));
  out.wrapped.assign(b.begin() + static_cast<std::ptrdiff_t>(prefix), b.end());
  out.context = WrapContext(out.owner, out.suite, out.key_id);
  return std::optional<WrappedSigningKey>(std::move(out));
}

Result<std::shared_ptr<const SigningKey>> SigningKeyStore::LoadLocked(const fs::path& file) {
  const std::string name = file.filename().string();
  const auto named = ParseName(name, kWrapped);
  if (!named) return Fail(ErrorCode::kInternal, "not a signing key file name: " + name);
  if (auto it = by_id_.find(named->key_id); it != by_id_.end()) return it->second;
  auto read = ReadWrappedSigningKey(file);
  if (!read) return std::unexpected(read.error());
  const WrappedSigningKey& parsed = **read;
  const std::string bad = "damaged signing key file " + name;
  // Signing keys are wrapped in the default suite whatever they sign with.
  auto der = provider_->Unwrap(parsed.wrapped, parsed.context, CryptoSuite::kDefault);
  if (!der) return Fail(der.error().code, der.error().message + " (" + name + ")");
  auto key = SigningKey::FromPkcs8(der->view());
  if (!key) return Fail(ErrorCode::kInternal, bad + ": " + key.error().message);
  if (key->key_id() != parsed.key_id || key->suite() != parsed.suite) {
    return Fail(ErrorCode::kInternal, bad + " (it holds another key than its name says)");
  }
  // The clear public key is derived data: put it back if it went missing.
  const fs::path pub = dir_ / (FileStem(parsed.owner, parsed.key_id) + std::string(kPublic));
  std::error_code ec;
  if (!fs::exists(pub, ec)) {
    auto w = keyfile::WriteNew(pub, AsBytes(key->public_key().ToPem()), 0644);
    if (!w && w.error().code != ErrorCode::kConflict) return std::unexpected(w.error());
  }
  auto shared = std::make_shared<const SigningKey>(std::move(*key));
  by_id_.emplace(parsed.key_id, shared);
  return shared;
}

Result<std::shared_ptr<const SigningKey>> SigningKeyStore::NewestLocked(std::string_view owner,
                                                                        SignatureSuite suite) {
  std::shared_ptr<const SigningKey> best;
  uint64_t best_created = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const auto parsed = ParseName(e.path().filename().string(), kWrapped);
    if (!parsed || parsed->owner != owner) continue;
    auto key = LoadLocked(e.path());
    if (!key) return std::unexpected(key.error());
    if ((*key)->suite() != suite) continue;
    const uint64_t created = CreatedOf(e.path());
    if (!best || created > best_created ||
        (created == best_created && (*key)->key_id() > best->key_id())) {
      best = *key;
      best_created = created;
    }
  }
  return best;
}

Result<std::shared_ptr<const SigningKey>> SigningKeyStore::CreateLocked(std::string_view owner,
                                                                        SignatureSuite suite) {
  auto key = SigningKey::Generate(suite);
  if (!key) return std::unexpected(key.error());
  auto der = key->ExportPkcs8();
  if (!der) return std::unexpected(der.error());
  auto wrapped =
      provider_->Wrap(der->view(), WrapContext(owner, suite, key->key_id()), CryptoSuite::kDefault);
  if (!wrapped) return std::unexpected(wrapped.error());
  const uint64_t now_ms = static_cast<uint64_t>(UnixNowMs());
  Bytes file;
  for (char c : kMagic) file.push_back(static_cast<std::byte>(c));
  file.push_back(static_cast<std::byte>(SuiteCode(suite)));
  AppendLe(file, now_ms, 8);
  AppendLe(file, owner.size(), 2);
  for (char c : owner) file.push_back(static_cast<std::byte>(c));
  file.insert(file.end(), wrapped->begin(), wrapped->end());
  const std::string stem = FileStem(owner, key->key_id());
  // The public key first: a crash in between leaves a harmless public key
  // that no wrapped file names, never a private key without its public one.
  if (auto w = keyfile::WriteNew(dir_ / (stem + std::string(kPublic)),
                                 AsBytes(key->public_key().ToPem()), 0644);
      !w) {
    return std::unexpected(w.error());
  }
  if (auto w = keyfile::WriteNew(dir_ / (stem + std::string(kWrapped)), file, 0600); !w) {
    return std::unexpected(w.error());
  }
  log::Info("keys.signing_key_created", {{"owner", std::string(owner)},
                                         {"suite", std::string(SuiteName(suite))},
                                         {"key_id", key->key_id()}});
  auto shared = std::make_shared<const SigningKey>(std::move(*key));
  by_id_.emplace(shared->key_id(), shared);
  return shared;
}

Result<std::shared_ptr<const SigningKey>> SigningKeyStore::Active(std::string_view owner,
                                                                  SignatureSuite suite) {
  if (!keyfile::IsValidTenant(owner))
    return Fail(ErrorCode::kInvalidArgument, "invalid signing key owner");
  std::lock_guard lock(mutex_);
  auto found = NewestLocked(owner, suite);
  if (!found) return std::unexpected(found.error());
  if (*found) return *found;
  keyfile::DirLock dir_lock(dir_);
  if (!dir_lock.ok()) {
    return Fail(ErrorCode::kStorageUnavailable, "cannot lock key folder " + dir_.string());
  }
  found = NewestLocked(owner, suite);  // another process may have won the race
  if (!found) return std::unexpected(found.error());
  if (*found) return *found;
  return CreateLocked(owner, suite);
}

Result<std::shared_ptr<const SigningKey>> SigningKeyStore::Find(std::string_view key_id) {
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(key_id); it != by_id_.end()) return it->second;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const auto parsed = ParseName(e.path().filename().string(), kWrapped);
    if (parsed && parsed->key_id == key_id) return LoadLocked(e.path());
  }
  return Fail(ErrorCode::kNotFound,
              "signing key " + std::string(key_id) + " is not in " + dir_.string());
}

Result<VerifyingKey> ReadPublicSigningKey(const fs::path& dir, std::string_view key_id) {
  if (!IsKeyId(key_id)) return Fail(ErrorCode::kInvalidArgument, "not a key id");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const auto parsed = ParseName(name, kPublic);
    if (!parsed || parsed->key_id != key_id) continue;
    auto pem = ReadFile(e.path(), kMaxKeyFile);
    if (!pem) return std::unexpected(pem.error());
    auto key = VerifyingKey::FromPem(AsChars(*pem));
    if (!key) return Fail(key.error().code, name + ": " + key.error().message);
    if (key->key_id() != key_id) {
      return Fail(ErrorCode::kConflict, name + " holds another key than its name says");
    }
    return key;
  }
  return Fail(ErrorCode::kNotFound,
              "public key " + std::string(key_id) + " is not in " + dir.string());
}

Result<std::vector<VerifyingKey>> ListPublicSigningKeys(const fs::path& dir,
                                                        std::string_view owner) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto parsed = ParseName(e.path().filename().string(), kPublic);
    if (parsed && parsed->owner == owner) ids.push_back(parsed->key_id);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<VerifyingKey> keys;
  for (const auto& id : ids) {
    auto key = ReadPublicSigningKey(dir, id);
    if (!key) return std::unexpected(key.error());
    keys.push_back(std::move(*key));
  }
  return keys;
}

}  // namespace cf::crypto
