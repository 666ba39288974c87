// SPDX-License-Identifier: Apache-2.0
#include "audit/sqlite_audit_migrations.hpp"

#include <array>
#include <string>

namespace cf::audit::sqlite {
namespace {

// Never edit a migration that has shipped: add a new one.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 1: the events. AUTOINCREMENT so that an id is never reused, even after
    // retention removes old rows. Action and outcome are stored by their
    // stable names, readable with the sqlite3 shell. Times are Unix ms UTC.
    // Each index ends in time_ms (then the rowid), so that the newest-first
    // order of a filtered query comes from the index. The trigger makes rows
    // immutable for every client, not only this program.
    R"sql(
CREATE TABLE audit_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms     INTEGER NOT NULL,
  tenant      TEXT NOT NULL,
  actor       TEXT NOT NULL,
  role        TEXT NOT NULL DEFAULT '',
  token_id    TEXT NOT NULL DEFAULT '',
  patient_id  TEXT NOT NULL DEFAULT '',
  study_uid   TEXT NOT NULL DEFAULT '',
  series_uid  TEXT NOT NULL DEFAULT '',
  sop_uid     TEXT NOT NULL DEFAULT '',
  action      TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  protocol    TEXT NOT NULL DEFAULT '',
  route       TEXT NOT NULL DEFAULT '',
  source      TEXT NOT NULL DEFAULT '',
  user_agent  TEXT NOT NULL DEFAULT '',
  detail      TEXT NOT NULL DEFAULT '',
  flagged     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_events_time ON audit_events (time_ms);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant, time_ms);
CREATE INDEX audit_events_patient_time ON audit_events (patient_id, time_ms);
CREATE INDEX audit_events_study_time ON audit_events (study_uid, time_ms);
CREATE INDEX audit_events_actor_time ON audit_events (actor, time_ms);
CREATE INDEX audit_events_action_time ON audit_events (action, time_ms);
CREATE INDEX audit_events_flagged_time ON audit_events (time_ms) WHERE flagged = 1;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only');
END;
)sql",
    // 2: how far each exporter (the syslog sender) got, by the id of the
    // last event it delivered. Its own table, so that audit_events stays
    // append-only.
    R"sql(
CREATE TABLE audit_export_positions (
  name        TEXT PRIMARY KEY,
  last_id     INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL
);
)sql",
};

}  // namespace

Result<void> Migrate(catalog::sqlite::Connection& db) {
  return catalog::sqlite::ApplyMigrations(db, kMigrations, "audit");
}

}  // namespace cf::audit::sqlite
