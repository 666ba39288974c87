// SPDX-License-Identifier: Apache-2.0
#include "access/access_schema.hpp"

#include <array>
#include <string>

namespace cf::access {
namespace {

// Never edit a migration that has shipped: add a new one. Secrets are kept
// as hex SHA-256 (tokens, sessions) or Argon2id strings (passwords).
constexpr std::array<const char*, 4> kMigrations = {
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
    // 4: patient shares (access/share.hpp). token_hash: SHA-256 of the
    // URL's 128-bit token; factor_hash and code_hash: Argon2id of the
    // expected factor value and of the pending one-time code. study_uids:
    // the scope, space-separated. parent: the patient share a doctor share
    // was made from. Share sessions are looked up by their public id.
    R"sql(
CREATE TABLE shares (
  id               TEXT PRIMARY KEY,
  token_hash       TEXT NOT NULL UNIQUE,
  tenant           TEXT NOT NULL,
  film_id          TEXT NOT NULL,
  scope            TEXT NOT NULL,
  study_uids       TEXT NOT NULL,
  factor           TEXT NOT NULL,
  factor_hash      TEXT NOT NULL DEFAULT '',
  recipient        TEXT NOT NULL DEFAULT '',
  created_by       TEXT NOT NULL,
  created_ms       INTEGER NOT NULL,
  not_before_ms    INTEGER NOT NULL,
  expires_ms       INTEGER NOT NULL,
  revoked_ms       INTEGER,
  failed_attempts  INTEGER NOT NULL DEFAULT 0,
  locked_until_ms  INTEGER NOT NULL DEFAULT 0,
  last_used_ms     INTEGER,
  first_opened_ms  INTEGER,
  code_hash        TEXT NOT NULL DEFAULT '',
  code_expires_ms  INTEGER NOT NULL DEFAULT 0,
  parent           TEXT REFERENCES shares (id)
);
CREATE INDEX shares_film ON shares (tenant, film_id);
CREATE INDEX shares_parent ON shares (parent);

CREATE TABLE share_sessions (
  id          TEXT PRIMARY KEY,
  share_id    TEXT NOT NULL REFERENCES shares (id),
  secret_hash TEXT NOT NULL,
  csrf_hash   TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL,
  ended_ms    INTEGER
);
CREATE INDEX share_sessions_share ON share_sessions (share_id);
)sql",
};

}  // namespace

std::span<const char* const> AccessMigrations() { return kMigrations; }

}  // namespace cf::access
