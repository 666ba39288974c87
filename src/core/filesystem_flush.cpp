// SPDX-License-Identifier: Apache-2.0
#include "core/filesystem_flush.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace cf {

Result<std::unique_ptr<FilesystemFlush>> FilesystemFlush::Open(const std::filesystem::path& folder,
                                                               std::string what) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                "open the " + what + "'s folder: " + std::strerror(errno));
  }
  return std::unique_ptr<FilesystemFlush>(new FilesystemFlush(fd, std::move(what)));
}

FilesystemFlush::~FilesystemFlush() { ::close(fd_); }

Result<void> FilesystemFlush::Flush() {
  if (failed_) {
    return Fail(ErrorCode::kStorageUnavailable,
                "an earlier flush of the " + what_ + " failed: what was written since may be lost");
  }
  if (::syncfs(fd_) != 0) {
    const int err = errno;
    failed_ = true;
    return Fail(ErrorCode::kStorageUnavailable,
                "flush the " + what_ + "'s filesystem: " + std::strerror(err));
  }
  return {};
}

}  // namespace cf
