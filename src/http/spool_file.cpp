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

// `reserved` bytes (whole chunks) of anonymous memory aligned to a chunk
// (2 MiB), so that each chunk can be one transparent huge page: one fault
// and one page to free per chunk rather than 512. Kept out of core dumps.
// MAP_FAILED with errno set on failure. Address space alone (PROT_NONE)
// reserves no memory; writable memory is committed, so that a system short
// of it refuses the mapping (the body then goes to a file) rather than
// failing a page fault later.
void* MapChunks(size_t reserved, int protection) {
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (protection == PROT_NONE ? MAP_NORESERVE : 0);
  void* mapped = mmap(nullptr, reserved + MappedBody::kReadAhead, protection, flags, -1, 0);
  if (mapped == MAP_FAILED) return MAP_FAILED;
  const auto address = reinterpret_cast<uintptr_t>(mapped);
  const uintptr_t aligned =
      (address + MappedBody::kReadAhead - 1) / MappedBody::kReadAhead * MappedBody::kReadAhead;
  if (aligned > address) munmap(mapped, aligned - address);
  const uintptr_t tail = address + reserved + MappedBody::kReadAhead - (aligned + reserved);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + reserved), tail);
  void* data = reinterpret_cast<void*>(aligned);
  madvise(data, reserved, MADV_DONTDUMP);  // plaintext stays out of core dumps
  madvise(data, reserved, MADV_HUGEPAGE);
  return data;
}

}  // namespace

namespace {

// Takes `size` from `left` if it holds that much.
bool TakeFrom(std::atomic<uint64_t>& left, uint64_t size) {
  uint64_t now = left.load(std::memory_order_relaxed);
  do {
    if (now < size) return false;
  } while (!left.compare_exchange_weak(now, now - size, std::memory_order_relaxed));
  return true;
}

}  // namespace

UploadMemory::~UploadMemory() {
  for (const KeptMapping& kept : kept_) munmap(kept.data, kept.size);
}

bool UploadMemory::Take(uint64_t size) {
  if (size > max_body_) return false;
  if (TakeFrom(left_, size)) return true;
  FreeKeptFor(size);
  return TakeFrom(left_, size);
}

void UploadMemory::FreeKeptFor(uint64_t size) {
  std::lock_guard lock(mutex_);
  // kept_ is in the order kept: the oldest first.
  size_t freed = 0;
  while (freed < kept_.size() && Left() < size) {
    munmap(kept_[freed].data, kept_[freed].size);
    Give(kept_[freed].size);
    ++freed;
  }
  kept_.erase(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(freed));
}

void* UploadMemory::Reuse(size_t size, size_t* mapped) {
  std::lock_guard lock(mutex_);
  auto best = kept_.end();
  for (auto it = kept_.begin(); it != kept_.end(); ++it) {
    if (it->size >= size && (best == kept_.end() || it->size < best->size)) best = it;
  }
  if (best == kept_.end()) return nullptr;
  void* data = best->data;
  *mapped = best->size;
  Give(best->size);
  kept_.erase(best);
  return data;
}

void UploadMemory::Keep(void* data, size_t mapped) {
  std::lock_guard lock(mutex_);
  if (!TakeFrom(left_, mapped)) {
    munmap(data, mapped);
    return;
  }
  kept_.push_back({data, mapped, std::chrono::steady_clock::now()});
}

void UploadMemory::TrimIdle(std::chrono::steady_clock::duration idle) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(kept_, [&](const KeptMapping& kept) {
    if (now - kept.since < idle) return false;
    munmap(kept.data, kept.size);
    Give(kept.size);
    return true;
  });
}

uint64_t UploadMemory::Kept() const {
  std::lock_guard lock(mutex_);
  uint64_t bytes = 0;
  for (const KeptMapping& kept : kept_) bytes += kept.size;
  return bytes;
}

// Anonymous memory of its own (not the heap), so that its plaintext can be
// kept out of core dumps and is given back to the system once the uploads
// stop (UploadMemory::TrimIdle); until then the next body reuses it.
class ResidentBody {
 public:
  ResidentBody(void* data, size_t mapped, size_t size, std::shared_ptr<UploadMemory> memory)
      : data_(data), mapped_(mapped), size_(size), memory_(std::move(memory)) {}
  ResidentBody(const ResidentBody&) = delete;
  ResidentBody& operator=(const ResidentBody&) = delete;
  ~ResidentBody() {
    memory_->Give(size_);
    memory_->Keep(data_, mapped_);
  }
  std::byte* data() const { return static_cast<std::byte*>(data_); }
  size_t size() const { return size_; }

 private:
  void* data_;
  size_t mapped_;  // whole 2 MiB chunks
  size_t size_;    // the body's, as taken from memory_
  std::shared_ptr<UploadMemory> memory_;
};

MappedBody::MappedBody(std::shared_ptr<const ResidentBody> resident, size_t size)
    : data_(resident->data()), size_(size), readable_to_(size), resident_(std::move(resident)) {}

MappedBody::MappedBody(MappedBody&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)),
      key_(std::move(other.key_)),
      readable_from_(std::exchange(other.readable_from_, 0)),
      readable_to_(std::exchange(other.readable_to_, 0)),
      resident_(std::move(other.resident_)) {}

MappedBody& MappedBody::operator=(MappedBody&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
    key_ = std::move(other.key_);
    readable_from_ = std::exchange(other.readable_from_, 0);
    readable_to_ = std::exchange(other.readable_to_, 0);
    resident_ = std::move(other.resident_);
  }
  return *this;
}

MappedBody::~MappedBody() { Reset(); }

void MappedBody::Reset() {
  // Unmapped pages are zeroed by the kernel before any reuse.
  if (data_ != nullptr && resident_ == nullptr) munmap(data_, Reservation(size_));
  resident_.reset();
  data_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  key_.reset();
  size_ = readable_from_ = readable_to_ = 0;
}

Result<size_t> MappedBody::Page(size_t end) {
  if (resident_ != nullptr) return size_;
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
  if (resident_ != nullptr) {
    // Nothing to drop: the memory goes back as a whole when the body does.
    const size_t end = to / MappedBody::kReadAhead * MappedBody::kReadAhead;
    return std::max(from, end);
  }
  const size_t end = std::min(to, readable_to_) / MappedBody::kReadAhead * MappedBody::kReadAhead;
  const size_t start = std::max(from, readable_from_);
  if (end <= start) return from;
  DropChunks(start, end);
  readable_from_ = end;
  return end;
}

void MappedBody::Rewind() {
  if (data_ == nullptr || resident_ != nullptr) return;
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

std::optional<SpoolFile> SpoolFile::Resident(uint64_t size, std::shared_ptr<UploadMemory> memory) {
  if (size == 0 || memory == nullptr) return std::nullopt;
  const size_t reserved = Reservation(size);
  size_t mapped = 0;
  void* data = memory->Reuse(reserved, &mapped);
  if (!memory->Take(size)) {
    if (data != nullptr) memory->Keep(data, mapped);
    return std::nullopt;
  }
  if (data == nullptr) {
    data = MapChunks(reserved, PROT_READ | PROT_WRITE);
    mapped = reserved;
  }
  if (data == MAP_FAILED) {
    memory->Give(size);
    return std::nullopt;
  }
  return SpoolFile(std::make_shared<ResidentBody>(data, mapped, size, std::move(memory)));
}

std::span<std::byte> SpoolFile::Unfilled() {
  if (resident_ == nullptr) return {};
  return {resident_->data() + size_, resident_->size() - size_};
}

void SpoolFile::Filled(size_t bytes) { size_ += std::min<uint64_t>(bytes, Unfilled().size()); }

SpoolFile::SpoolFile(SpoolFile&& other) noexcept
    : resident_(std::move(other.resident_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(std::exchange(other.size_, 0)),
      key_(std::move(other.key_)),
      sealed_(std::move(other.sealed_)) {}

SpoolFile& SpoolFile::operator=(SpoolFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    resident_ = std::move(other.resident_);
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
  if (resident_ != nullptr) {
    const std::span<std::byte> room = Unfilled();
    if (data.size() > room.size()) {
      return Fail(ErrorCode::kTooLarge, "the upload is longer than its Content-Length");
    }
    std::memcpy(room.data(), data.data(), data.size());
    size_ += data.size();
    return {};
  }
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
  if (resident_ != nullptr) return MappedBody(resident_, size_);
  // Address space for the whole body, without memory or access: Page()
  // decrypts into it a window at a time (huge pages are most of what
  // reading the spool back would otherwise cost).
  const size_t reserved = Reservation(size_);
  void* data = MapChunks(reserved, PROT_NONE);
  if (data == MAP_FAILED) return SystemFailure("cannot reserve memory for the spool file", errno);
  const int fd = fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    const int error_number = errno;
    munmap(data, reserved);
    return SystemFailure("cannot read the spool file", error_number);
  }
  return MappedBody(data, size_, fd, key_);
}

}  // namespace cf::http
