// SPDX-License-Identifier: Apache-2.0
// POSIX file calls behind the SpoolFile contract. Nothing is fsynced: a
// spool file is only a buffer for the request in progress, and an object
// is durable once Archive::Ingest has returned, not before.
#include "http/spool_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace cf::http {
namespace {

std::unexpected<Error> SystemFailure(std::string what, int error_number) {
  return Fail(ErrorCode::kStorageUnavailable, what + ": " + std::strerror(error_number));
}

}  // namespace

MappedBody::MappedBody(MappedBody&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedBody& MappedBody::operator=(MappedBody&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedBody::~MappedBody() {
  if (data_ != nullptr) munmap(data_, size_);
}

size_t MappedBody::Release(size_t from, size_t to) {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t end = std::min(to, size_) / page * page;
  if (data_ == nullptr || end <= from) return from;
  madvise(static_cast<std::byte*>(data_) + from, end - from, MADV_DONTNEED);
  return end;
}

Result<SpoolFile> SpoolFile::Create(const std::filesystem::path& dir) {
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE here: a named file, unlinked at once.
    std::string name = (dir / "upload-XXXXXX").string();
    fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0 && unlink(name.c_str()) != 0) {
      const int unlink_error = errno;
      close(fd);
      unlink(name.c_str());
      return SystemFailure("cannot unlink a spool file in " + dir.string(), unlink_error);
    }
  }
  if (fd < 0) return SystemFailure("cannot create a spool file in " + dir.string(), errno);
  return SpoolFile(fd);
}

SpoolFile::SpoolFile(SpoolFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)) {}

SpoolFile& SpoolFile::operator=(SpoolFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) close(fd_);
}

Result<void> SpoolFile::Append(ByteView data) {
  const auto* next = reinterpret_cast<const char*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    const ssize_t written = write(fd_, next, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return SystemFailure("cannot write the spool file", errno);
    }
    next += written;
    left -= static_cast<size_t>(written);
    size_ += static_cast<uint64_t>(written);
  }
  return {};
}

Result<MappedBody> SpoolFile::Map() const {
  if (size_ == 0) return MappedBody{};
  void* data = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
  if (data == MAP_FAILED) return SystemFailure("cannot map the spool file", errno);
  // Parts are read front to back, once.
  madvise(data, size_, MADV_SEQUENTIAL);
  return MappedBody(data, size_);
}

}  // namespace cf::http
