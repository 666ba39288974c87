// SPDX-License-Identifier: Apache-2.0
#include "crypto/key_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "crypto/random.hpp"

namespace cf::crypto {
namespace fs = std::filesystem;

namespace {

Error Errno(const std::string& what) {
  return Error{ErrorCode::kStorageUnavailable, what + ": " + std::strerror(errno)};
}

}  // namespace

Result<void> WriteNewKeyFile(const fs::path& path, ByteView data, mode_t mode) {
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
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST) return Fail(ErrorCode::kConflict, path.string() + " exists");
    errno = err;
    return std::unexpected(Errno("rename into " + path.string()));
  }
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

KeyDirLock::KeyDirLock(const fs::path& dir) {
  fd_ = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

KeyDirLock::~KeyDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cf::crypto
