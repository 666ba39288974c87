// SPDX-License-Identifier: Apache-2.0
// Writes a ZIP (libarchive, deflate level 1) into memory piece by piece,
// for a caller that hands each piece on (an HTTP body, a file) before
// asking for more: Take() returns what was produced since the last call,
// so memory stays at one piece whatever the archive's size. Members may be
// written in slices (Begin, Write..., End). libarchive never seeks: each
// member's sizes and CRC follow its data (a data descriptor), and zip64
// extra fields and end records are written where a member or the archive
// passes 4 GiB. Records every member's SHA-256 and size as it goes (a
// package's contents.json).
// Deterministic: every member gets the same fixed time, mode 0644 and
// owner 0; the same members give the same bytes. Not thread-safe.
// Internal to cf::film.
#pragma once

#include <cstdint>
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

class ZipStream {
 public:
  // How members are written: deflated (level 1), or stored as they are
  // (for data that is compressed already, and for tests that need an
  // archive of a given size).
  enum class Compression { kDeflate, kStore };

  // Members carry `mtime_s` (seconds since 1970).
  static Result<std::unique_ptr<ZipStream>> Create(int64_t mtime_s,
                                                   Compression compression = Compression::kDeflate);
  ~ZipStream();
  ZipStream(const ZipStream&) = delete;
  ZipStream& operator=(const ZipStream&) = delete;

  // A member of exactly `size` bytes, given by Write in any slices, closed
  // by End (kInternal when the slices did not add up to `size`).
  Result<void> Begin(const std::string& name, uint64_t size);
  Result<void> Write(ByteView slice);
  Result<void> End();
  // Begin, Write, End.
  Result<void> AddBytes(const std::string& name, ByteView data);
  // Writes the central directory. Nothing can be added after.
  Result<void> Close();

  // The bytes produced since the last Take (may be empty).
  Bytes Take();
  size_t pending() const { return out_.size(); }
  const std::vector<ZipMember>& members() const { return members_; }

 private:
  struct Impl;
  ZipStream();
  std::unique_ptr<Impl> impl_;
  Bytes out_;  // what libarchive wrote since the last Take
  std::vector<ZipMember> members_;
};

}  // namespace cf::film
