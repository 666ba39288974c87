// SPDX-License-Identifier: Apache-2.0
// Versioned migrations of DATA/access.sqlite (PRAGMA user_version).
#pragma once

#include "catalog/sqlite_db.hpp"

namespace cf::access {

Result<void> MigrateAccessDb(catalog::sqlite::Connection& db);

}  // namespace cf::access
