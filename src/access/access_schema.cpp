// SPDX-License-Identifier: Apache-2.0
#include "access/access_schema.hpp"

#include <array>
#include <string>

namespace cf::access {
namespace {

// Never edit a migration that has shipped: add a new one. Secrets are kept
// as hex SHA-256 (tokens, sessions) or Argon2id strings (passwords).
constexpr std::array<const char*, 3> kMigrations = {
    R"sql(
CREATE TABLE accounts (
  id              INTEGER PRIMARY KEY,
  tenant          TEXT NOT NULL,
  login           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role            TEXT NOT NULL,
  password_hash   TEXT NOT NULL,
  failed_logins   INTEGER NOT NULL DEFAULT 0,
  locked_until_ms INTEGER NOT NULL DEFAULT 0,
  disabled        INTEGER NOT NULL DEFAULT 0,
  created_ms      INTEGER NOT NULL,
  last_login_ms   INTEGER
);
CREATE INDEX accounts_tenant ON accounts (tenant);

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  account_id   INTEGER NOT NULL REFERENCES accounts (id),
  secret_hash  TEXT NOT NULL,
  label        TEXT NOT NULL DEFAULT '',
  scopes       TEXT NOT NULL,
  created_ms   INTEGER NOT NULL,
  expires_ms   INTEGER,
  last_used_ms INTEGER,
  revoked_ms   INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE sessions (
  id           TEXT PRIMARY KEY,
  account_id   INTEGER NOT NULL REFERENCES accounts (id),
  secret_hash  TEXT NOT NULL,
  csrf_hash    TEXT NOT NULL,
  created_ms   INTEGER NOT NULL,
  expires_ms   INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  ended_ms     INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);
)sql",
    // 2: break-glass grants (time-limited reads of another tenant's data).
    R"sql(
CREATE TABLE break_glass (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts (id),
  tenant      TEXT NOT NULL,
  reason      TEXT NOT NULL,
  started_ms  INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL
);
CREATE INDEX break_glass_account ON break_glass (account_id, expires_ms);
)sql",
    // 3: TOTP second factors (RFC 6238). The secret is a key, not a
    // verifier, so it is kept as such (base32); the file is encrypted at
    // rest by its VFS. confirmed_ms NULL = a pending enrolment, which does
    // not count until a code confirms it. last_step: the newest time step
    // whose code was accepted; codes of that step or older are replays.
    R"sql(
CREATE TABLE account_totp (
  account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
  secret        TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  confirmed_ms  INTEGER,
  last_step     INTEGER NOT NULL DEFAULT -1
);
)sql",
};

}  // namespace

std::span<const char* const> AccessMigrations() { return kMigrations; }

}  // namespace cf::access
