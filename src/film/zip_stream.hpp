// SPDX-License-Identifier: Apache-2.0
// Writes a ZIP (libarchive) member by member, streaming: a file member is
// copied in 64 KiB pieces, so a 1 GB exam never sits in memory. Records
// every member's SHA-256 and size as it goes (a package's contents.json).
// Deterministic: every member gets the same fixed time, mode 0644 and
// owner 0. Not thread-safe; calls block (disk). Internal to cf::film.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::film {

struct ZipMember {
  std::string name;
  std::string sha256;  // hex
  uint64_t size = 0;
};

class ZipWriter {
 public:
  // Creates (truncates) `path`; members carry `mtime_s` (seconds since 1970).
  static Result<std::unique_ptr<ZipWriter>> Create(const std::filesystem::path& path,
                                                   int64_t mtime_s);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  Result<void> AddBytes(const std::string& name, ByteView data);
  Result<void> AddFile(const std::string& name, const std::filesystem::path& file);
  // Writes the central directory. kStorageUnavailable when the disk fails.
  Result<void> Close();

  const std::vector<ZipMember>& members() const { return members_; }

 private:
  struct Impl;
  explicit ZipWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<ZipMember> members_;
};

}  // namespace cf::film
