// SPDX-License-Identifier: Apache-2.0
// The schema of DATA/ledger.sqlite, as migrations (never edit one that has
// shipped: add another).
#pragma once

#include <span>

namespace cf::ledger::sqlite {

inline constexpr int kSchemaVersion = 2;

std::span<const char* const> Migrations();

}  // namespace cf::ledger::sqlite
