// SPDX-License-Identifier: Apache-2.0
// The durable audit log of every access to patient data. An event that
// Record accepted survives a crash; a caller that cannot record an access
// must not perform it (fail closed), so Record reports every storage
// problem as an error value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event.hpp"
#include "core/error.hpp"

namespace cf::audit {

// Every field set must match (AND). Equality on text fields.
struct EventFilter {
  std::optional<std::string> tenant, actor, patient_id, study_uid;
  std::optional<Action> action;
  std::optional<Outcome> outcome;
  std::optional<int64_t> from_ms, to_ms;  // inclusive from, exclusive to
  std::optional<bool> flagged;
  size_t limit = 100;  // newest first (by time, then id); at most kMaxFindLimit
  size_t offset = 0;
};

inline constexpr size_t kMaxFindLimit = 10'000;

struct AuditOptions {
  // Reads (kQuery, kView, kDownload) by the same actor+token+tenant+action+study+source within this
  // window are covered by the first event and not stored again (a viewer fetching 500 frames of
  // one study is one "view"); the covered count is not tracked. 0 = record every event.
  // Events that differ in patient, outcome or flag are never covered by each other, so a denial
  // or a second patient's data is always recorded; the source counts without its port.
  std::chrono::milliseconds coalesce_window{60'000};
  // The SQLite VFS (catalog/encrypted_vfs.hpp) that encrypts the file;
  // empty = plain SQLite.
  std::string vfs = {};
};

// Thread-safe. Record returns only once the event is durable (committed with
// synchronous=FULL in WAL mode); concurrent Record calls are group-committed by one
// writer thread in a single transaction so that many requests share one fsync.
// All calls block (disk I/O): call them from the blocking pool, never an I/O thread.
class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Stores `event` (its id is ignored and assigned; time_ms 0 becomes now).
  // Fails with kInvalidArgument for an empty tenant or actor or a negative
  // time, and with kStorageUnavailable when the event could not be made
  // durable (disk full, database file removed or moved, I/O error). Text
  // longer than 4 KiB (16 KiB for detail) is cut at a UTF-8 character boundary.
  virtual Result<void> Record(Event event) = 0;

  // Whether Record(event) would return at once because a committed event
  // covers it (a repeated read within the coalescing window). The one call
  // that does no I/O (a lock and a lookup): an I/O thread may ask before
  // taking Record to the blocking pool. False when unsure, never wrongly true.
  virtual bool Covered(const Event& event) {
    (void)event;
    return false;
  }

  // Events matching `filter`, newest first.
  virtual Result<std::vector<Event>> Find(const EventFilter& filter) = 0;

  // Number of events stored (for tests and /api/system).
  virtual Result<int64_t> Count() = 0;

  // Up to `limit` (at most kMaxFindLimit) events with an id above
  // `after_id`, oldest first: what an exporter has not sent yet. Ids grow
  // in commit order (a writer holds SQLite's write lock from the first id
  // it assigns to its commit, in this process or another), so an exporter
  // that remembers the last id it delivered never skips an event.
  virtual Result<std::vector<Event>> ReadAfter(int64_t after_id, size_t limit) = 0;

  // Where the exporter `name` ("syslog") stands: the id of the last event it
  // delivered, 0 before the first. Kept in the audit database beside the
  // events (a table of its own: the events stay append-only), so that a
  // restart resumes there. Setting it is not synchronous=FULL: a power loss
  // may move it back a little, which resends events (at-least-once).
  virtual Result<int64_t> ExportPosition(std::string_view name) = 0;
  virtual Result<void> SetExportPosition(std::string_view name, int64_t last_id) = 0;
};

// Opens (creating, migrating) the SQLite audit database at `path` (e.g. DATA/audit.sqlite).
// Fails with kStorageUnavailable when the file cannot be created or opened for writing,
// and with kConflict when the database was written by a newer program.
Result<std::unique_ptr<AuditLog>> OpenSqliteAuditLog(const std::filesystem::path& path,
                                                     AuditOptions options = {});

}  // namespace cf::audit
