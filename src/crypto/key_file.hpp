// SPDX-License-Identifier: Apache-2.0
// The on-disk form of wrapped data keys (DATA/keys/<tenant>.<id>.wrapped)
// and the file operations that keep the key folder crash-safe. Private to
// crypto: the KeyStore and the master-key rotation share it.
//
// Little endian:
//   "CFK1" | u32 id | u64 created (ms since 1970) | u16 tenant length |
//          tenant | wrapped key (nonce 12, key 32, tag 16)
//   "CFK2" | u32 id | u64 created | u8 suite | u16 tenant length | tenant |
//          wrapped key
// CFK1 is the default suite (and what every earlier version wrote and
// reads); CFK2 carries the suite of keys of other suites. The wrap binds
// tenant, id and suite as associated data (WrapContext).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/suite.hpp"

namespace cf::crypto::keyfile {

struct Header {
  uint32_t id = 0;
  uint64_t created_ms = 0;
  CryptoSuite suite = CryptoSuite::kDefault;
  std::string tenant;
};

struct Contents {
  Header header;
  Bytes wrapped;  // what the KeyProvider wrapped
};

// Also the owners of signing keys (a tenant, or "_ledger").
bool IsValidTenant(std::string_view tenant);
std::string FileName(std::string_view tenant, uint32_t id);
// "<tenant>.<id>.wrapped" -> tenant, id.
bool ParseFileName(const std::string& name, std::string* tenant, uint32_t* id);
// The associated data of a data key's wrap.
std::string WrapContext(const Header& header);

Bytes Encode(const Header& header, ByteView wrapped);
// Reads and checks a key file: kInternal "damaged key file ..." when it does
// not parse or its name does not match its contents.
Result<Contents> Read(const std::filesystem::path& file);

// Writes `data` to `path` atomically and durably (a temporary file beside
// it, fsync, rename, folder fsync). WriteNew never replaces an existing file
// (kConflict); Replace does, atomically. Keys are 0600; a public key may be
// written 0644.
Result<void> WriteNew(const std::filesystem::path& path, ByteView data, mode_t mode = 0600);
Result<void> Replace(const std::filesystem::path& path, ByteView data);

// An exclusive flock on dir/.lock for as long as it lives: serializes key
// creation, removal and re-wrapping between processes. Not reentrant: one
// per thread at a time (a second flock on a new descriptor would wait for
// the first).
class DirLock {
 public:
  explicit DirLock(const std::filesystem::path& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace cf::crypto::keyfile
