// SPDX-License-Identifier: Apache-2.0
// The local master key: where it comes from (environment, a file, or a file
// generated on a fresh install) and the KeyProvider that wraps data keys
// with it.
//
// Key wrapping is AES-256-GCM under the master key rather than RFC 5649
// (EVP_aes_256_wrap_pad): GCM authenticates associated data, which binds a
// wrapped key to its tenant and key id (a file renamed to another tenant
// fails to unwrap), and it is the one primitive the rest of the code uses.
// Its random 96-bit nonces are safe for the handful of data keys one master
// key ever wraps. Keys of the national suite are wrapped with its AEAD
// (SM4-CTR + HMAC-SM3) instead. A KMS provider would use the KMS's own wrap
// call.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "crypto/key_file.hpp"
#include "crypto/key_store.hpp"
#include "crypto/random.hpp"
#include "crypto/sm_aead.hpp"

namespace cf::crypto {
namespace fs = std::filesystem;

namespace {

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

class LocalKeyProvider final : public KeyProvider {
 public:
  LocalKeyProvider(Aes256Gcm master, Sm4CtrHmacSm3 master_sm, std::string description)
      : master_(std::move(master)),
        master_sm_(std::move(master_sm)),
        description_(std::move(description)) {}

  Result<Bytes> Wrap(ByteView data_key, std::string_view context, CryptoSuite suite) override {
    return For(suite).SealPacked(AsBytes(context), data_key);
  }

  Result<SecretBytes> Unwrap(ByteView wrapped, std::string_view context,
                             CryptoSuite suite) override {
    if (wrapped.size() < kAeadOverhead) return Fail(ErrorCode::kInternal, "cannot unwrap data key");
    SecretBytes key(wrapped.size() - kAeadOverhead);
    if (!For(suite).OpenPacked(AsBytes(context), wrapped, key.span())) {
      return Fail(ErrorCode::kInternal,
                  "cannot unwrap data key: another master key, or the key file was moved or "
                  "damaged");
    }
    return key;
  }

  std::string Describe() const override { return description_; }

 private:
  const Aead& For(CryptoSuite suite) const {
    return suite == CryptoSuite::kSm ? static_cast<const Aead&>(master_sm_) : master_;
  }

  Aes256Gcm master_;
  // The national suite's wrap: its own keys are derived from the master key
  // (sm_aead.hpp), so the two suites never use one key for two algorithms.
  Sm4CtrHmacSm3 master_sm_;
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
  auto sm = Sm4CtrHmacSm3::FromKey(master_key);
  if (!sm) return std::unexpected(sm.error());
  return std::unique_ptr<KeyProvider>(
      new LocalKeyProvider(std::move(*aead), std::move(*sm), std::move(description)));
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
    keyfile::DirLock lock(o.generated.parent_path());
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
      auto w = keyfile::WriteNew(o.generated, text.view());
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

Result<SecretBytes> OpenOrCreateWrappedKey(KeyProvider& provider, const std::filesystem::path& file,
                                           std::string_view context) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (std::filesystem::exists(file)) {
      auto wrapped = ReadFile(file, 4096);
      if (!wrapped) return std::unexpected(wrapped.error());
      return provider.Unwrap(*wrapped, context, CryptoSuite::kDefault);
    }
    SecretBytes key(32);
    RandomBytes(key.span());
    auto wrapped = provider.Wrap(key.view(), context, CryptoSuite::kDefault);
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
