// SPDX-License-Identifier: Apache-2.0
// Thin RAII wrappers over sqlite3 and sqlite3_stmt, private to the SQLite
// backend. They turn SQLite result codes into cf::Error values.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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
  // Returns true when a row is available, false when done; errors as values.
  Result<bool> Step();
  Result<void> Run();  // Step() expecting no row
  void Reset();

  std::string Text(int col) const;
  int64_t Int(int col) const;
  std::optional<int> OptInt(int col) const;
  bool IsNull(int col) const;

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

}  // namespace cf::catalog::sqlite
