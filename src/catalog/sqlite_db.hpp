// SPDX-License-Identifier: Apache-2.0
// Thin RAII wrappers over sqlite3 and sqlite3_stmt, private to the SQLite
// backend. They turn SQLite result codes into cf::Error values.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::catalog::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<int>& value);
  // A BLOB; an empty one stays a zero-length BLOB, not NULL.
  Statement& BindBlob(int index, ByteView bytes);
  // Returns true when a row is available, false when done; errors as values.
  Result<bool> Step();
  Result<void> Run();  // Step() expecting no row
  void Reset();

  std::string Text(int col) const;
  int64_t Int(int col) const;
  std::optional<int> OptInt(int col) const;
  std::optional<int64_t> OptInt64(int col) const;
  bool IsNull(int col) const;
  Bytes Blob(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  // `vfs`: an SQLite VFS name (encrypted_vfs.hpp), empty = the default.
  // Without one, a file that is not plaintext SQLite is refused before
  // SQLite touches it: opening an encrypted database without its VFS after
  // a crash would make SQLite discard its WAL or hot journal as garbage.
  static Result<Connection> Open(const std::string& path, int busy_timeout_ms, bool readonly,
                                 const std::string& vfs = {});
  Connection() = default;
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }
  Result<void> Exec(std::string_view sql);
  // Prepared statements are cached per connection by their SQL text.
  Result<Statement*> Prepare(std::string_view sql);
  // Drops every cached statement once there are more than `max`: queries
  // with value lists and paging make many distinct texts. REQUIRES: no
  // Statement* from Prepare is still in use.
  void TrimCache(size_t max) {
    if (cache_.size() > max) cache_.clear();
  }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// Whether the file at `path` starts with SQLite's plaintext header;
// nullopt when it is missing or shorter than the header (a new database).
// false is an encrypted database (encrypted_vfs.hpp) or not SQLite at all.
std::optional<bool> HasPlainSqliteHeader(const std::string& path);

// Every row of `s` (bound, not yet stepped) as read by `read_row(s)`. `s`
// is reset afterwards, also on error, so that a cached statement never
// stays mid-step.
template <class T, class ReadRow>
Result<std::vector<T>> Collect(Statement& s, ReadRow read_row) {
  std::vector<T> out;
  for (;;) {
    auto row = s.Step();
    if (!row) {
      s.Reset();
      return std::unexpected(row.error());
    }
    if (!*row) break;
    out.push_back(read_row(s));
  }
  s.Reset();
  return out;
}

// The first row of `s`, or nullopt when there is none; `s` is reset.
template <class T, class ReadRow>
Result<std::optional<T>> First(Statement& s, ReadRow read_row) {
  auto row = s.Step();
  std::optional<T> out;
  if (row && *row) out = read_row(s);
  s.Reset();
  if (!row) return std::unexpected(row.error());
  return out;
}

// Applies the migrations newer than the database's PRAGMA user_version
// (migration i, 0-based, brings it to version i + 1), each in its own
// transaction with its version bump, so that a crash mid-upgrade leaves a
// usable database at the previous version. `after(db, version)`, when set,
// runs inside a migration's transaction after its SQL (data a migration
// must derive in code). Errors name `what` ("catalog", "audit"...): the
// failing migration, or kConflict for a database newer than this program.
Result<void> ApplyMigrations(
    Connection& db, std::span<const char* const> migrations, std::string_view what,
    const std::function<Result<void>(Connection&, int version)>& after = nullptr);

// A read-write connection to one of the small databases whose every commit
// must survive a crash (accounts, reports, films): WAL, synchronous FULL,
// `migrations` applied (ApplyMigrations), then foreign keys on (a
// migration may rebuild tables, which they would forbid).
Result<Connection> OpenDurable(const std::string& path, const std::string& vfs,
                               std::span<const char* const> migrations, std::string_view what);

}  // namespace cf::catalog::sqlite
