// SPDX-License-Identifier: Apache-2.0
// One-time conversion of a plaintext database to the encrypting VFS. The
// copy is made beside the original and renamed over it, so that a crash
// leaves either the old plaintext database or the new encrypted one, never
// half of each; a leftover copy is removed at the next attempt.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "catalog/encrypted_vfs.hpp"
#include "catalog/sqlite_db.hpp"

namespace cf::catalog {
namespace {

void SyncPath(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Result<bool> EncryptPlainDatabase(const std::filesystem::path& path, const std::string& vfs) {
  if (sqlite::HasPlainSqliteHeader(path.string()) != true) return false;
  const std::filesystem::path copy = path.string() + ".encrypting";
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(copy.string() + suffix, ec);
  }
  // The plain side through our wrapper (WAL folded in), the encrypted side
  // through the VFS.
  auto plain = sqlite::Connection::Open(path.string(), 30000, false);
  if (!plain) return std::unexpected(plain.error());
  if (auto r = plain->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !r)
    return std::unexpected(r.error());
  auto sealed = sqlite::Connection::Open(copy.string(), 30000, false, vfs);
  if (!sealed) return std::unexpected(sealed.error());
  sqlite3_backup* backup = sqlite3_backup_init(sealed->get(), "main", plain->get(), "main");
  if (backup == nullptr) {
    return std::unexpected(sqlite::SqliteError(sealed->get(), sqlite3_errcode(sealed->get()),
                                               "encrypt " + path.string()));
  }
  const int step = sqlite3_backup_step(backup, -1);
  const int finish = sqlite3_backup_finish(backup);
  if (step != SQLITE_DONE || finish != SQLITE_OK) {
    return std::unexpected(sqlite::SqliteError(sealed->get(), step != SQLITE_DONE ? step : finish,
                                               "encrypt " + path.string()));
  }
  // The copy is in rollback-journal mode; the owners set WAL when they open it.
  *sealed = sqlite::Connection();
  *plain = sqlite::Connection();
  SyncPath(copy);
  std::filesystem::rename(copy, path, ec);
  if (ec) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot replace " + path.string() + " by its encrypted copy: " + ec.message());
  }
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path.string() + suffix, ec);
  }
  SyncPath(path.parent_path());
  return true;
}

}  // namespace cf::catalog
