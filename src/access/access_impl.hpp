// SPDX-License-Identifier: Apache-2.0
// The state behind access::Access, shared by the files that implement it:
// access.cpp (credentials, logins, accounts, tokens, break-glass) and
// access_totp.cpp (the TOTP second factor). Private to src/access.
//
// One SQLite connection behind a mutex: authentication is a primary-key
// lookup of a few microseconds, and writes (last use, failed logins) are
// throttled, so one connection is not the bottleneck of a request.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "access/access.hpp"
#include "access/rate_limiter.hpp"
#include "audit/audit_log.hpp"
#include "catalog/sqlite_db.hpp"
#include "crypto/password.hpp"
#include "crypto/sha256.hpp"
#include "crypto/token.hpp"

namespace cf::access {

// Unix milliseconds of the system clock.
int64_t NowMs();

// Hex SHA-256 of a token secret, as stored; and whether a presented secret
// matches a stored one (compared in constant time).
std::string HashHex(std::string_view secret);
bool SameHash(std::string_view stored_hex, std::string_view secret);

// Rolls back unless committed: one transaction per public call that writes.
class Transaction {
 public:
  explicit Transaction(catalog::sqlite::Connection& db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Result<void> Begin() {
    auto begun = db_.Exec("BEGIN IMMEDIATE");
    open_ = begun.has_value();
    return begun;
  }
  Result<void> Commit() {
    auto committed = db_.Exec("COMMIT");
    open_ = !committed.has_value();
    return committed;
  }

 private:
  catalog::sqlite::Connection& db_;
  bool open_ = false;
};

struct Access::Impl {
  AccessOptions options;
  audit::AuditLog* audit = nullptr;
  std::mutex mutex;  // guards db
  catalog::sqlite::Connection db;
  std::optional<crypto::Sha256Digest> bootstrap_hash;
  std::optional<RateLimiter> login_limiter;
  std::optional<RateLimiter> credential_failures;
  // Wrong second-factor codes per account outside a login (confirming an
  // enrolment): a login's wrong codes count towards the account lockout
  // instead.
  std::optional<RateLimiter> second_factor_failures;
  crypto::PasswordCost password_cost;
  // When each (film, reader) was last notified to the patient
  // (NoticeFilmOpened); guarded by mutex.
  std::map<std::string, int64_t> film_notices;
  std::once_flag dummy_once;
  std::string dummy_hash;

  Result<Principal> Authenticate(const Credentials& credentials);

  // A real hash at the configured cost, verified for unknown logins so
  // that they take as long as known ones.
  const std::string& DummyHash();

  Result<catalog::sqlite::Statement*> Prepare(std::string_view sql) { return db.Prepare(sql); }

  static audit::Event Event(audit::Action action, audit::Outcome outcome, const Principal& who,
                            std::string_view detail, const ClientInfo* client);

  // Security events that follow an operation already done: a failure to
  // record them is logged, not returned.
  void Audit(audit::Action action, audit::Outcome outcome, const Principal& who,
             std::string_view detail, const ClientInfo* client = nullptr);

  // The following REQUIRE: mutex held.
  Result<Principal> AccountPrincipal(int64_t account_id, Principal::Kind kind);
  Result<Principal> FromApiToken(const crypto::ParsedToken& token);
  Result<Principal> FromSession(const crypto::ParsedToken& token, const Credentials& credentials);
  // A share session (access_share.cpp): the share must still be live.
  Result<Principal> FromShareSession(const crypto::ParsedToken& token,
                                     const Credentials& credentials);
  Result<std::optional<AccountInfo>> FindAccount(std::string_view login);
  static AccountInfo ReadAccount(const catalog::sqlite::Statement& s);
  // The account's Argon2id hash; empty when the account is gone.
  Result<std::string> PasswordHash(int64_t account_id);
  // One more failed password or second-factor code for the account: past
  // max_failed_logins in a row it locks, for lockout_base doubling with
  // each further failure up to lockout_max. Read and written under the
  // lock, so that guesses arriving together all count.
  Result<void> CountFailedLogin(int64_t account_id, int64_t now_ms);
  // Ends the account's sessions, but for `keep` (a session id, or empty).
  Result<void> EndSessions(int64_t account_id, std::string_view keep);

  // Whether an account of `role` without an active TOTP may only enrol
  // one (AccessOptions::require_totp_for_admins).
  bool MustEnrolTotp(Role role, bool totp_active) const;
  // The wall clock of TOTP time steps (AccessOptions::totp_clock), in Unix
  // milliseconds.
  int64_t TotpNowMs() const;
};

}  // namespace cf::access
