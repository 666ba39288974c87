// SPDX-License-Identifier: Apache-2.0
// An account's TOTP second factor as access.sqlite keeps it (account_totp,
// migration 3), and the check of a code against it: one time step of clock
// drift either side, and no code accepted twice (RFC 6238 section 5.2).
// Private to src/access. Every function REQUIRES the connection's lock
// (Access::Impl::mutex), and a transaction when its write must go with
// others (a login's session).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "catalog/sqlite_db.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/aead.hpp"

namespace cf::access {

// How long an enrolment may wait for its confirming code. The secret is
// shown on a screen meanwhile; an abandoned one should not stay usable.
inline constexpr std::chrono::minutes kTotpPendingLifetime{10};

struct TotpFactor {
  crypto::SecretBytes secret;  // wiped when dropped
  int64_t created_ms = 0;
  std::optional<int64_t> confirmed_ms;  // nullopt = pending
  // The newest time step whose code was accepted (-1: none yet).
  int64_t last_step = -1;

  bool active() const { return confirmed_ms.has_value(); }
};

// The account's factor, or nullopt without one.
Result<std::optional<TotpFactor>> LoadTotp(catalog::sqlite::Connection& db, int64_t account_id);

// Replaces whatever factor the account has by a pending one.
Result<void> StorePendingTotp(catalog::sqlite::Connection& db, int64_t account_id, ByteView secret,
                              int64_t now_ms);

// Makes the account's pending factor active.
Result<void> ActivateTotp(catalog::sqlite::Connection& db, int64_t account_id, int64_t now_ms);

// Removes the account's factor; false when it had none.
Result<bool> RemoveTotp(catalog::sqlite::Connection& db, int64_t account_id);

enum class TotpCheck {
  kAccepted,  // recorded: neither this code nor an older one works again
  kWrong,     // not a code of the window around now (or not six digits)
  kReplayed,  // a right code of a step already used, or older than one used
};

// Checks `code` (spaces ignored, as people type "123 456") against
// `factor` at `now_ms`, accepting the steps of now and one either side, and
// records an accepted code's step as the account's last.
Result<TotpCheck> UseTotpCode(catalog::sqlite::Connection& db, int64_t account_id,
                              const TotpFactor& factor, std::string_view code, int64_t now_ms);

}  // namespace cf::access
