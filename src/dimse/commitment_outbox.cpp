// SPDX-License-Identifier: Apache-2.0
#include "dimse/commitment_outbox.hpp"

#include <mutex>
#include <sstream>

#include "catalog/sqlite_db.hpp"

namespace cf::dimse {
namespace {

using catalog::sqlite::Connection;
using catalog::sqlite::Statement;

// Never edit a migration that has shipped: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE pending (
  id               INTEGER PRIMARY KEY,
  requester_ae     TEXT NOT NULL,
  transaction_uid  TEXT NOT NULL,
  refs             TEXT NOT NULL,
  created_ms       INTEGER NOT NULL,
  attempts         INTEGER NOT NULL,
  next_ms          INTEGER NOT NULL,
  last_error       TEXT NOT NULL
);
CREATE INDEX pending_next ON pending (next_ms);
)sql",
};

// One line per reference: "C <class> <instance>" committed, "F ..." failed.
// UIDs hold no spaces.
std::string RefsText(const CommitmentReport& report) {
  std::string out;
  for (const auto& [refs, mark] :
       {std::pair(&report.committed, 'C'), std::pair(&report.failed, 'F')}) {
    for (const auto& r : *refs) {
      out += mark;
      out += ' ' + r.sop_class_uid + ' ' + r.sop_instance_uid + '\n';
    }
  }
  return out;
}

CommitmentReport ReportOf(const std::string& transaction_uid, const std::string& refs) {
  CommitmentReport report;
  report.transaction_uid = transaction_uid;
  std::istringstream lines(refs);
  std::string mark, sop_class, sop_instance;
  while (lines >> mark >> sop_class >> sop_instance) {
    (mark == "C" ? report.committed : report.failed).push_back({sop_class, sop_instance});
  }
  return report;
}

// id, requester_ae, transaction_uid, created_ms, attempts, last_error.
CommitmentOutbox::Pending ReadPending(const Statement& st) {
  CommitmentOutbox::Pending p;
  p.id = st.Int(0);
  p.requester_ae = st.Text(1);
  p.transaction_uid = st.Text(2);
  p.created_ms = st.Int(3);
  p.attempts = static_cast<int>(st.Int(4));
  p.last_error = st.Text(5);
  return p;
}

}  // namespace

struct CommitmentOutbox::Impl {
  std::mutex mutex;
  Connection db;

  Result<void> Run(const char* sql, const std::function<void(Statement&)>& bind) {
    auto s = db.Prepare(sql);
    if (!s) return std::unexpected(s.error());
    bind(**s);
    return (*s)->Run();
  }
};

CommitmentOutbox::CommitmentOutbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CommitmentOutbox::~CommitmentOutbox() = default;

Result<std::unique_ptr<CommitmentOutbox>> CommitmentOutbox::Open(const std::filesystem::path& path,
                                                                 const std::string& vfs) {
  auto db = catalog::sqlite::OpenDurable(path.string(), vfs, kMigrations, "commitments");
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  return std::unique_ptr<CommitmentOutbox>(new CommitmentOutbox(std::move(impl)));
}

Result<int64_t> CommitmentOutbox::Add(const std::string& requester_ae,
                                      const CommitmentReport& report, const std::string& error,
                                      int64_t now_ms, int64_t next_ms) {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "INSERT INTO pending (requester_ae, transaction_uid, refs, created_ms, attempts, next_ms, "
      "last_error) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6) RETURNING id");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, requester_ae).Bind(2, report.transaction_uid).Bind(3, RefsText(report));
  (*s)->Bind(4, now_ms).Bind(5, next_ms).Bind(6, error);
  auto id = catalog::sqlite::First<int64_t>(**s, [](Statement& st) { return st.Int(0); });
  if (!id) return std::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, "commitment outbox: no id");
  return **id;
}

Result<std::optional<std::pair<CommitmentOutbox::Pending, CommitmentReport>>>
CommitmentOutbox::ClaimDue(int64_t now_ms, int64_t lease_until_ms) {
  std::lock_guard lock(impl_->mutex);
  // One statement: another process's server sharing the file cannot claim
  // the same item between our read and our write.
  auto s = impl_->db.Prepare(
      "UPDATE pending SET next_ms = ?2 WHERE id = (SELECT id FROM pending WHERE next_ms <= ?1 "
      "ORDER BY next_ms LIMIT 1) RETURNING id, requester_ae, transaction_uid, created_ms, "
      "attempts, last_error, refs");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, now_ms).Bind(2, lease_until_ms);
  using Row = std::pair<Pending, CommitmentReport>;
  auto row = catalog::sqlite::First<Row>(
      **s, [](Statement& st) { return Row(ReadPending(st), ReportOf(st.Text(2), st.Text(6))); });
  if (!row) return std::unexpected(row.error());
  return std::move(*row);
}

Result<void> CommitmentOutbox::Delivered(int64_t id) { return Drop(id); }

Result<void> CommitmentOutbox::Postpone(int64_t id, const std::string& error, int64_t next_ms) {
  std::lock_guard lock(impl_->mutex);
  return impl_->Run(
      "UPDATE pending SET attempts = attempts + 1, last_error = ?2, next_ms = ?3 WHERE id = ?1",
      [&](Statement& s) { s.Bind(1, id).Bind(2, error).Bind(3, next_ms); });
}

Result<void> CommitmentOutbox::Drop(int64_t id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->Run("DELETE FROM pending WHERE id = ?1", [&](Statement& s) { s.Bind(1, id); });
}

Result<std::vector<CommitmentOutbox::Pending>> CommitmentOutbox::List() {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "SELECT id, requester_ae, transaction_uid, created_ms, attempts, last_error FROM pending "
      "ORDER BY id");
  if (!s) return std::unexpected(s.error());
  return catalog::sqlite::Collect<Pending>(**s, ReadPending);
}

}  // namespace cf::dimse
