// SPDX-License-Identifier: Apache-2.0
#include "core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cf {

Result<Bytes> ReadFile(const std::filesystem::path& path, uint64_t max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    return Fail(e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kStorageUnavailable,
                "cannot open " + path.string() + ": " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Fail(ErrorCode::kInvalidArgument, "not a regular file: " + path.string());
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    ::close(fd);
    return Fail(ErrorCode::kTooLarge, "file larger than the limit of " + std::to_string(max_size) +
                                          " bytes: " + path.string());
  }
  Bytes out(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      return Fail(ErrorCode::kStorageUnavailable, "read failed: " + path.string() + ": " +
                                                      (n == 0 ? "short file" : std::strerror(e)));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

Result<void> WriteFile(const std::filesystem::path& path, ByteView data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      return Fail(ErrorCode::kStorageUnavailable,
                  "cannot write " + path.string() + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace cf
