// SPDX-License-Identifier: Apache-2.0
#include "film/print_log.hpp"

#include <mutex>

#include "catalog/sqlite_db.hpp"

namespace cf::film {
namespace {

using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

// Never edit a migration that has shipped: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE prints (
  tenant    TEXT NOT NULL,
  kind      TEXT NOT NULL,
  target_id TEXT NOT NULL,
  version   INTEGER NOT NULL,
  first_ms  INTEGER NOT NULL,
  last_ms   INTEGER NOT NULL,
  count     INTEGER NOT NULL,
  last_by   TEXT NOT NULL,
  PRIMARY KEY (tenant, kind, target_id, version)
);
)sql",
};

PrintRecord ReadRecord(const Statement& s) {
  return PrintRecord{s.Int(0), s.Int(1), s.Int(2), s.Text(3)};
}

}  // namespace

std::string_view PrintKindName(PrintKind kind) {
  return kind == PrintKind::kReport ? "report" : "film-sheet";
}

struct PrintLog::Impl {
  std::mutex mutex;
  Connection db;
};

PrintLog::PrintLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrintLog::~PrintLog() = default;

Result<std::unique_ptr<PrintLog>> PrintLog::Open(const std::filesystem::path& path,
                                                 const std::string& vfs) {
  auto db = catalog::sqlite::OpenDurable(path.string(), vfs, kMigrations, "prints");
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  return std::unique_ptr<PrintLog>(new PrintLog(std::move(impl)));
}

Result<PrintRecord> PrintLog::Record(const PrintTarget& t, std::string_view by, int64_t now_ms) {
  if (t.tenant.empty() || t.id.empty()) {
    return std::unexpected(Error{ErrorCode::kInvalidArgument, "a print names a tenant and an id"});
  }
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "INSERT INTO prints (tenant, kind, target_id, version, first_ms, last_ms, count, last_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1, ?6) "
      "ON CONFLICT (tenant, kind, target_id, version) DO UPDATE SET count = count + 1, "
      "last_ms = excluded.last_ms, last_by = excluded.last_by "
      "RETURNING first_ms, last_ms, count, last_by");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, t.tenant).Bind(2, PrintKindName(t.kind)).Bind(3, t.id);
  (*s)->Bind(4, int64_t{t.version}).Bind(5, now_ms).Bind(6, by);
  auto row = First<PrintRecord>(**s, ReadRecord);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(Error{ErrorCode::kInternal, "print not recorded"});
  return **row;
}

Result<std::optional<PrintRecord>> PrintLog::Get(const PrintTarget& t) {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "SELECT first_ms, last_ms, count, last_by FROM prints "
      "WHERE tenant = ?1 AND kind = ?2 AND target_id = ?3 AND version = ?4");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, t.tenant).Bind(2, PrintKindName(t.kind)).Bind(3, t.id);
  (*s)->Bind(4, int64_t{t.version});
  return First<PrintRecord>(**s, ReadRecord);
}

}  // namespace cf::film
