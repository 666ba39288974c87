// SPDX-License-Identifier: Apache-2.0
// Where a large request body waits while it is being handled: an unnamed
// file in the spool folder (O_TMPFILE, or a named file removed right after
// it is created where the file system lacks O_TMPFILE), so that nothing is
// left behind when the request ends, and nothing even after a crash. The
// file holds patient data, so nothing of it is in clear: it is encrypted
// with AES-256-CTR under a random key made for this file alone and held
// only in memory (wiped when the file and its readers are gone); a stolen
// disk, or a copy of the open file, shows random bytes. It is created with
// mode 0600 all the same.
//
// The body is read back a window at a time: MappedBody reserves address
// space for the whole body but decrypts into memory only the bytes the
// reader asks for (BodyPager::Page) and drops them again once they are read
// (Release), so a multi-gigabyte STOW-RS upload never sits in memory whole.
// CTR mode lets any page be decrypted on its own.
//
// A body whose length is declared and that fits in UploadMemory's budget is
// kept in memory instead (SpoolFile::Resident): encrypting it, writing it
// and reading it back cost about a fifth of the server's CPU in STOW-RS
// (perf, 4 clients of 100 x 514 KiB), for bodies that a burst of uploads
// could have held in memory anyway. The budget bounds what all uploads hold
// at once; beyond it, and for bodies of unknown or large size, the file.
// Resident bodies are kept out of core dumps too.
// Internal to cf::http; no Asio/Beast. A SpoolFile is used by one request
// at a time; calls block (disk), so make them on the blocking pool.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/ctr_stream.hpp"
#include "http/multipart.hpp"

namespace cf::http {

// How much memory upload bodies may be kept in, shared by all uploads.
//
// The memory of a finished body is kept for the next one (Keep, Reuse)
// until TrimIdle gives it back: on a VM every fresh page costs a fault that
// the host must back and the guest must zero (perf of a one-client STOW-RS:
// a third of one I/O thread in clear_page for each new 51 MB body). Kept
// memory counts against the budget, so the budget still bounds what
// uploads hold in all; a body that needs the room gets it back first.
class UploadMemory {
 public:
  // `budget` bytes in all, `max_body` at most for one body (0: none).
  UploadMemory(uint64_t budget, uint64_t max_body) : left_(budget), max_body_(max_body) {}
  UploadMemory(const UploadMemory&) = delete;
  UploadMemory& operator=(const UploadMemory&) = delete;
  ~UploadMemory();  // unmaps what is kept

  // Takes `size` bytes of the budget; false when the body is over max_body
  // or the budget has not that much left, kept memory given back.
  bool Take(uint64_t size);
  void Give(uint64_t size) { left_.fetch_add(size, std::memory_order_relaxed); }
  uint64_t Left() const { return left_.load(std::memory_order_relaxed); }

  // A kept mapping of at least `size` bytes (the smallest such), its bytes
  // as the last body left them; nullptr when none. Its share of the budget
  // passes to the caller, who Keeps or unmaps it.
  void* Reuse(size_t size, size_t* mapped);
  // Keeps `mapped` bytes at `data` (an mmap'd region) for a later Reuse, if
  // the budget has room for them; unmaps them otherwise.
  void Keep(void* data, size_t mapped);
  // Unmaps what has been kept for longer than `idle` (all of it with zero).
  void TrimIdle(std::chrono::steady_clock::duration idle);
  // Bytes kept now.
  uint64_t Kept() const;

 private:
  struct KeptMapping {
    void* data;
    size_t size;
    std::chrono::steady_clock::time_point since;
  };
  // Unmaps kept mappings, oldest first, until `size` bytes of the budget
  // are left or nothing is kept.
  void FreeKeptFor(uint64_t size);

  std::atomic<uint64_t> left_;
  const uint64_t max_body_;
  mutable std::mutex mutex_;  // guards kept_
  std::vector<KeptMapping> kept_;
};

class ResidentBody;  // a body kept in memory, with its share of the budget

// The plaintext of a whole spool file, decrypted on demand. Bytes() spans
// the whole body, but only the bytes made readable by Page() and not yet
// released may be read: any other address faults (it is reserved address
// space without access), so pass this object as the BodyPager of the
// MultipartReader that reads Bytes(). Decrypted pages are kept out of core
// dumps. One reader at a time; the parts it returned may be read by other
// threads until they are released.
class MappedBody final : public BodyPager {
 public:
  MappedBody() = default;
  MappedBody(MappedBody&& other) noexcept;
  MappedBody& operator=(MappedBody&& other) noexcept;
  MappedBody(const MappedBody&) = delete;
  MappedBody& operator=(const MappedBody&) = delete;
  ~MappedBody() override;

  ByteView Bytes() const { return {static_cast<const std::byte*>(data_), size_}; }

  // Makes [window start, end) readable (end clamped to the body's size),
  // in whole chunks of kReadAhead, at least one ahead; returns how far the
  // body is readable now. kStorageUnavailable when the file cannot be read.
  Result<size_t> Page(size_t end) override;

  // Drops the decrypted whole chunks (kReadAhead) of [from, to) (they become
  // unreadable again), and returns `to` rounded down to a chunk: pass it as
  // the next `from`. A body is read front to back, so releasing what was
  // read keeps the process's resident size flat however large the upload.
  size_t Release(size_t from, size_t to);

  // Drops everything decrypted: a new reader may start again at byte 0.
  void Rewind();

  // Page() decrypts whole chunks of this size, at least one ahead of the
  // reader (bounds the syscalls per byte, and the memory held beyond the
  // part being read).
  static constexpr size_t kReadAhead = size_t{2} << 20;

 private:
  friend class SpoolFile;
  MappedBody(void* data, size_t size, int fd, std::shared_ptr<const crypto::CtrStream> key)
      : data_(data), size_(size), fd_(fd), key_(std::move(key)) {}
  // A resident body: all of it readable, nothing to decrypt or drop.
  MappedBody(std::shared_ptr<const ResidentBody> resident, size_t size);
  void Reset();
  // Drops the chunks of [from, to) (chunk-aligned).
  void DropChunks(size_t from, size_t to);

  void* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;  // a duplicate of the spool file's descriptor
  std::shared_ptr<const crypto::CtrStream> key_;
  size_t readable_from_ = 0;  // [readable_from_, readable_to_) is decrypted
  size_t readable_to_ = 0;
  std::shared_ptr<const ResidentBody> resident_;  // set for a resident body (data_ is in it)
};

class SpoolFile {
 public:
  // Creates an empty unnamed file in `dir`, which must exist, with a fresh
  // random key. Fails with kStorageUnavailable naming the folder and the
  // system error.
  static Result<SpoolFile> Create(const std::filesystem::path& dir);

  // A body of exactly `size` bytes kept in memory, taken from `memory`;
  // nullopt when `memory` has no room for it (then Create a file).
  static std::optional<SpoolFile> Resident(uint64_t size, std::shared_ptr<UploadMemory> memory);

  SpoolFile(SpoolFile&& other) noexcept;
  SpoolFile& operator=(SpoolFile&& other) noexcept;
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  ~SpoolFile();  // closes the file, which frees its space once no MappedBody holds it

  // Encrypts `data` and appends it at the end. kStorageUnavailable when the
  // disk is full or failing (then the file should be dropped). A resident
  // body copies it, and refuses bytes past its size with kTooLarge.
  Result<void> Append(ByteView data);

  // Whether the body is kept in memory.
  bool IsResident() const { return resident_ != nullptr; }
  // A resident body's room after the bytes appended so far: read the next
  // bytes straight into it, then call Filled with how many.
  std::span<std::byte> Unfilled();
  void Filled(size_t bytes);

  // Bytes appended so far.
  uint64_t Size() const { return size_; }

  // Prepares to read the whole file back (an empty file maps to an empty
  // view); nothing is decrypted yet. The MappedBody stays valid after the
  // SpoolFile is destroyed.
  Result<MappedBody> Map() const;

  // The file's descriptor, for tests that look at the bytes on disk (-1
  // for a resident body).
  int Descriptor() const { return fd_; }

 private:
  SpoolFile(int fd, std::shared_ptr<const crypto::CtrStream> key) : fd_(fd), key_(std::move(key)) {}
  explicit SpoolFile(std::shared_ptr<ResidentBody> resident) : resident_(std::move(resident)) {}
  std::shared_ptr<ResidentBody> resident_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::shared_ptr<const crypto::CtrStream> key_;
  std::vector<std::byte> sealed_;  // the encrypted bytes of one write
};

}  // namespace cf::http
