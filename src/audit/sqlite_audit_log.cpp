// SPDX-License-Identifier: Apache-2.0
// The SQLite audit log: one writer thread group-commits queued events (one
// transaction and one fsync for every event that arrived while the previous
// batch was committing); a separate read connection answers queries, which
// WAL lets run beside the writer. Reads of the same thing by the same caller
// are coalesced in memory (AuditOptions::coalesce_window).
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "audit/audit_log.hpp"
#include "audit/source_host.hpp"
#include "audit/sqlite_audit_migrations.hpp"
#include "catalog/sqlite_db.hpp"
#include "core/log.hpp"
#include "core/time_text.hpp"

namespace cf::audit {
namespace {

using catalog::sqlite::Connection;
using catalog::sqlite::Statement;

constexpr int kBusyTimeoutMs = 10'000;
constexpr size_t kMaxBatch = 1024;           // events per transaction
constexpr size_t kMaxCoalesceKeys = 10'000;  // recent reads remembered before pruning
constexpr size_t kMaxText = 4096;            // bytes kept of each text field but detail
constexpr size_t kMaxDetail = 16384;

constexpr std::string_view kColumns =
    "id, time_ms, tenant, actor, role, token_id, patient_id, study_uid, series_uid, sop_uid, "
    "action, outcome, protocol, route, source, user_agent, detail, flagged";

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
void Truncate(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

// Length-prefixed parts, so that no field's content can forge another key.
void AppendKeyPart(std::string& key, std::string_view part) {
  key += std::to_string(part.size());
  key += ':';
  key += part;
}

// What makes two reads "the same": the documented actor, token, tenant,
// action, study and source, plus patient, outcome and flag, so that a denial,
// a flagged (break-glass) read or another patient's data is never hidden
// behind an earlier event. The source counts without its port: a viewer
// opens several connections from one machine.
std::string CoalesceKey(const Event& e) {
  std::string key;
  for (std::string_view part :
       {std::string_view(e.tenant), std::string_view(e.actor), std::string_view(e.token_id),
        ActionName(e.action), OutcomeName(e.outcome), std::string_view(e.flagged ? "1" : "0"),
        std::string_view(e.patient_id), std::string_view(e.study_uid), SourceHost(e.source)}) {
    AppendKeyPart(key, part);
  }
  return key;
}

Error Unavailable(const Error& e, std::string_view what) {
  return Error{ErrorCode::kStorageUnavailable, std::string(what) + ": " + e.message};
}

// Every row of `s` (bound, selecting kColumns) as events; `s` is reset
// afterwards, which ends its read transaction so that the next query sees
// new commits.
Result<std::vector<Event>> ReadEvents(Statement& s) {
  std::vector<Event> events;
  for (;;) {
    auto row = s.Step();
    if (!row) {
      s.Reset();
      return std::unexpected(Unavailable(row.error(), "audit query failed"));
    }
    if (!*row) break;
    Event e;
    e.id = s.Int(0);
    e.time_ms = s.Int(1);
    e.tenant = s.Text(2);
    e.actor = s.Text(3);
    e.role = s.Text(4);
    e.token_id = s.Text(5);
    e.patient_id = s.Text(6);
    e.study_uid = s.Text(7);
    e.series_uid = s.Text(8);
    e.sop_uid = s.Text(9);
    auto action = ParseAction(s.Text(10));
    auto outcome = ParseOutcome(s.Text(11));
    if (!action || !outcome) {
      s.Reset();
      return Fail(ErrorCode::kConflict, "audit event " + std::to_string(e.id) +
                                            " has an unknown action or outcome (written by a "
                                            "newer program?)");
    }
    e.action = *action;
    e.outcome = *outcome;
    e.protocol = s.Text(12);
    e.route = s.Text(13);
    e.source = s.Text(14);
    e.user_agent = s.Text(15);
    e.detail = s.Text(16);
    e.flagged = s.Int(17) != 0;
    events.push_back(std::move(e));
  }
  s.Reset();
  return events;
}

class SqliteAuditLog final : public AuditLog {
 public:
  SqliteAuditLog(AuditOptions options, Connection writer, Connection reader, Connection state)
      : options_(options),
        writer_(std::move(writer)),
        reader_(std::move(reader)),
        state_(std::move(state)) {
    thread_ = std::thread([this] { WriterLoop(); });
  }

  // Drains the queue: every Record already waiting gets its answer.
  ~SqliteAuditLog() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    work_cv_.notify_all();
    thread_.join();
  }

  SqliteAuditLog(const SqliteAuditLog&) = delete;
  SqliteAuditLog& operator=(const SqliteAuditLog&) = delete;

  Result<void> Record(Event event) override;
  bool Covered(const Event& event) override;
  Result<std::vector<Event>> Find(const EventFilter& filter) override;
  Result<int64_t> Count() override;
  Result<std::vector<Event>> ReadAfter(int64_t after_id, size_t limit) override;
  Result<int64_t> ExportPosition(std::string_view name) override;
  Result<void> SetExportPosition(std::string_view name, int64_t last_id) override;

 private:
  struct Pending {
    Event event;
    std::string key;  // coalescing key; empty when the event is always stored
    Result<void> result = std::unexpected(Error{ErrorCode::kInternal, "not run"});
    bool done = false;  // guarded by mutex_
  };
  // The last stored read of a key: in flight until its batch committed.
  struct Recent {
    int64_t time_ms = 0;
    std::shared_ptr<Pending> in_flight;  // null once committed
  };
  using Batch = std::vector<std::shared_ptr<Pending>>;

  bool Covers(int64_t anchor_ms, int64_t time_ms) const {
    const int64_t window = options_.coalesce_window.count();
    const int64_t distance = time_ms >= anchor_ms ? time_ms - anchor_ms : anchor_ms - time_ms;
    return window > 0 && distance < window;
  }
  void PruneRecent(int64_t now_ms);  // REQUIRES: mutex_ held
  void WriterLoop();
  Result<void> WriteBatch(const Batch& batch);  // only on the writer thread
  Result<void> CheckNotMoved();                 // only on the writer thread

  const AuditOptions options_;

  std::mutex mutex_;
  std::condition_variable work_cv_;             // the writer waits for events or stop_
  std::condition_variable done_cv_;             // Record waits for its batch (or its predecessor's)
  std::deque<std::shared_ptr<Pending>> queue_;  // guarded by mutex_
  std::unordered_map<std::string, Recent> recent_;  // guarded by mutex_
  bool stop_ = false;                               // guarded by mutex_

  Connection writer_;  // used only by thread_

  std::mutex read_mutex_;
  Connection reader_;  // guarded by read_mutex_

  std::mutex state_mutex_;
  Connection state_;  // export positions; guarded by state_mutex_

  std::thread thread_;  // last: started once everything above exists
};

Result<void> SqliteAuditLog::Record(Event event) {
  if (event.tenant.empty() || event.actor.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "audit event needs a tenant and an actor");
  }
  if (event.time_ms < 0) return Fail(ErrorCode::kInvalidArgument, "audit event time is negative");
  if (ActionName(event.action).empty() || OutcomeName(event.outcome).empty()) {
    return Fail(ErrorCode::kInvalidArgument, "audit event has an unknown action or outcome");
  }
  if (event.time_ms == 0) event.time_ms = UnixNowMs();
  event.id = 0;
  for (std::string* s : {&event.tenant, &event.actor, &event.role, &event.token_id,
                         &event.patient_id, &event.study_uid, &event.series_uid, &event.sop_uid,
                         &event.protocol, &event.route, &event.source, &event.user_agent}) {
    Truncate(*s, kMaxText);
  }
  Truncate(event.detail, kMaxDetail);

  auto me = std::make_shared<Pending>();
  me->event = std::move(event);
  if (options_.coalesce_window.count() > 0 && IsRead(me->event.action)) {
    me->key = CoalesceKey(me->event);
  }
  const int64_t time_ms = me->event.time_ms;

  std::unique_lock lock(mutex_);
  if (!me->key.empty()) {
    for (;;) {
      auto it = recent_.find(me->key);
      if (it == recent_.end() || !Covers(it->second.time_ms, time_ms)) break;
      if (it->second.in_flight == nullptr) return {};  // covered by a committed event
      // Covered by an event not yet durable: its outcome is ours. If it
      // failed, its entry is gone and this event tries to be stored itself.
      const std::shared_ptr<Pending> predecessor = it->second.in_flight;
      done_cv_.wait(lock, [&] { return predecessor->done; });
      if (predecessor->result) return {};
    }
    if (recent_.size() >= kMaxCoalesceKeys) PruneRecent(time_ms);
    recent_.insert_or_assign(me->key, Recent{time_ms, me});
  }
  queue_.push_back(me);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return me->done; });
  return me->result;
}

bool SqliteAuditLog::Covered(const Event& event) {
  if (options_.coalesce_window.count() <= 0 || !IsRead(event.action)) return false;
  // Fields longer than Record keeps make another key: not covered, and
  // Record decides.
  const std::string key = CoalesceKey(event);
  const int64_t time_ms = event.time_ms > 0 ? event.time_ms : UnixNowMs();
  std::lock_guard lock(mutex_);
  const auto it = recent_.find(key);
  return it != recent_.end() && it->second.in_flight == nullptr &&
         Covers(it->second.time_ms, time_ms);
}

void SqliteAuditLog::PruneRecent(int64_t now_ms) {
  std::erase_if(recent_, [&](const auto& entry) {
    return entry.second.in_flight == nullptr && !Covers(entry.second.time_ms, now_ms);
  });
  // Still crowded (many distinct reads within one window): forget the
  // committed ones too. That costs only extra rows, never a lost event.
  if (recent_.size() >= kMaxCoalesceKeys * 3 / 4) {
    std::erase_if(recent_, [](const auto& entry) { return entry.second.in_flight == nullptr; });
  }
}

void SqliteAuditLog::WriterLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and drained
    Batch batch;
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Result<void> result = WriteBatch(batch);
    lock.lock();
    if (!result) {
      // The message comes from SQLite or from us: never patient data.
      log::Error("audit.write_failed",
                 {{"events", batch.size()}, {"error", result.error().message}});
    }
    for (const auto& p : batch) {
      p->result = result;
      p->done = true;
      if (p->key.empty()) continue;
      // Only a committed event may cover later ones.
      auto it = recent_.find(p->key);
      if (it == recent_.end() || it->second.in_flight != p) continue;
      if (result) {
        it->second.in_flight.reset();
      } else {
        recent_.erase(it);
      }
    }
    done_cv_.notify_all();
  }
}

Result<void> SqliteAuditLog::CheckNotMoved() {
  // Writes to a file whose folder was removed or renamed "succeed" into an
  // unlinked inode and are lost: refuse them.
  int moved = 0;
  const int rc = sqlite3_file_control(writer_.get(), "main", SQLITE_FCNTL_HAS_MOVED, &moved);
  if (rc != SQLITE_OK) {
    return std::unexpected(catalog::sqlite::SqliteError(writer_.get(), rc, "audit file check"));
  }
  if (moved != 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                "audit database file was removed or moved since it was opened");
  }
  return {};
}

Result<void> SqliteAuditLog::WriteBatch(const Batch& batch) {
  auto run = [&]() -> Result<void> {
    if (auto r = CheckNotMoved(); !r) return r;
    if (auto r = writer_.Exec("BEGIN IMMEDIATE"); !r) return r;
    auto insert = writer_.Prepare(
        "INSERT INTO audit_events (time_ms, tenant, actor, role, token_id, patient_id, "
        "study_uid, series_uid, sop_uid, action, outcome, protocol, route, source, user_agent, "
        "detail, flagged) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
        "?15, ?16, ?17)");
    if (!insert) return std::unexpected(insert.error());
    Statement& s = **insert;
    for (const auto& p : batch) {
      const Event& e = p->event;
      s.Bind(1, e.time_ms)
          .Bind(2, e.tenant)
          .Bind(3, e.actor)
          .Bind(4, e.role)
          .Bind(5, e.token_id)
          .Bind(6, e.patient_id)
          .Bind(7, e.study_uid)
          .Bind(8, e.series_uid)
          .Bind(9, e.sop_uid)
          .Bind(10, ActionName(e.action))
          .Bind(11, OutcomeName(e.outcome))
          .Bind(12, e.protocol)
          .Bind(13, e.route)
          .Bind(14, e.source)
          .Bind(15, e.user_agent)
          .Bind(16, e.detail)
          .Bind(17, int64_t{e.flagged ? 1 : 0});
      if (auto r = s.Run(); !r) return r;
    }
    if (auto r = writer_.Exec("COMMIT"); !r) return r;
    // Moved while we wrote: the commit went to a file nobody will find.
    return CheckNotMoved();
  };
  auto result = run();
  if (!result) {
    if (sqlite3_get_autocommit(writer_.get()) == 0) (void)writer_.Exec("ROLLBACK");
    return std::unexpected(Unavailable(result.error(), "audit log write failed"));
  }
  return {};
}

Result<std::vector<Event>> SqliteAuditLog::Find(const EventFilter& filter) {
  const size_t limit = std::min(filter.limit, kMaxFindLimit);
  if (limit == 0) return std::vector<Event>{};

  std::string sql = "SELECT ";
  sql += kColumns;
  sql += " FROM audit_events";
  std::vector<std::variant<std::string_view, int64_t>> params;
  bool first = true;
  auto clause = [&](std::string_view text) {
    sql += first ? " WHERE " : " AND ";
    first = false;
    sql += text;
  };
  auto param = [&](std::string_view column_op, std::variant<std::string_view, int64_t> value) {
    params.push_back(value);
    clause(column_op);
    sql += " ?" + std::to_string(params.size());
  };
  if (filter.tenant) param("tenant =", *filter.tenant);
  if (filter.actor) param("actor =", *filter.actor);
  if (filter.patient_id) param("patient_id =", *filter.patient_id);
  if (filter.study_uid) param("study_uid =", *filter.study_uid);
  if (filter.action) param("action =", ActionName(*filter.action));
  if (filter.outcome) param("outcome =", OutcomeName(*filter.outcome));
  if (filter.from_ms) param("time_ms >=", *filter.from_ms);
  if (filter.to_ms) param("time_ms <", *filter.to_ms);
  // A literal, not a parameter, so that the partial index on flagged rows applies.
  if (filter.flagged) clause(*filter.flagged ? "flagged = 1" : "flagged = 0");
  sql += " ORDER BY time_ms DESC, id DESC LIMIT " + std::to_string(limit);
  constexpr auto kMaxOffset = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  sql += " OFFSET " + std::to_string(std::min(filter.offset, kMaxOffset));

  std::lock_guard lock(read_mutex_);
  reader_.TrimCache(64);
  auto stmt = reader_.Prepare(sql);
  if (!stmt) return std::unexpected(Unavailable(stmt.error(), "audit query failed"));
  Statement& s = **stmt;
  for (size_t i = 0; i < params.size(); ++i) {
    std::visit([&](const auto& v) { s.Bind(static_cast<int>(i + 1), v); }, params[i]);
  }
  return ReadEvents(s);
}

Result<std::vector<Event>> SqliteAuditLog::ReadAfter(int64_t after_id, size_t limit) {
  limit = std::min(limit, kMaxFindLimit);
  if (limit == 0) return std::vector<Event>{};
  std::string sql = "SELECT ";
  sql += kColumns;
  sql += " FROM audit_events WHERE id > ?1 ORDER BY id LIMIT ?2";
  std::lock_guard lock(read_mutex_);
  auto stmt = reader_.Prepare(sql);
  if (!stmt) return std::unexpected(Unavailable(stmt.error(), "audit read failed"));
  (*stmt)->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  return ReadEvents(**stmt);
}

Result<int64_t> SqliteAuditLog::ExportPosition(std::string_view name) {
  std::lock_guard lock(state_mutex_);
  auto stmt = state_.Prepare("SELECT last_id FROM audit_export_positions WHERE name = ?1");
  if (!stmt) return std::unexpected(Unavailable(stmt.error(), "audit export position"));
  (*stmt)->Bind(1, name);
  auto id = catalog::sqlite::First<int64_t>(**stmt, [](const Statement& s) { return s.Int(0); });
  if (!id) return std::unexpected(Unavailable(id.error(), "audit export position"));
  return id->value_or(0);
}

Result<void> SqliteAuditLog::SetExportPosition(std::string_view name, int64_t last_id) {
  if (name.empty() || last_id < 0) {
    return Fail(ErrorCode::kInvalidArgument, "audit export position needs a name and an id >= 0");
  }
  std::lock_guard lock(state_mutex_);
  auto stmt = state_.Prepare(
      "INSERT INTO audit_export_positions (name, last_id, updated_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id, "
      "updated_ms = excluded.updated_ms");
  if (!stmt) return std::unexpected(Unavailable(stmt.error(), "audit export position"));
  (*stmt)->Bind(1, name).Bind(2, last_id).Bind(3, UnixNowMs());
  if (auto r = (*stmt)->Run(); !r) {
    return std::unexpected(Unavailable(r.error(), "audit export position"));
  }
  return {};
}

Result<int64_t> SqliteAuditLog::Count() {
  std::lock_guard lock(read_mutex_);
  auto stmt = reader_.Prepare("SELECT count(*) FROM audit_events");
  if (!stmt) return std::unexpected(Unavailable(stmt.error(), "audit count failed"));
  auto row = (*stmt)->Step();
  const int64_t n = row && *row ? (*stmt)->Int(0) : 0;
  (*stmt)->Reset();
  if (!row) return std::unexpected(Unavailable(row.error(), "audit count failed"));
  return n;
}

}  // namespace

Result<std::unique_ptr<AuditLog>> OpenSqliteAuditLog(const std::filesystem::path& path,
                                                     AuditOptions options) {
  if (options.coalesce_window.count() < 0) {
    return Fail(ErrorCode::kInvalidArgument, "audit coalesce window is negative");
  }
  const std::string file = path.string();
  auto writer = Connection::Open(file, kBusyTimeoutMs, /*readonly=*/false, options.vfs);
  if (!writer) return std::unexpected(Unavailable(writer.error(), "audit log unavailable"));

  // Durability is the point of this log: insist on WAL and synchronous=FULL.
  auto mode = writer->Prepare("PRAGMA journal_mode = WAL");
  if (!mode) return std::unexpected(Unavailable(mode.error(), "audit log unavailable"));
  auto row = (*mode)->Step();
  const std::string journal = row && *row ? (*mode)->Text(0) : std::string();
  (*mode)->Reset();
  if (!row) return std::unexpected(Unavailable(row.error(), "audit log unavailable"));
  if (journal != "wal") {
    return Fail(ErrorCode::kStorageUnavailable,
                "audit log unavailable: cannot use WAL journal mode (got '" + journal + "')");
  }
  if (auto r = writer->Exec("PRAGMA synchronous = FULL"); !r) {
    return std::unexpected(Unavailable(r.error(), "audit log unavailable"));
  }
  if (auto r = sqlite::Migrate(*writer); !r) {
    if (r.error().code == ErrorCode::kConflict) return std::unexpected(r.error());
    return std::unexpected(Unavailable(r.error(), "audit log unavailable"));
  }
  auto reader = Connection::Open(file, kBusyTimeoutMs, /*readonly=*/true, options.vfs);
  if (!reader) return std::unexpected(Unavailable(reader.error(), "audit log unavailable"));
  // Export positions change after every batch sent: without an fsync each
  // (losing the last update to a power cut only resends events).
  auto state = Connection::Open(file, kBusyTimeoutMs, /*readonly=*/false, options.vfs);
  if (!state) return std::unexpected(Unavailable(state.error(), "audit log unavailable"));
  if (auto r = state->Exec("PRAGMA synchronous = NORMAL"); !r) {
    return std::unexpected(Unavailable(r.error(), "audit log unavailable"));
  }
  return std::make_unique<SqliteAuditLog>(options, std::move(*writer), std::move(*reader),
                                          std::move(*state));
}

}  // namespace cf::audit
