// SPDX-License-Identifier: Apache-2.0
// Versioned schema migrations of the SQLite catalog. The database's
// PRAGMA user_version records the last migration applied; each migration
// runs in its own transaction, so a crash mid-upgrade leaves a usable
// database at the previous version.
#pragma once

#include <cstdint>
#include <string_view>

#include "catalog/sqlite_db.hpp"

namespace cf::catalog::sqlite {

inline constexpr int kSchemaVersion = 9;

// Applies every migration newer than the database's version. Fails with
// kConflict when the database is newer than this program knows.
// REQUIRES: foreign keys are off on `db` (migrations rebuild tables).
// `up_to` stops earlier (tests of a migration start from the version before).
Result<void> Migrate(Connection& db, int up_to = kSchemaVersion);

// Records the words of a patient's name for fuzzy matching (NameWords).
Result<void> InsertNameWords(Connection& db, int64_t patient_pk, std::string_view name);

}  // namespace cf::catalog::sqlite
