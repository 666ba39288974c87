// SPDX-License-Identifier: Apache-2.0
// POSIX file calls and an AES-256-CTR key stream (crypto::CtrStream)
// behind the SpoolFile contract.
// Nothing is fsynced: a spool file is only a buffer for the request in
// progress, and an object is durable once Archive::Ingest has returned, not
// before.
//
// Each file has its own key stream, made when the file is and kept only in
// memory (crypto/ctr_stream.hpp says why CTR).
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

// The encrypted bytes of one write call, at most.
constexpr size_t kSealStep = 256 * 1024;

size_t Reservation(size_t size) {
  return (size + MappedBody::kReadAhead - 1) / MappedBody::kReadAhead * MappedBody::kReadAhead;
}

}  // namespace

MappedBody::MappedBody(MappedBody&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)),
      key_(std::move(other.key_)),
      readable_from_(std::exchange(other.readable_from_, 0)),
      readable_to_(std::exchange(other.readable_to_, 0)) {}

MappedBody& MappedBody::operator=(MappedBody&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
    key_ = std::move(other.key_);
    readable_from_ = std::exchange(other.readable_from_, 0);
    readable_to_ = std::exchange(other.readable_to_, 0);
  }
  return *this;
}

MappedBody::~MappedBody() { Reset(); }

void MappedBody::Reset() {
  // Unmapped pages are zeroed by the kernel before any reuse.
  if (data_ != nullptr) munmap(data_, Reservation(size_));
  data_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  key_.reset();
  size_ = readable_from_ = readable_to_ = 0;
}

Result<size_t> MappedBody::Page(size_t end) {
  end = std::min(end, size_);
  if (end <= readable_to_) return readable_to_;
  // Whole chunks from where the decrypted window ends (a chunk boundary),
  // and at least one chunk ahead.
  const size_t to = std::min(
      size_, (std::max(end, readable_to_ + MappedBody::kReadAhead) + MappedBody::kReadAhead - 1) /
                 MappedBody::kReadAhead * MappedBody::kReadAhead);
  auto* base = static_cast<std::byte*>(data_);
  for (size_t at = readable_to_; at < to; at += MappedBody::kReadAhead) {
    std::byte* chunk = base + at;
    const size_t bytes = std::min(MappedBody::kReadAhead, size_ - at);
    if (mprotect(chunk, MappedBody::kReadAhead, PROT_READ | PROT_WRITE) != 0) {
      return SystemFailure("cannot map memory for the spool file", errno);
    }
    // Fresh pages in one call rather than a fault each (Linux 5.14): a huge
    // page where transparent huge pages are allowed (see Map).
    madvise(chunk, MappedBody::kReadAhead, MADV_POPULATE_WRITE);
    size_t done = 0;
    while (done < bytes) {
      const ssize_t got = pread(fd_, chunk + done, bytes - done, static_cast<off_t>(at + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        const int error_number = got < 0 ? errno : EIO;
        madvise(chunk, MappedBody::kReadAhead, MADV_DONTNEED);
        mprotect(chunk, MappedBody::kReadAhead, PROT_NONE);
        return SystemFailure("cannot read the spool file", error_number);
      }
      done += static_cast<size_t>(got);
    }
    if (auto ok = key_->Xor(at, chunk, chunk, bytes); !ok) {
      madvise(chunk, MappedBody::kReadAhead, MADV_DONTNEED);
      mprotect(chunk, MappedBody::kReadAhead, PROT_NONE);
      return std::unexpected(ok.error());
    }
    mprotect(chunk, MappedBody::kReadAhead, PROT_READ);
    readable_to_ = at + bytes;
  }
  return readable_to_;
}

void MappedBody::DropChunks(size_t from, size_t to) {
  auto* base = static_cast<std::byte*>(data_);
  for (size_t at = from; at < to; at += MappedBody::kReadAhead) {
    std::byte* chunk = base + at;
    madvise(chunk, MappedBody::kReadAhead, MADV_DONTNEED);
    mprotect(chunk, MappedBody::kReadAhead, PROT_NONE);
  }
}

size_t MappedBody::Release(size_t from, size_t to) {
  if (data_ == nullptr) return from;
  const size_t end = std::min(to, readable_to_) / MappedBody::kReadAhead * MappedBody::kReadAhead;
  const size_t start = std::max(from, readable_from_);
  if (end <= start) return from;
  DropChunks(start, end);
  readable_from_ = end;
  return end;
}

void MappedBody::Rewind() {
  if (data_ == nullptr) return;
  DropChunks(readable_from_, Reservation(readable_to_));
  readable_from_ = readable_to_ = 0;
}

Result<SpoolFile> SpoolFile::Create(const std::filesystem::path& dir) {
  auto stream = crypto::CtrStream::Create();
  if (!stream) return Fail(ErrorCode::kInternal, "cannot make a random key for a spool file");
  auto key = std::make_shared<const crypto::CtrStream>(std::move(*stream));
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
  return SpoolFile(fd, std::move(key));
}

SpoolFile::SpoolFile(SpoolFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      size_(std::exchange(other.size_, 0)),
      key_(std::move(other.key_)),
      sealed_(std::move(other.sealed_)) {}

SpoolFile& SpoolFile::operator=(SpoolFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
    key_ = std::move(other.key_);
    sealed_ = std::move(other.sealed_);
  }
  return *this;
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) close(fd_);
}

Result<void> SpoolFile::Append(ByteView data) {
  sealed_.resize(std::min(data.size(), kSealStep));
  while (!data.empty()) {
    const size_t step = std::min(data.size(), kSealStep);
    if (auto ok = key_->Xor(size_, data.data(), sealed_.data(), step); !ok) {
      return std::unexpected(ok.error());
    }
    const auto* next = reinterpret_cast<const char*>(sealed_.data());
    size_t left = step;
    while (left > 0) {
      const ssize_t written = write(fd_, next, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        // The file's end is no longer where the key stream is: drop the file.
        return SystemFailure("cannot write the spool file", errno);
      }
      next += written;
      left -= static_cast<size_t>(written);
      size_ += static_cast<uint64_t>(written);
    }
    data = data.subspan(step);
  }
  return {};
}

Result<MappedBody> SpoolFile::Map() const {
  if (size_ == 0) return MappedBody{};
  // Address space for the whole body, without memory or access: Page()
  // decrypts into it a window at a time.
  // Chunks are aligned to their size (2 MiB) so that each can be one
  // transparent huge page: one fault and one page to free per chunk rather
  // than 512, which is most of what reading the spool back costs.
  const size_t reserved = Reservation(size_);
  void* mapped = mmap(nullptr, reserved + MappedBody::kReadAhead, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) return SystemFailure("cannot reserve memory for the spool file", errno);
  const auto address = reinterpret_cast<uintptr_t>(mapped);
  const uintptr_t aligned =
      (address + MappedBody::kReadAhead - 1) / MappedBody::kReadAhead * MappedBody::kReadAhead;
  if (aligned > address) munmap(mapped, aligned - address);
  const uintptr_t tail = address + reserved + MappedBody::kReadAhead - (aligned + reserved);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + reserved), tail);
  void* data = reinterpret_cast<void*>(aligned);
  madvise(data, reserved, MADV_DONTDUMP);  // plaintext stays out of core dumps
  madvise(data, reserved, MADV_HUGEPAGE);
  const int fd = fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    const int error_number = errno;
    munmap(data, reserved);
    return SystemFailure("cannot read the spool file", error_number);
  }
  return MappedBody(data, size_, fd, key_);
}

}  // namespace cf::http
