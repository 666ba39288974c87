// SPDX-License-Identifier: Apache-2.0
// Blobs as files under a root folder: root/blobs/<key>. A Put writes a
// temporary file in root/tmp, fsyncs it, renames it into place without
// replacing anything, and fsyncs the folder, so that a blob is either
// absent or complete after a crash. Concurrent Puts into one folder share a
// single folder fsync (group commit). Thread-safe; every call blocks.
#pragma once

#include <filesystem>
#include <memory>

#include "store/blob_store.hpp"

namespace cf::store {

struct FilesystemOptions {
  std::filesystem::path root;
  // Off only for throw-away data (benchmarks of other parts): a crash may then
  // lose acknowledged blobs.
  bool fsync = true;
};

class FilesystemBlobStore final : public BlobStore {
 public:
  // Creates root/blobs and root/tmp when missing.
  static Result<std::unique_ptr<FilesystemBlobStore>> Open(FilesystemOptions options);
  ~FilesystemBlobStore() override;

  Result<void> Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key) override;
  Result<uint64_t> Size(std::string_view key) override;
  Result<void> Remove(std::string_view key) override;
  Result<void> ForEach(
      const std::function<bool(std::string_view key, uint64_t size)>& visit) override;

  // Temporary files carry their writer's process id; only those of
  // processes that no longer run are removed.
  Result<int64_t> RemoveStaleTemporaries() override;

 private:
  struct Impl;
  explicit FilesystemBlobStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::store
