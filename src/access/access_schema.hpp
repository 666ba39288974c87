// SPDX-License-Identifier: Apache-2.0
// Versioned migrations of DATA/access.sqlite (PRAGMA user_version).
#pragma once

#include <span>

namespace cf::access {

// For catalog::sqlite::OpenDurable.
std::span<const char* const> AccessMigrations();

}  // namespace cf::access
