// SPDX-License-Identifier: Apache-2.0
// Re-encryption after a data-key rotation: every blob sealed with another
// key than its tenant's active one (or not sealed at all, written before
// encryption was on) is rewritten as a NEW blob under the active key, the
// catalog is switched to it, and only then is the old blob removed, as the
// compactor does (a crash at any step leaves a readable object; at worst an
// orphan new blob that `cloudfilm fsck --repair` removes as a duplicate).
//
// The walk goes through the catalog in primary-key order and persists its
// position after each batch, so that a restarted server or an interrupted
// `cloudfilm keys reencrypt` resumes where it stopped. A rotation (the set of
// active keys changes) starts a new pass from the beginning. Safe beside a
// compactor, in this process or another: whichever switches a blob first
// wins, and the other removes its own copy.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "catalog/catalog.hpp"
#include "store/encrypting_blob_store.hpp"

namespace cf::archive {

struct ReencryptOptions {
  // Where the position is kept (DATA/keys/reencrypt.position); empty: in
  // memory only.
  std::filesystem::path position_file;
  int batch = 16;
  // In the background: how often to look for a rotation once a pass is done.
  std::chrono::milliseconds recheck{5000};
};

struct ReencryptReport {
  int64_t examined = 0;
  int64_t reencrypted = 0;  // rewritten under their tenant's active key
  int64_t skipped = 0;      // missing or unreadable: left to fsck
  bool pass_done = false;   // every blob is under its tenant's active key
};

class Reencryptor {
 public:
  // Borrows both, which must outlive it.
  Reencryptor(catalog::Catalog& catalog, store::EncryptingBlobStore& blobs,
              ReencryptOptions options);
  ~Reencryptor();  // stops the background thread
  Reencryptor(const Reencryptor&) = delete;
  Reencryptor& operator=(const Reencryptor&) = delete;

  // Re-encrypts the next batch (at most `limit` catalog entries) from the
  // persisted position. Returns pass_done without touching anything when
  // the current pass is complete. Thread-safe (one batch at a time).
  Result<ReencryptReport> RunOnce(int limit);

  // Runs batches in a low-priority thread, pausing while `busy()` (the
  // archive has objects to file) and when a pass is done.
  void Start(std::function<bool()> busy);

 private:
  struct Position {
    std::string pass;  // the active keys it re-encrypts to
    int64_t after_pk = 0;
    bool done = false;
  };
  Result<std::string> ActiveKeys();
  Position Load();
  void Save(const Position& position);
  void Loop(const std::function<bool()>& busy);

  catalog::Catalog& catalog_;
  store::EncryptingBlobStore& blobs_;
  ReencryptOptions options_;
  std::mutex run_mutex_;              // one RunOnce at a time
  std::optional<Position> position_;  // guarded by run_mutex_; read from the file once
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace cf::archive
