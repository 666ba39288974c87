// SPDX-License-Identifier: Apache-2.0
// Key-folder helpers shared by the key stores (key_store.cpp for data keys,
// signing_key_store.cpp for signing keys): keys are written once, never
// replaced, and made durable before anything depends on them. Private to
// the crypto part.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::crypto {

// Writes `data` to `path` atomically and durably (temporary file, fsync,
// rename without replacing, folder fsync): kConflict when `path` exists.
Result<void> WriteNewKeyFile(const std::filesystem::path& path, ByteView data, mode_t mode);

// An exclusive flock on dir/.lock for as long as it lives, so that
// processes sharing a key folder agree on which key they create.
class KeyDirLock {
 public:
  explicit KeyDirLock(const std::filesystem::path& dir);
  ~KeyDirLock();
  KeyDirLock(const KeyDirLock&) = delete;
  KeyDirLock& operator=(const KeyDirLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace cf::crypto
