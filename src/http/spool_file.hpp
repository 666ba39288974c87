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
// Internal to cf::http; no Asio/Beast. A SpoolFile is used by one request
// at a time; calls block (disk), so make them on the blocking pool.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/ctr_stream.hpp"
#include "http/multipart.hpp"

namespace cf::http {

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
  void Reset();
  // Drops the chunks of [from, to) (chunk-aligned).
  void DropChunks(size_t from, size_t to);

  void* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;  // a duplicate of the spool file's descriptor
  std::shared_ptr<const crypto::CtrStream> key_;
  size_t readable_from_ = 0;  // [readable_from_, readable_to_) is decrypted
  size_t readable_to_ = 0;
};

class SpoolFile {
 public:
  // Creates an empty unnamed file in `dir`, which must exist, with a fresh
  // random key. Fails with kStorageUnavailable naming the folder and the
  // system error.
  static Result<SpoolFile> Create(const std::filesystem::path& dir);

  SpoolFile(SpoolFile&& other) noexcept;
  SpoolFile& operator=(SpoolFile&& other) noexcept;
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  ~SpoolFile();  // closes the file, which frees its space once no MappedBody holds it

  // Encrypts `data` and appends it at the end. kStorageUnavailable when the
  // disk is full or failing (then the file should be dropped).
  Result<void> Append(ByteView data);

  // Bytes appended so far.
  uint64_t Size() const { return size_; }

  // Prepares to read the whole file back (an empty file maps to an empty
  // view); nothing is decrypted yet. The MappedBody stays valid after the
  // SpoolFile is destroyed.
  Result<MappedBody> Map() const;

  // The file's descriptor, for tests that look at the bytes on disk.
  int Descriptor() const { return fd_; }

 private:
  SpoolFile(int fd, std::shared_ptr<const crypto::CtrStream> key) : fd_(fd), key_(std::move(key)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::shared_ptr<const crypto::CtrStream> key_;
  std::vector<std::byte> sealed_;  // the encrypted bytes of one write
};

}  // namespace cf::http
