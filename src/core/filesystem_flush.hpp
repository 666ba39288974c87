// SPDX-License-Identifier: Apache-2.0
// Flushes a whole filesystem with syncfs(2), for stores that do not sync
// each write (the archive's ingest journal made those bytes durable) and
// flush once per checkpoint.
//
// syncfs reports the writeback errors of the filesystem since the file it
// is given was opened, or since its last report on that file. A folder
// opened for each flush misses the errors of everything the kernel wrote
// back in between (a blob store starts each blob's writeback at once), so
// the folder is opened once, before anything is written. And a failure
// sticks: Linux reports an error once and leaves the pages it could not
// write clean, so the next flush would succeed without them, and which
// writes they were is not known; every later Flush fails too, until the
// process starts again (and the journal's replay writes them again).
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.hpp"

namespace cf {

class FilesystemFlush {
 public:
  // `what` names the store in errors ("blob store", "catalog").
  // kStorageUnavailable when `folder` cannot be opened.
  static Result<std::unique_ptr<FilesystemFlush>> Open(const std::filesystem::path& folder,
                                                       std::string what);
  ~FilesystemFlush();
  FilesystemFlush(const FilesystemFlush&) = delete;
  FilesystemFlush& operator=(const FilesystemFlush&) = delete;

  // syncfs of the folder's filesystem. kStorageUnavailable when it fails,
  // and from then on. Thread-safe.
  Result<void> Flush();

 private:
  FilesystemFlush(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  const int fd_;
  const std::string what_;
  std::atomic<bool> failed_ = false;
};

}  // namespace cf
