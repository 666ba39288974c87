// SPDX-License-Identifier: Apache-2.0
// Blobs as files under a root folder: root/blobs/<key>. A Put writes a
// temporary file in root/tmp, fsyncs it, renames it into place without
// replacing anything, and fsyncs the folder, so that a blob is either
// absent or complete after a crash. Concurrent Puts into one folder share a
// single folder fsync (group commit). Thread-safe; every call blocks.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "store/blob_store.hpp"

namespace cf::store {

struct FilesystemOptions {
  std::filesystem::path root;
  // Sync each Put (file and folder). Off when the caller makes writes
  // durable another way (the archive's ingest journal plus Sync()), or for
  // throw-away data.
  bool fsync = true;
};

class FilesystemBlobStore final : public BlobStore {
 public:
  // Creates root/blobs and root/tmp when missing.
  static Result<std::unique_ptr<FilesystemBlobStore>> Open(FilesystemOptions options);
  ~FilesystemBlobStore() override;

  using BlobStore::Put;
  // kReadLater writes with O_DIRECT (see core/direct_write.hpp), kReadSoon
  // through the page cache.
  Result<void> Put(std::string_view key, ByteView data, WriteHint hint) override;
  Result<Bytes> Get(std::string_view key) override;
  Result<Bytes> GetPrefix(std::string_view key, size_t length) override;
  Result<Bytes> GetSplit(std::string_view key, std::span<std::byte> head,
                         Bytes buffer = {}) override;
  // posix_fadvise(WILLNEED): the kernel reads the file ahead, in the
  // background (blobs written with O_DIRECT are not in the page cache).
  void Prefetch(std::string_view key) override;
  Result<uint64_t> Size(std::string_view key) override;
  Result<void> Remove(std::string_view key) override;
  Result<void> ForEach(
      const std::function<bool(std::string_view key, uint64_t size)>& visit) override;

  // syncfs() of the filesystem holding the root: one call flushes every
  // blob written since the last one (and anything else on that filesystem).
  Result<void> Sync() override;

  // statvfs: the blocks available to unprivileged writers.
  Result<uint64_t> AvailableBytes() override;

  // Temporary files carry their writer's process id; only those of
  // processes that no longer run are removed.
  Result<int64_t> RemoveStaleTemporaries() override;

  // Tests only, before the first Put: called instead of fsync(2) for a
  // folder, so that a test can fail one as a failing disk does. Returns 0 or
  // an errno value.
  void SetFolderFsyncHook(std::function<int(int fd)> hook);

 private:
  struct Impl;
  explicit FilesystemBlobStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::store
