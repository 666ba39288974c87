// SPDX-License-Identifier: Apache-2.0
// A blob store whose next Sync fails once, as syncfs(2) reports a
// writeback error once and succeeds afterwards: what the archive must not
// take for "durable again".
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "store/blob_store.hpp"

namespace cf::archive::testing {

class SyncFailsOnce final : public store::BlobStore {
 public:
  explicit SyncFailsOnce(store::BlobStore& inner) : inner_(inner) {}
  explicit SyncFailsOnce(std::unique_ptr<store::BlobStore> owned)
      : owned_(std::move(owned)), inner_(*owned_) {}
  bool fail_next_sync = false;

  Result<void> Put(std::string_view key, ByteView data, store::WriteHint hint) override {
    return inner_.Put(key, data, hint);
  }
  Result<Bytes> Get(std::string_view key) override { return inner_.Get(key); }
  Result<uint64_t> Size(std::string_view key) override { return inner_.Size(key); }
  Result<void> Remove(std::string_view key) override { return inner_.Remove(key); }
  Result<void> ForEach(
      const std::function<bool(std::string_view key, uint64_t size)>& visit) override {
    return inner_.ForEach(visit);
  }
  Result<void> Sync() override {
    if (std::exchange(fail_next_sync, false)) {
      return Fail(ErrorCode::kStorageUnavailable, "syncfs: Input/output error");
    }
    return inner_.Sync();
  }
  Result<uint64_t> AvailableBytes() override { return inner_.AvailableBytes(); }
  Result<int64_t> RemoveStaleTemporaries() override { return inner_.RemoveStaleTemporaries(); }

 private:
  std::unique_ptr<store::BlobStore> owned_;
  store::BlobStore& inner_;
};

}  // namespace cf::archive::testing
