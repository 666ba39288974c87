// SPDX-License-Identifier: Apache-2.0
// The embedded catalog backend: one SQLite database in WAL mode. Writes from
// many threads are grouped into shared transactions (one commit, one WAL
// fsync per group); reads use a small pool of their own connections and do
// not wait for writers. Several processes may open the same file (the server
// and `cloudfilm import`): SQLite's locking serialises their writes.
#pragma once

#include <filesystem>
#include <memory>

#include "catalog/catalog.hpp"

namespace cf::catalog {

struct SqliteOptions {
  std::filesystem::path path;  // ":memory:" is not supported: readers need a shared file
  // FULL fsyncs the WAL at every commit, so that a committed (acknowledged)
  // entry survives a power loss. NORMAL only survives a process crash.
  bool synchronous_full = true;
  int read_connections = 4;
  int busy_timeout_ms = 30000;
  // The SQLite VFS of every connection (encrypted_vfs.hpp); empty = default.
  std::string vfs = {};
};

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const SqliteOptions& options);

}  // namespace cf::catalog
