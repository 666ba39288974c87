// SPDX-License-Identifier: Apache-2.0
#include "crypto/key_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/file_io.hpp"
#include "crypto/aead.hpp"
#include "crypto/random.hpp"

namespace cf::crypto::keyfile {
namespace fs = std::filesystem;
namespace {

constexpr char kMagicV1[4] = {'C', 'F', 'K', '1'};
constexpr char kMagicV2[4] = {'C', 'F', 'K', '2'};
constexpr std::string_view kSuffix = ".wrapped";
constexpr size_t kWrappedBytes = kAeadOverhead + kAeadKeyBytes;

Error Errno(const std::string& what) {
  return Error{ErrorCode::kStorageUnavailable, what + ": " + std::strerror(errno)};
}

void SyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Writes a synced temporary file beside `path` and returns its name.
Result<fs::path> WriteTemporary(const fs::path& path, ByteView data, mode_t mode) {
  const fs::path tmp = path.parent_path() / (".tmp-" + std::to_string(::getpid()) + "-" +
                                             RandomHex(4) + "-" + path.filename().string());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return std::unexpected(Errno("create " + tmp.string()));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const Error e = Errno("write " + tmp.string());
      ::close(fd);
      ::unlink(tmp.c_str());
      return std::unexpected(e);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    const Error e = Errno("sync " + tmp.string());
    ::unlink(tmp.c_str());
    return std::unexpected(e);
  }
  return tmp;
}

Result<void> Install(const fs::path& tmp, const fs::path& path, unsigned flags) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), flags) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST) return Fail(ErrorCode::kConflict, path.string() + " exists");
    errno = err;
    return std::unexpected(Errno("rename into " + path.string()));
  }
  SyncDir(path.parent_path());
  return {};
}

}  // namespace

bool IsValidTenant(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (char c : t) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string FileName(std::string_view tenant, uint32_t id) {
  return std::string(tenant) + "." + std::to_string(id) + std::string(kSuffix);
}

bool ParseFileName(const std::string& name, std::string* tenant, uint32_t* id) {
  if (!name.ends_with(kSuffix)) return false;
  const std::string stem = name.substr(0, name.size() - kSuffix.size());
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

std::string WrapContext(const Header& h) {
  // The default suite keeps the context keys were always wrapped under.
  if (h.suite == CryptoSuite::kDefault) {
    return "cloudfilm-data-key-v1/" + h.tenant + "/" + std::to_string(h.id);
  }
  return "cloudfilm-data-key-v2/" + std::string(SuiteName(h.suite)) + "/" + h.tenant + "/" +
         std::to_string(h.id);
}

Bytes Encode(const Header& h, ByteView wrapped) {
  Bytes file;
  const bool v1 = h.suite == CryptoSuite::kDefault;
  for (char c : v1 ? kMagicV1 : kMagicV2) file.push_back(static_cast<std::byte>(c));
  AppendLe(file, h.id, 4);
  AppendLe(file, h.created_ms, 8);
  if (!v1) AppendLe(file, static_cast<uint64_t>(h.suite), 1);
  AppendLe(file, h.tenant.size(), 2);
  for (char c : h.tenant) file.push_back(static_cast<std::byte>(c));
  file.insert(file.end(), wrapped.begin(), wrapped.end());
  return file;
}

Result<Contents> Read(const fs::path& file) {
  std::string tenant;
  uint32_t id = 0;
  const std::string bad = "damaged key file " + file.filename().string();
  if (!ParseFileName(file.filename().string(), &tenant, &id)) {
    return Fail(ErrorCode::kInternal, "not a key file name: " + file.filename().string());
  }
  auto bytes = ReadFile(file, 4096);
  if (!bytes) return std::unexpected(bytes.error());
  const Bytes& b = *bytes;
  if (b.size() < 18) return Fail(ErrorCode::kInternal, bad);
  Contents c;
  size_t at = 16;
  if (std::memcmp(b.data(), kMagicV1, 4) == 0) {
    c.header.suite = CryptoSuite::kDefault;
  } else if (std::memcmp(b.data(), kMagicV2, 4) == 0) {
    const auto suite = static_cast<CryptoSuite>(b[16]);
    if (SuiteName(suite) == "?" || suite == CryptoSuite::kDefault) {
      return Fail(ErrorCode::kInternal, bad + " (unknown crypto suite)");
    }
    c.header.suite = suite;
    at = 17;
  } else {
    return Fail(ErrorCode::kInternal, bad);
  }
  c.header.id = static_cast<uint32_t>(LoadLe(b.data() + 4, 4));
  c.header.created_ms = LoadLe(b.data() + 8, 8);
  if (b.size() < at + 2) return Fail(ErrorCode::kInternal, bad);
  const auto tenant_len = static_cast<size_t>(LoadLe(b.data() + at, 2));
  at += 2;
  if (c.header.id != id || b.size() != at + tenant_len + kWrappedBytes ||
      std::string_view(reinterpret_cast<const char*>(b.data() + at), tenant_len) != tenant) {
    return Fail(ErrorCode::kInternal, bad + " (its name does not match its contents)");
  }
  c.header.tenant = tenant;
  c.wrapped.assign(b.begin() + static_cast<std::ptrdiff_t>(at + tenant_len), b.end());
  return c;
}

Result<void> WriteNew(const fs::path& path, ByteView data, mode_t mode) {
  auto tmp = WriteTemporary(path, data, mode);
  if (!tmp) return std::unexpected(tmp.error());
  return Install(*tmp, path, RENAME_NOREPLACE);
}

Result<void> Replace(const fs::path& path, ByteView data) {
  auto tmp = WriteTemporary(path, data, 0600);
  if (!tmp) return std::unexpected(tmp.error());
  return Install(*tmp, path, 0);
}

DirLock::DirLock(const fs::path& dir) {
  fd_ = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cf::crypto::keyfile
