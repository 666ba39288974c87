// SPDX-License-Identifier: Apache-2.0
// Where a large request body waits while it is being handled: an unnamed
// file in the spool folder (O_TMPFILE, or a named file removed right after
// it is created where the file system lacks O_TMPFILE), so that nothing is
// left behind when the request ends, and nothing even after a crash. The
// body is read back through a read-only memory mapping, so a multi-gigabyte
// STOW-RS upload never sits in the heap. The file holds patient data: it is
// created with mode 0600.
// Internal to cf::http; no Asio/Beast. A SpoolFile is used by one request
// at a time; calls block (disk), so make them on the blocking pool.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::http {

// A read-only mapping of a whole spool file; unmapped on destruction.
class MappedBody {
 public:
  MappedBody() = default;
  MappedBody(MappedBody&& other) noexcept;
  MappedBody& operator=(MappedBody&& other) noexcept;
  MappedBody(const MappedBody&) = delete;
  MappedBody& operator=(const MappedBody&) = delete;
  ~MappedBody();

  ByteView Bytes() const { return {static_cast<const std::byte*>(data_), size_}; }

  // Unmaps the whole pages of [from, to) from this process (they stay in
  // the page cache, and reading them again maps them again), and returns
  // `to` rounded down to a page: pass it as the next `from`. A body is read
  // front to back, so releasing what was read keeps the process's resident
  // size flat however large the upload. REQUIRES: `from` is page-aligned.
  size_t Release(size_t from, size_t to);

 private:
  friend class SpoolFile;
  MappedBody(void* data, size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  size_t size_ = 0;
};

class SpoolFile {
 public:
  // Creates an empty unnamed file in `dir`, which must exist. Fails with
  // kStorageUnavailable naming the folder and the system error.
  static Result<SpoolFile> Create(const std::filesystem::path& dir);

  SpoolFile(SpoolFile&& other) noexcept;
  SpoolFile& operator=(SpoolFile&& other) noexcept;
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  ~SpoolFile();  // closes the file, which frees its space

  // Appends `data` at the end. kStorageUnavailable when the disk is full or
  // failing (then the file should be dropped).
  Result<void> Append(ByteView data);

  // Bytes appended so far.
  uint64_t Size() const { return size_; }

  // Maps the whole file read-only (an empty file maps to an empty view).
  // The mapping stays valid after the SpoolFile is destroyed.
  Result<MappedBody> Map() const;

 private:
  explicit SpoolFile(int fd) : fd_(fd) {}
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace cf::http
