// SPDX-License-Identifier: Apache-2.0
#include "catalog/sqlite_db.hpp"

#include <fstream>
#include <string_view>

#include <utility>

namespace cf::catalog::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  const ErrorCode code =
      (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_BUSY ||
       primary == SQLITE_LOCKED || primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY)
          ? ErrorCode::kStorageUnavailable
      : primary == SQLITE_CONSTRAINT ? ErrorCode::kConflict
                                     : ErrorCode::kInternal;
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{code, std::move(msg)};
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt_, nullptr) != SQLITE_OK) {
    stmt_ = nullptr;
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::Bind(int index, const std::optional<int>& value) {
  return value ? Bind(index, static_cast<int64_t>(*value)) : BindNull(index);
}

Statement& Statement::BindBlob(int index, ByteView bytes) {
  // A null pointer would bind NULL: an empty BLOB must stay a value.
  if (bytes.empty()) {
    sqlite3_bind_zeroblob(stmt_, index, 0);
  } else {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(SqliteError(db_, rc, "sqlite step"));
}

Result<void> Statement::Run() {
  auto r = Step();
  Reset();
  if (!r) return std::unexpected(r.error());
  return {};
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::Text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}
int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
std::optional<int64_t> Statement::OptInt64(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

std::optional<int> Statement::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return sqlite3_column_int(stmt_, col);
}
bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Bytes Statement::Blob(int col) const {
  const auto* p = static_cast<const std::byte*>(sqlite3_column_blob(stmt_, col));
  const auto n = static_cast<size_t>(sqlite3_column_bytes(stmt_, col));
  if (p == nullptr || n == 0) return {};
  return Bytes(p, p + n);
}

std::optional<bool> HasPlainSqliteHeader(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char header[16] = {};
  if (!file || !file.read(header, sizeof header)) return std::nullopt;
  return std::string_view(header, sizeof header) == std::string_view("SQLite format 3\0", 16);
}

Result<Connection> Connection::Open(const std::string& path, int busy_timeout_ms, bool readonly,
                                    const std::string& vfs) {
  if (vfs.empty() && HasPlainSqliteHeader(path) == false) {
    return Fail(ErrorCode::kInvalidArgument,
                path +
                    " is encrypted (or not an SQLite database): open it with encryption on "
                    "(security.encryption = true) and the same master key");
  }
  Connection c;
  const int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &c.db_, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    Error e = SqliteError(c.db_, rc, "open catalog " + path);
    return std::unexpected(e);
  }
  sqlite3_busy_timeout(c.db_, busy_timeout_ms);
  sqlite3_extended_result_codes(c.db_, 1);
  return c;
}

Connection::~Connection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    cache_.clear();
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Result<void> Connection::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error e = SqliteError(nullptr, rc, "sqlite exec");
    e.message += " (" + msg + ")";
    return std::unexpected(e);
  }
  return {};
}

Result<Statement*> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  auto stmt = std::make_unique<Statement>(db_, sql);
  if (!stmt->ok()) return std::unexpected(SqliteError(db_, sqlite3_errcode(db_), "sqlite prepare"));
  Statement* raw = stmt.get();
  cache_.emplace(std::string(sql), std::move(stmt));
  return raw;
}

Result<void> ApplyMigrations(Connection& db, std::span<const char* const> migrations,
                             std::string_view what,
                             const std::function<Result<void>(Connection&, int version)>& after) {
  auto stmt = db.Prepare("PRAGMA user_version");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = (*stmt)->Step();
  if (!row) return std::unexpected(row.error());
  const int current = *row ? static_cast<int>((*stmt)->Int(0)) : 0;
  (*stmt)->Reset();
  const int latest = static_cast<int>(migrations.size());
  if (current > latest) {
    return Fail(ErrorCode::kConflict,
                std::string(what) + " schema version " + std::to_string(current) +
                    " is newer than this program (" + std::to_string(latest) + ")");
  }
  for (int v = current + 1; v <= latest; ++v) {
    auto step = [&]() -> Result<void> {
      if (auto r =
              db.Exec(std::string("BEGIN IMMEDIATE;\n") + migrations[static_cast<size_t>(v - 1)]);
          !r) {
        return r;
      }
      if (after) {
        if (auto r = after(db, v); !r) return r;
      }
      return db.Exec("PRAGMA user_version = " + std::to_string(v) + ";\nCOMMIT;");
    };
    if (auto r = step(); !r) {
      (void)db.Exec("ROLLBACK");
      Error e = r.error();
      e.message = std::string(what) + " migration " + std::to_string(v) + " failed: " + e.message;
      return std::unexpected(e);
    }
  }
  return {};
}

Result<Connection> OpenDurable(const std::string& path, const std::string& vfs,
                               std::span<const char* const> migrations, std::string_view what) {
  auto db = Connection::Open(path, 5000, /*readonly=*/false, vfs);
  if (!db) return std::unexpected(db.error());
  if (auto r = db->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = ApplyMigrations(*db, migrations, what); !r) return std::unexpected(r.error());
  if (auto r = db->Exec("PRAGMA foreign_keys = ON;"); !r) return std::unexpected(r.error());
  return db;
}

}  // namespace cf::catalog::sqlite
