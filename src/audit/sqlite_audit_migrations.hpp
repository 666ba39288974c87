// SPDX-License-Identifier: Apache-2.0
// Versioned schema migrations of the SQLite audit database, private to
// sqlite_audit_log.cpp. PRAGMA user_version records the last migration
// applied; each runs in its own transaction, so a crash mid-upgrade leaves a
// usable database at the previous version.
#pragma once

#include "catalog/sqlite_db.hpp"
#include "core/error.hpp"

namespace cf::audit::sqlite {

inline constexpr int kSchemaVersion = 2;

// Applies every migration newer than the database's version. Fails with
// kConflict when the database is newer than this program knows.
Result<void> Migrate(catalog::sqlite::Connection& db);

}  // namespace cf::audit::sqlite
