// SPDX-License-Identifier: Apache-2.0
// A BlobStore keeps immutable byte blobs under opaque keys. Keys are made of
// [A-Za-z0-9._-] segments separated by '/', never "." or "..".
// Implementations are safe to call from many threads. Calls block: call them
// from a blocking pool, never from an I/O thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::store {

// What a writer expects of a new blob, for stores with a cache in front of
// their medium (a filesystem's page cache).
enum class WriteHint : uint8_t {
  // Written around the cache: nobody is expected to read it soon (a
  // compaction, a burst the archive is behind on), and copying it into the
  // cache would cost CPU that the writes need.
  kReadLater,
  // Kept in the cache: an exam is most often read soon after it arrives
  // (the report, the patient's QR link), and its first reader then does
  // not wait for the disk.
  kReadSoon,
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Writes a new blob. On success the blob is durable (it survives a crash or
  // power loss). Fails with kConflict if `key` exists (blobs are never
  // overwritten), kStorageUnavailable when the medium is full or failing; a
  // failed Put leaves nothing behind under `key`.
  virtual Result<void> Put(std::string_view key, ByteView data, WriteHint hint) = 0;
  Result<void> Put(std::string_view key, ByteView data) {
    return Put(key, data, WriteHint::kReadLater);
  }

  // Writes a new blob from bytes sealed elsewhere in the form this store
  // would seal them in (the ingest journal's sealed records are the blobs'
  // ciphertext: archive/ingest_journal.hpp), so that they are not sealed a
  // second time. As Put otherwise. kUnsupported when this store cannot take
  // them as they are (it does not seal, or not with that key): the caller
  // then Puts the plaintext. By default every store refuses.
  virtual Result<void> PutSealed(std::string_view key, ByteView sealed, WriteHint hint) {
    (void)key;
    (void)sealed;
    (void)hint;
    return Fail(ErrorCode::kUnsupported, "this blob store does not take sealed blobs");
  }
  Result<void> PutSealed(std::string_view key, ByteView sealed) {
    return PutSealed(key, sealed, WriteHint::kReadLater);
  }

  // Reads a whole blob. Fails with kNotFound for unknown keys.
  virtual Result<Bytes> Get(std::string_view key) = 0;

  // At most the first `length` bytes of a blob, for readers of a header
  // (which data key sealed it). The default reads the whole blob; stores
  // that can read a part override it.
  virtual Result<Bytes> GetPrefix(std::string_view key, size_t length) {
    auto blob = Get(key);
    if (blob && blob->size() > length) blob->resize(length);
    return blob;
  }

  // A whole blob, split: its first head.size() bytes into `head` and the
  // rest into the result, with one read where the store can (an encrypted
  // blob's header apart from its ciphertext, so that nothing is moved
  // after decryption). `buffer` may be the storage of an earlier read, to
  // read into without allocating (no fresh pages to fault in and zero).
  // kInvalidArgument when the blob is shorter than `head`. The default
  // reads the whole blob and copies.
  virtual Result<Bytes> GetSplit(std::string_view key, std::span<std::byte> head,
                                 Bytes buffer = {}) {
    (void)buffer;
    auto blob = Get(key);
    if (!blob) return blob;
    if (blob->size() < head.size()) {
      return Fail(ErrorCode::kInvalidArgument, "blob shorter than its header");
    }
    std::copy_n(blob->begin(), head.size(), head.begin());
    blob->erase(blob->begin(), blob->begin() + static_cast<std::ptrdiff_t>(head.size()));
    return blob;
  }

  // A whole blob, and whether the store proves that these are the exact
  // bytes a Put under this key wrote (EncryptingBlobStore: a sealed blob,
  // whose AEAD tag covers the bytes and the key). Unproven by default.
  struct Checked {
    Bytes bytes;
    bool authenticated = false;
  };
  virtual Result<Checked> GetChecked(std::string_view key, Bytes buffer = {}) {
    (void)buffer;
    auto blob = Get(key);
    if (!blob) return std::unexpected(blob.error());
    return Checked{std::move(*blob), false};
  }

  // A hint that `key` will be read soon: stores on a disk start reading it
  // into memory in the background. Never fails; by default nothing.
  virtual void Prefetch(std::string_view key) { (void)key; }

  // Size in bytes, or kNotFound.
  virtual Result<uint64_t> Size(std::string_view key) = 0;

  // Removes a blob; removing an unknown key fails with kNotFound.
  virtual Result<void> Remove(std::string_view key) = 0;

  // Calls `visit` for every blob until it returns false. Blobs written while
  // the walk runs may or may not be seen.
  virtual Result<void> ForEach(
      const std::function<bool(std::string_view key, uint64_t size)>& visit) = 0;

  // Makes every Put that has returned durable, for stores configured not to
  // sync each Put (the archive's journal already made those bytes durable).
  // After an error, a Put since the last successful Sync may be lost even
  // if a later flush succeeds (Linux reports a writeback error once): every
  // later Sync fails too, so that nothing that relies on it (a journal
  // checkpoint, a compaction) goes on as if the blobs were durable.
  virtual Result<void> Sync() = 0;

  // Bytes that Puts can still use (free space on a filesystem; the maximum
  // for stores without a practical limit). Lets the archive refuse an
  // object up front rather than acknowledge one it cannot file later.
  virtual Result<uint64_t> AvailableBytes() = 0;

  // Removes what interrupted writes left behind (a crash mid-Put) and that
  // no running writer still owns. Returns how many leftovers were removed.
  virtual Result<int64_t> RemoveStaleTemporaries() = 0;
};

// True when `key` is acceptable to every BlobStore.
bool IsValidBlobKey(std::string_view key);

// The tenant a blob belongs to: the archive starts every key with its
// tenant's code ("ruijin/20261129/08/<random>.dcm"); keys from before
// tenants existed start with a date and belong to the default tenant.
std::string_view TenantOfBlobKey(std::string_view key);

}  // namespace cf::store
