// SPDX-License-Identifier: Apache-2.0
// Credentials, logins, accounts, tokens and break-glass; the TOTP second
// factor is in access_totp.cpp, the shared state in access_impl.hpp.
#include "access/access.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "access/access_impl.hpp"
#include "access/access_schema.hpp"
#include "access/policy.hpp"
#include "access/totp_factor.hpp"
#include "core/log.hpp"
#include "core/time_text.hpp"

namespace cf::access {
namespace {

using catalog::sqlite::Collect;
using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

constexpr std::string_view kApiTokenPrefix = "cft";
constexpr std::string_view kSessionPrefix = "cfs";
constexpr std::string_view kCsrfPrefix = "cfc";
constexpr std::string_view kShareSessionPrefix = "cfp";
// Last use and last seen are written at most this often per token/session.
constexpr int64_t kTouchIntervalMs = 60'000;
// What Impl::ReadAccount reads, in its order.
constexpr std::string_view kAccountColumns =
    "SELECT id, login, role, tenant, created_ms, last_login_ms, locked_until_ms, disabled, "
    "(SELECT t.confirmed_ms IS NOT NULL FROM account_totp t WHERE t.account_id = accounts.id) "
    "FROM accounts";

bool ValidLogin(std::string_view login) {
  if (login.size() < 3 || login.size() > 64) return false;
  return std::ranges::all_of(login, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
}

// The audit trail's names for principals without an account
// (Principal::Actor): an account may not take them, or its events would
// pass for the local operator's or the bootstrap token's.
bool ReservedLogin(std::string_view login) {
  std::string lower(login);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower == "anonymous" || lower == "bootstrap" || lower == "operator";
}

std::string JoinScopes(const std::vector<Permission>& scopes) {
  std::string text;
  for (const Permission scope : scopes) {
    if (!text.empty()) text.push_back(' ');
    text.append(PermissionName(scope));
  }
  return text;
}

std::vector<Permission> SplitScopes(std::string_view text) {
  std::vector<Permission> scopes;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (auto scope = ParsePermission(text.substr(0, space))) scopes.push_back(*scope);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return scopes;
}

// The permissions an account's token gets when none are asked for.
std::vector<Permission> RoleScopes(Role role) {
  std::vector<Permission> scopes;
  for (const Permission p :
       {Permission::kReadImages, Permission::kStoreImages, Permission::kWriteReports,
        Permission::kReadSystem, Permission::kManageAccounts, Permission::kReadAudit,
        Permission::kShareFilms}) {
    if (RoleHas(role, p)) scopes.push_back(p);
  }
  return scopes;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

}  // namespace

std::string HashHex(std::string_view secret) {
  return crypto::ToHex(crypto::HashTokenSecret(secret));
}

bool SameHash(std::string_view stored_hex, std::string_view secret) {
  const auto stored = crypto::Sha256FromHex(stored_hex);
  if (!stored) return false;
  const auto presented = crypto::HashTokenSecret(secret);
  return crypto::ConstantTimeEquals(*stored, presented);
}

Principal OperatorPrincipal() {
  Principal p;
  p.kind = Principal::Kind::kOperator;
  p.role = Role::kPlatformAdmin;
  p.login = "operator";
  return p;
}

const std::string& Access::Impl::DummyHash() {
  std::call_once(dummy_once, [this] {
    dummy_hash = crypto::HashPassword("timing equaliser, not a password", password_cost)
                     .value_or(std::string());
  });
  return dummy_hash;
}

audit::Event Access::Impl::Event(audit::Action action, audit::Outcome outcome, const Principal& who,
                                 std::string_view detail, const ClientInfo* client) {
  audit::Event event;
  event.tenant = who.tenant;
  event.actor = who.Actor();
  event.role = std::string(who.RoleText());
  event.token_id = who.token_id;
  event.action = action;
  event.outcome = outcome;
  event.protocol = who.kind == Principal::Kind::kOperator ? "cli" : "http";
  event.detail = std::string(detail);
  if (client != nullptr) {
    event.source = std::string(client->address);
    event.user_agent = std::string(client->user_agent);
  }
  return event;
}

void Access::Impl::Audit(audit::Action action, audit::Outcome outcome, const Principal& who,
                         std::string_view detail, const ClientInfo* client) {
  if (audit == nullptr) return;
  if (auto recorded = audit->Record(Event(action, outcome, who, detail, client)); !recorded) {
    log::Error("access.audit_failed", {{"error", recorded.error().message}});
  }
}

Result<Principal> Access::Impl::AccountPrincipal(int64_t account_id, Principal::Kind kind) {
  auto stmt = Prepare(
      "SELECT login, role, tenant, disabled, EXISTS (SELECT 1 FROM account_totp t "
      "WHERE t.account_id = accounts.id AND t.confirmed_ms IS NOT NULL) "
      "FROM accounts WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, account_id);
  struct Row {
    std::string login, role, tenant;
    bool disabled, totp_active;
  };
  auto row = First<Row>(**stmt, [](const Statement& s) {
    return Row{s.Text(0), s.Text(1), s.Text(2), s.Int(3) != 0, s.Int(4) != 0};
  });
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->disabled) {
    return Fail(ErrorCode::kUnauthenticated, "account disabled or removed");
  }
  const auto role = ParseRole((*row)->role);
  if (!role) return Fail(ErrorCode::kInternal, "account has an unknown role");
  Principal p;
  p.kind = kind;
  p.account_id = account_id;
  p.login = std::move((*row)->login);
  p.tenant = std::move((*row)->tenant);
  p.role = *role;
  p.totp_active = (*row)->totp_active;
  auto grants =
      Prepare("SELECT DISTINCT tenant FROM break_glass WHERE account_id = ? AND expires_ms > ?");
  if (!grants) return std::unexpected(grants.error());
  (*grants)->Bind(1, account_id).Bind(2, UnixNowMs());
  auto tenants = Collect<std::string>(**grants, [](const Statement& s) { return s.Text(0); });
  if (!tenants) return std::unexpected(tenants.error());
  p.break_glass_tenants = std::move(*tenants);
  return p;
}

Result<Principal> Access::Impl::FromApiToken(const crypto::ParsedToken& token) {
  auto stmt = Prepare(
      "SELECT account_id, secret_hash, scopes, expires_ms, revoked_ms, last_used_ms "
      "FROM api_tokens WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, token.id);
  struct Row {
    int64_t account_id;
    std::string secret_hash, scopes;
    std::optional<int64_t> expires, revoked, last_used;
  };
  auto row = First<Row>(**stmt, [](const Statement& s) {
    return Row{s.Int(0), s.Text(1), s.Text(2), s.OptInt64(3), s.OptInt64(4), s.OptInt64(5)};
  });
  if (!row) return std::unexpected(row.error());
  if (!*row || !SameHash((*row)->secret_hash, token.secret)) {
    return Fail(ErrorCode::kUnauthenticated, "unknown API token");
  }
  const int64_t now = UnixNowMs();
  if ((*row)->revoked) return Fail(ErrorCode::kUnauthenticated, "API token revoked");
  if ((*row)->expires && *(*row)->expires <= now) {
    return Fail(ErrorCode::kUnauthenticated, "API token expired");
  }
  auto principal = AccountPrincipal((*row)->account_id, Principal::Kind::kApiToken);
  if (!principal) return principal;
  principal->token_id = token.id;
  principal->scopes = SplitScopes((*row)->scopes);
  if (now - (*row)->last_used.value_or(0) >= kTouchIntervalMs) {
    if (auto touch = Prepare("UPDATE api_tokens SET last_used_ms = ? WHERE id = ?")) {
      (*touch)->Bind(1, now).Bind(2, token.id);
      (void)(*touch)->Run();
    }
  }
  return principal;
}

Result<Principal> Access::Impl::FromSession(const crypto::ParsedToken& token,
                                            const Credentials& credentials) {
  auto stmt = Prepare(
      "SELECT account_id, secret_hash, csrf_hash, expires_ms, last_seen_ms, ended_ms "
      "FROM sessions WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, token.id);
  struct Row {
    int64_t account_id;
    std::string secret_hash, csrf_hash;
    int64_t expires, last_seen;
    bool ended;
  };
  auto row = First<Row>(**stmt, [](const Statement& s) {
    return Row{s.Int(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4), !s.IsNull(5)};
  });
  if (!row) return std::unexpected(row.error());
  if (!*row || !SameHash((*row)->secret_hash, token.secret)) {
    return Fail(ErrorCode::kUnauthenticated, "unknown session");
  }
  const auto& [account_id, secret_hash, csrf_hash, expires, last_seen, ended] = **row;
  const int64_t now = UnixNowMs();
  const int64_t idle_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options.session_idle).count();
  if (ended || now >= expires || now - last_seen >= idle_ms) {
    return Fail(ErrorCode::kUnauthenticated, "session expired, sign in again");
  }
  if (credentials.state_changing) {
    // The CSRF token is a second secret a cross-site page cannot read.
    const auto csrf = crypto::ParseToken(credentials.csrf_token);
    if (!csrf || csrf->prefix != kCsrfPrefix || !SameHash(csrf_hash, credentials.csrf_token)) {
      return Fail(ErrorCode::kPermissionDenied, "missing or wrong X-CSRF-Token header");
    }
  }
  auto principal = AccountPrincipal(account_id, Principal::Kind::kSession);
  if (!principal) return principal;
  principal->token_id = token.id;
  // Decided on every request, not at login: a session opened before its
  // account enrolled gets everything once the enrolment is confirmed, and
  // one whose TOTP was disabled or reset is held to enrolment at once.
  principal->must_enrol_totp = MustEnrolTotp(principal->role, principal->totp_active);
  // Touched well within the idle timeout, or a session in use would
  // still expire idle_ms after its last touch.
  if (now - last_seen >= std::min(kTouchIntervalMs, idle_ms / 2)) {
    if (auto touch = Prepare("UPDATE sessions SET last_seen_ms = ? WHERE id = ?")) {
      (*touch)->Bind(1, now).Bind(2, token.id);
      (void)(*touch)->Run();
    }
  }
  return principal;
}

Result<std::optional<AccountInfo>> Access::Impl::FindAccount(std::string_view login) {
  auto stmt = Prepare(std::string(kAccountColumns) + " WHERE login = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, login);
  return First<AccountInfo>(**stmt, ReadAccount);
}

AccountInfo Access::Impl::ReadAccount(const Statement& s) {
  AccountInfo info;
  info.id = s.Int(0);
  info.login = s.Text(1);
  info.role = ParseRole(s.Text(2)).value_or(Role::kDoctor);
  info.tenant = s.Text(3);
  info.created_ms = s.Int(4);
  if (!s.IsNull(5)) info.last_login_ms = s.Int(5);
  info.locked_until_ms = s.Int(6);
  info.disabled = s.Int(7) != 0;
  info.totp = s.IsNull(8)     ? TotpState::kNone
              : s.Int(8) != 0 ? TotpState::kActive
                              : TotpState::kPending;
  return info;
}

Result<std::string> Access::Impl::PasswordHash(int64_t account_id) {
  auto stmt = Prepare("SELECT password_hash FROM accounts WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, account_id);
  auto hash = First<std::string>(**stmt, [](const Statement& s) { return s.Text(0); });
  if (!hash) return std::unexpected(hash.error());
  return hash->value_or(std::string());
}

Result<void> Access::Impl::CountFailedLogin(int64_t account_id, int64_t now_ms) {
  auto stmt = Prepare("SELECT failed_logins FROM accounts WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, account_id);
  auto count = First<int64_t>(**stmt, [](const Statement& s) { return s.Int(0); });
  if (!count) return std::unexpected(count.error());
  const int64_t failed = count->value_or(0) + 1;
  int64_t locked_until = 0;
  if (failed >= options.max_failed_logins) {
    const int64_t doublings = std::min<int64_t>(failed - options.max_failed_logins, 20);
    const auto lock_s =
        std::min<int64_t>(options.lockout_base.count() << doublings, options.lockout_max.count());
    locked_until = now_ms + lock_s * 1000;
  }
  auto update = Prepare("UPDATE accounts SET failed_logins = ?, locked_until_ms = ? WHERE id = ?");
  if (!update) return std::unexpected(update.error());
  (*update)->Bind(1, failed).Bind(2, locked_until).Bind(3, account_id);
  return (*update)->Run();
}

Result<void> Access::Impl::EndSessions(int64_t account_id, std::string_view keep) {
  auto stmt = Prepare(
      "UPDATE sessions SET ended_ms = ? WHERE account_id = ? AND ended_ms IS NULL AND id != ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, UnixNowMs()).Bind(2, account_id).Bind(3, keep);
  return (*stmt)->Run();
}

bool Access::Impl::MustEnrolTotp(Role role, bool totp_active) const {
  return options.require_totp_for_admins && !totp_active &&
         (role == Role::kPlatformAdmin || role == Role::kHospitalAdmin);
}

int64_t Access::Impl::TotpNowMs() const {
  const auto now = options.totp_clock ? options.totp_clock() : std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

Access::Access(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Access::~Access() = default;

Result<std::unique_ptr<Access>> Access::Open(const std::filesystem::path& database,
                                             AccessOptions options, audit::AuditLog* audit) {
  auto impl = std::make_unique<Impl>();
  if (!options.bootstrap_token.empty()) {
    if (options.bootstrap_token.size() < 20) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the bootstrap token must have at least 20 characters");
    }
    impl->bootstrap_hash = crypto::HashTokenSecret(options.bootstrap_token);
    // Not kept in clear beyond this point.
    std::ranges::fill(options.bootstrap_token, '\0');
    options.bootstrap_token.clear();
  }
  impl->password_cost = crypto::DefaultPasswordCost();
  if (options.password_ops != 0) impl->password_cost.ops = options.password_ops;
  if (options.password_mem_bytes != 0) impl->password_cost.mem_bytes = options.password_mem_bytes;
  impl->credential_failures.emplace(
      static_cast<size_t>(std::max(1, options.credential_failures_per_minute)),
      std::chrono::seconds(60));
  impl->login_limiter.emplace(static_cast<size_t>(std::max(1, options.login_attempts_per_minute)),
                              std::chrono::seconds(60));
  impl->second_factor_failures.emplace(static_cast<size_t>(std::max(1, options.max_failed_logins)),
                                       std::chrono::seconds(60));
  for (const auto& [tenant, factor] : options.share_factors) {
    if (factor == ShareFactor::kNone) {
      return Fail(ErrorCode::kInvalidArgument,
                  "tenants." + tenant + ".share_factor: patient shares need a second factor");
    }
    if (factor == ShareFactor::kOneTimeCode && !options.share_notifier) {
      return Fail(ErrorCode::kInvalidArgument,
                  "tenants." + tenant +
                      ".share_factor = \"one-time-code\" needs a notifier to send the codes "
                      "(a notification provider: [notify] provider)");
    }
  }
  impl->options = std::move(options);
  impl->audit = audit;
  auto db = catalog::sqlite::OpenDurable(database.string(), impl->options.vfs, AccessMigrations(),
                                         "access");
  if (!db) return std::unexpected(db.error());
  impl->db = std::move(*db);
  return std::unique_ptr<Access>(new Access(std::move(impl)));
}

Result<Principal> Access::Authenticate(const Credentials& credentials) {
  Impl& impl = *impl_;
  const std::string source(credentials.source);
  if (const auto wait = impl.credential_failures->Peek(source); wait.count() > 0) {
    return std::unexpected(
        RetryLater("too many refused credentials from this address", wait.count()));
  }
  auto principal = impl.Authenticate(credentials);
  if (!principal && principal.error().code == ErrorCode::kUnauthenticated) {
    (void)impl.credential_failures->Attempt(source);
  }
  return principal;
}

Result<Principal> Access::Impl::Authenticate(const Credentials& credentials) {
  Impl& impl = *this;
  if (!credentials.authorization.empty()) {
    const auto bearer = BearerToken(credentials.authorization);
    if (!bearer) {
      return Fail(ErrorCode::kUnauthenticated, "Authorization must be \"Bearer <token>\"");
    }
    if (const auto parsed = crypto::ParseToken(*bearer);
        parsed && parsed->prefix == kApiTokenPrefix) {
      std::lock_guard lock(impl.mutex);
      return impl.FromApiToken(*parsed);
    }
    // A share session as a bearer, for scripts (no CSRF: not a cookie).
    if (const auto parsed = crypto::ParseToken(*bearer);
        parsed && parsed->prefix == kShareSessionPrefix) {
      std::lock_guard lock(impl.mutex);
      return impl.FromShareSession(*parsed, Credentials{});
    }
    if (impl.bootstrap_hash &&
        crypto::ConstantTimeEquals(*impl.bootstrap_hash, crypto::HashTokenSecret(*bearer))) {
      Principal p;
      p.kind = Principal::Kind::kBootstrap;
      p.role = Role::kPlatformAdmin;
      p.login = "bootstrap";
      return p;
    }
    return Fail(ErrorCode::kUnauthenticated, "unknown bearer token");
  }
  if (!credentials.session_cookie.empty()) {
    const auto parsed = crypto::ParseToken(credentials.session_cookie);
    if (parsed && parsed->prefix == kShareSessionPrefix) {
      std::lock_guard lock(impl.mutex);
      return impl.FromShareSession(*parsed, credentials);
    }
    if (!parsed || parsed->prefix != kSessionPrefix) {
      return Fail(ErrorCode::kUnauthenticated, "malformed session cookie");
    }
    std::lock_guard lock(impl.mutex);
    return impl.FromSession(*parsed, credentials);
  }
  return Principal{};
}

Result<Session> Access::Login(std::string_view login, std::string_view password,
                              const ClientInfo& client, std::string_view totp_code) {
  Impl& impl = *impl_;
  Principal attempt;
  attempt.login = ValidLogin(login) ? std::string(login) : std::string("(invalid login)");
  attempt.kind = Principal::Kind::kSession;
  if (const auto wait = impl.login_limiter->Attempt(std::string(client.address));
      wait.count() > 0) {
    impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, attempt,
               "rate limited: too many attempts from this address", &client);
    return std::unexpected(RetryLater("too many login attempts from this address", wait.count()));
  }
  if (!ValidLogin(login) || password.size() > 1024) {
    impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, attempt, "malformed login",
               &client);
    return Fail(ErrorCode::kUnauthenticated, "wrong login or password");
  }

  std::optional<AccountInfo> account;
  std::string stored_hash;
  {
    std::lock_guard lock(impl.mutex);
    auto found = impl.FindAccount(login);
    if (!found) return std::unexpected(found.error());
    account = std::move(*found);
    if (account) {
      auto hash = impl.PasswordHash(account->id);
      if (!hash) return std::unexpected(hash.error());
      stored_hash = std::move(*hash);
    }
  }
  const int64_t now = UnixNowMs();
  if (account) {
    attempt.login = account->login;  // as stored, not as typed ("ALICE")
    attempt.tenant = account->tenant;
    attempt.role = account->role;
    attempt.account_id = account->id;
    if (account->locked_until_ms > now) {
      impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, attempt, "account locked",
                 &client);
      return std::unexpected(RetryLater("account locked after repeated failures",
                                        (account->locked_until_ms - now + 999) / 1000,
                                        "account-locked"));
    }
  }
  // The slow hash runs outside the lock, and also for unknown logins, so
  // that timing does not tell which logins exist.
  const bool password_ok = account ? crypto::VerifyPassword(stored_hash, password)
                                   : (crypto::VerifyPassword(impl.DummyHash(), password), false);
  if (!account || account->disabled || !password_ok) {
    if (account && !password_ok) {
      // Counted under the lock, after the (slow) verification: a count read
      // before it would be stale when guesses arrive together, and a burst
      // of them would never lock the account.
      std::lock_guard lock(impl.mutex);
      if (auto counted = impl.CountFailedLogin(account->id, now); !counted) {
        return std::unexpected(counted.error());
      }
    }
    impl.Audit(
        audit::Action::kLoginFailed, audit::Outcome::kDenied, attempt,
        account ? (account->disabled ? "account disabled" : "wrong password") : "unknown login",
        &client);
    return Fail(ErrorCode::kUnauthenticated, "wrong login or password");
  }

  const auto session_token = crypto::IssueToken(kSessionPrefix);
  const auto csrf_token = crypto::IssueToken(kCsrfPrefix);
  Session session;
  session.cookie = session_token.text;
  session.csrf = csrf_token.text;
  session.expires_ms =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(impl.options.session_max).count();
  enum class Factor { kNotEnrolled, kAccepted, kMissing, kWrong, kReplayed };
  Factor factor = Factor::kNotEnrolled;
  {
    std::lock_guard lock(impl.mutex);
    // The code's step, the session and the counters change in one
    // transaction: two logins racing with one code cannot both use it.
    if (auto begun = impl.db.Exec("BEGIN IMMEDIATE"); !begun) return std::unexpected(begun.error());
    Result<void> done = [&]() -> Result<void> {
      auto totp = LoadTotp(impl.db, account->id);
      if (!totp) return std::unexpected(totp.error());
      if (*totp && (*totp)->active()) {
        if (totp_code.empty()) {
          factor = Factor::kMissing;  // not a failure: the first step of a two-step form
          return {};
        }
        auto check = UseTotpCode(impl.db, account->id, **totp, totp_code, impl.TotpNowMs());
        if (!check) return std::unexpected(check.error());
        if (*check != TotpCheck::kAccepted) {
          factor = *check == TotpCheck::kReplayed ? Factor::kReplayed : Factor::kWrong;
          return impl.CountFailedLogin(account->id, now);
        }
        factor = Factor::kAccepted;
      }
      auto insert = impl.Prepare(
          "INSERT INTO sessions (id, account_id, secret_hash, csrf_hash, created_ms, expires_ms, "
          "last_seen_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
      if (!insert) return std::unexpected(insert.error());
      (*insert)
          ->Bind(1, session_token.id)
          .Bind(2, account->id)
          .Bind(3, crypto::ToHex(session_token.secret_hash))
          .Bind(4, HashHex(csrf_token.text))
          .Bind(5, now)
          .Bind(6, session.expires_ms)
          .Bind(7, now);
      if (auto ran = (*insert)->Run(); !ran) return ran;
      auto update = impl.Prepare(
          "UPDATE accounts SET failed_logins = 0, locked_until_ms = 0, last_login_ms = ? "
          "WHERE id = ?");
      if (!update) return std::unexpected(update.error());
      (*update)->Bind(1, now).Bind(2, account->id);
      return (*update)->Run();
    }();
    if (done) done = impl.db.Exec("COMMIT");
    if (!done) {
      (void)impl.db.Exec("ROLLBACK");
      return std::unexpected(done.error());
    }
    // Argon2 parameters raised since this password was set: upgrade now,
    // while we hold the password.
    const bool signed_in = factor == Factor::kNotEnrolled || factor == Factor::kAccepted;
    if (signed_in && crypto::PasswordNeedsRehash(stored_hash, impl.password_cost)) {
      if (auto rehashed = crypto::HashPassword(password, impl.password_cost)) {
        if (auto stmt = impl.Prepare("UPDATE accounts SET password_hash = ? WHERE id = ?")) {
          (*stmt)->Bind(1, *rehashed).Bind(2, account->id);
          (void)(*stmt)->Run();
        }
      }
    }
  }
  switch (factor) {
    case Factor::kMissing:
      // Audited: a right password without its code from an unknown place
      // is how a stolen password shows.
      impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, attempt,
                 "second factor missing", &client);
      return Fail(ErrorCode::kUnauthenticated, std::string(kSecondFactorRequired));
    case Factor::kWrong:
    case Factor::kReplayed:
      impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, attempt,
                 factor == Factor::kWrong ? "second factor" : "second factor (code already used)",
                 &client);
      return Fail(ErrorCode::kUnauthenticated, "wrong or already used second-factor code");
    case Factor::kNotEnrolled:
    case Factor::kAccepted:
      break;
  }
  session.principal = attempt;
  session.principal.kind = Principal::Kind::kSession;
  session.principal.token_id = session_token.id;
  session.principal.totp_active = factor == Factor::kAccepted;
  session.principal.must_enrol_totp =
      impl.MustEnrolTotp(session.principal.role, session.principal.totp_active);
  impl.Audit(audit::Action::kLogin, audit::Outcome::kSuccess, session.principal,
             factor == Factor::kAccepted         ? "password and totp"
             : session.principal.must_enrol_totp ? "password; may only enrol a second factor"
                                                 : "password",
             &client);
  return session;
}

Result<void> Access::Logout(const Principal& principal) {
  const bool share = principal.kind == Principal::Kind::kShare;
  if (principal.kind != Principal::Kind::kSession && !share) return {};
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    auto stmt = impl.Prepare(
        share ? "UPDATE share_sessions SET ended_ms = ? WHERE share_id = ? AND ended_ms IS NULL"
              : "UPDATE sessions SET ended_ms = ? WHERE id = ? AND ended_ms IS NULL");
    if (!stmt) return std::unexpected(stmt.error());
    (*stmt)->Bind(1, UnixNowMs()).Bind(2, principal.token_id);
    if (auto ran = (*stmt)->Run(); !ran) return ran;
  }
  impl.Audit(audit::Action::kLogout, audit::Outcome::kSuccess, principal, "");
  return {};
}

Result<AccountInfo> Access::CreateAccount(const Principal& by, const NewAccount& account) {
  Impl& impl = *impl_;
  if (!ValidLogin(account.login)) {
    return Fail(ErrorCode::kInvalidArgument,
                "login must be 3 to 64 characters of letters, digits and . _ @ -");
  }
  if (ReservedLogin(account.login)) {
    return Fail(ErrorCode::kInvalidArgument, "this login is reserved");
  }
  if (!KnownTenant(account.tenant)) {
    return Fail(ErrorCode::kInvalidArgument,
                "unknown tenant: use default or a configured [tenants.<code>]");
  }
  if (!MayManageAccount(by, account.tenant, account.role)) {
    impl.Audit(audit::Action::kAccountCreate, audit::Outcome::kDenied, by,
               "role " + std::string(RoleName(account.role)));
    return Fail(ErrorCode::kPermissionDenied, "not allowed to create this account");
  }
  if (auto policy = crypto::CheckPasswordPolicy(account.password); !policy) {
    return std::unexpected(policy.error());
  }
  auto hash = crypto::HashPassword(account.password, impl.password_cost);
  if (!hash) return std::unexpected(hash.error());
  AccountInfo info;
  info.login = account.login;
  info.role = account.role;
  info.tenant = account.tenant;
  info.created_ms = UnixNowMs();
  {
    std::lock_guard lock(impl.mutex);
    auto stmt = impl.Prepare(
        "INSERT INTO accounts (tenant, login, role, password_hash, created_ms) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!stmt) return std::unexpected(stmt.error());
    (*stmt)
        ->Bind(1, info.tenant)
        .Bind(2, info.login)
        .Bind(3, RoleName(info.role))
        .Bind(4, *hash)
        .Bind(5, info.created_ms);
    if (auto ran = (*stmt)->Run(); !ran) {
      if (sqlite3_extended_errcode(impl.db.get()) == SQLITE_CONSTRAINT_UNIQUE) {
        return Fail(ErrorCode::kConflict, "an account with this login exists");
      }
      return std::unexpected(ran.error());
    }
    info.id = sqlite3_last_insert_rowid(impl.db.get());
  }
  impl.Audit(audit::Action::kAccountCreate, audit::Outcome::kSuccess, by,
             "account " + info.login + " role " + std::string(RoleName(info.role)) + " tenant " +
                 info.tenant);
  return info;
}

Result<std::vector<AccountInfo>> Access::ListAccounts(const Principal& by) {
  Impl& impl = *impl_;
  const bool all = Authorize(by, Permission::kManageAccounts, "") == Decision::kAllow;
  if (!all && Authorize(by, Permission::kManageAccounts, by.tenant) != Decision::kAllow) {
    return Fail(ErrorCode::kPermissionDenied, "not allowed to list accounts");
  }
  std::lock_guard lock(impl.mutex);
  auto stmt = impl.Prepare(std::string(kAccountColumns) + " WHERE ? OR tenant = ? ORDER BY login");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, int64_t{all ? 1 : 0}).Bind(2, by.tenant);
  return Collect<AccountInfo>(**stmt, Impl::ReadAccount);
}

Result<int64_t> Access::CountAccounts() {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  auto stmt = impl.Prepare("SELECT COUNT(*) FROM accounts");
  if (!stmt) return std::unexpected(stmt.error());
  auto count = First<int64_t>(**stmt, [](const Statement& s) { return s.Int(0); });
  if (!count) return std::unexpected(count.error());
  return count->value_or(0);
}

Result<IssuedApiToken> Access::IssueToken(const Principal& by, const TokenRequest& request) {
  Impl& impl = *impl_;
  std::optional<AccountInfo> owner;
  // The bootstrap token and the operator have no account of their own:
  // never take one that merely has their name.
  if (request.login.empty() && by.account_id == 0) {
    return Fail(ErrorCode::kNotFound, "the bootstrap token has no account: name one");
  }
  // A token would outlive the session's hold to enrolment (the router
  // refuses the route already; this is the second lock).
  if (by.must_enrol_totp) {
    return Fail(ErrorCode::kPermissionDenied, "enrol a second factor first");
  }
  {
    std::lock_guard lock(impl.mutex);
    const std::string login = request.login.empty() ? by.login : request.login;
    auto found = impl.FindAccount(login);
    if (!found) return std::unexpected(found.error());
    owner = std::move(*found);
  }
  if (!owner) {
    return Fail(ErrorCode::kNotFound, request.login.empty()
                                          ? "the bootstrap token has no account: name one"
                                          : "no account with this login");
  }
  const bool own = by.account_id != 0 && by.account_id == owner->id;
  if (!own && !MayManageAccount(by, owner->tenant, owner->role)) {
    impl.Audit(audit::Action::kTokenCreate, audit::Outcome::kDenied, by, "for " + owner->login);
    return Fail(ErrorCode::kPermissionDenied, "not allowed to issue tokens for this account");
  }
  std::vector<Permission> scopes =
      request.scopes.empty() ? RoleScopes(owner->role) : request.scopes;
  // An API token issues no more than its own scopes: otherwise a token
  // limited to read-images could mint itself one with all of its role.
  const bool by_token = by.kind == Principal::Kind::kApiToken;
  if (by_token && request.scopes.empty()) {
    std::erase_if(scopes,
                  [&](Permission p) { return std::ranges::find(by.scopes, p) == by.scopes.end(); });
  }
  for (const Permission scope : scopes) {
    if (!IsTenantPermission(scope) || !RoleHas(owner->role, scope)) {
      return Fail(ErrorCode::kInvalidArgument, "scope " + std::string(PermissionName(scope)) +
                                                   " is beyond the account's role " +
                                                   std::string(RoleName(owner->role)));
    }
    if (by_token && std::ranges::find(by.scopes, scope) == by.scopes.end()) {
      impl.Audit(audit::Action::kTokenCreate, audit::Outcome::kDenied, by,
                 "for " + owner->login + " scope " + std::string(PermissionName(scope)));
      return Fail(ErrorCode::kPermissionDenied, "scope " + std::string(PermissionName(scope)) +
                                                    " is beyond the scopes of this API token");
    }
  }
  if (request.label.size() > 200) return Fail(ErrorCode::kInvalidArgument, "label too long");
  const auto token = crypto::IssueToken(kApiTokenPrefix);
  IssuedApiToken issued;
  issued.text = token.text;
  issued.info.id = token.id;
  issued.info.login = owner->login;
  issued.info.label = request.label;
  issued.info.scopes = scopes;
  issued.info.created_ms = UnixNowMs();
  if (request.lifetime)
    issued.info.expires_ms = issued.info.created_ms + request.lifetime->count() * 1000;
  {
    std::lock_guard lock(impl.mutex);
    auto stmt = impl.Prepare(
        "INSERT INTO api_tokens (id, account_id, secret_hash, label, scopes, created_ms, "
        "expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return std::unexpected(stmt.error());
    Statement& s = **stmt;
    s.Bind(1, token.id)
        .Bind(2, owner->id)
        .Bind(3, crypto::ToHex(token.secret_hash))
        .Bind(4, request.label)
        .Bind(5, JoinScopes(scopes))
        .Bind(6, issued.info.created_ms);
    if (issued.info.expires_ms) {
      s.Bind(7, *issued.info.expires_ms);
    } else {
      s.BindNull(7);
    }
    if (auto ran = s.Run(); !ran) return std::unexpected(ran.error());
  }
  impl.Audit(audit::Action::kTokenCreate, audit::Outcome::kSuccess, by,
             "token " + token.id + " for " + owner->login + " scopes " + JoinScopes(scopes));
  return issued;
}

Result<std::vector<TokenInfo>> Access::ListTokens(const Principal& by) {
  Impl& impl = *impl_;
  if (!by.authenticated()) return Fail(ErrorCode::kUnauthenticated, "sign in first");
  const bool all = Authorize(by, Permission::kManageAccounts, "") == Decision::kAllow;
  const bool tenant = Authorize(by, Permission::kManageAccounts, by.tenant) == Decision::kAllow;
  std::lock_guard lock(impl.mutex);
  auto stmt = impl.Prepare(
      "SELECT t.id, a.login, t.label, t.scopes, t.created_ms, t.expires_ms, t.last_used_ms, "
      "t.revoked_ms FROM api_tokens t JOIN accounts a ON a.id = t.account_id "
      "WHERE ? OR (? AND a.tenant = ?) OR a.id = ? ORDER BY t.created_ms DESC");
  if (!stmt) return std::unexpected(stmt.error());
  Statement& s = **stmt;
  s.Bind(1, int64_t{all ? 1 : 0})
      .Bind(2, int64_t{tenant ? 1 : 0})
      .Bind(3, by.tenant)
      .Bind(4, by.account_id);
  return Collect<TokenInfo>(s, [](const Statement& row) {
    return TokenInfo{row.Text(0), row.Text(1),     row.Text(2),     SplitScopes(row.Text(3)),
                     row.Int(4),  row.OptInt64(5), row.OptInt64(6), row.OptInt64(7)};
  });
}

Result<void> Access::RevokeToken(const Principal& by, std::string_view token_id) {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    auto stmt = impl.Prepare(
        "SELECT a.id, a.tenant, a.role FROM api_tokens t JOIN accounts a ON a.id = t.account_id "
        "WHERE t.id = ?");
    if (!stmt) return std::unexpected(stmt.error());
    (*stmt)->Bind(1, token_id);
    struct Owner {
      int64_t id;
      std::string tenant;
      std::optional<Role> role;
    };
    auto owner = First<Owner>(**stmt, [](const Statement& s) {
      return Owner{s.Int(0), s.Text(1), ParseRole(s.Text(2))};
    });
    if (!owner) return std::unexpected(owner.error());
    // Someone else's token is "not found", so that its existence stays hidden.
    const bool own = *owner && by.account_id != 0 && by.account_id == (*owner)->id;
    if (!*owner || !(*owner)->role ||
        (!own && !MayManageAccount(by, (*owner)->tenant, *(*owner)->role))) {
      return Fail(ErrorCode::kNotFound, "no such token");
    }
    auto update =
        impl.Prepare("UPDATE api_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL");
    if (!update) return std::unexpected(update.error());
    (*update)->Bind(1, UnixNowMs()).Bind(2, token_id);
    if (auto ran = (*update)->Run(); !ran) return ran;
  }
  impl.Audit(audit::Action::kTokenRevoke, audit::Outcome::kSuccess, by,
             "token " + std::string(token_id));
  return {};
}

bool Access::KnownTenant(std::string_view tenant) const {
  if (!IsValidTenantCode(tenant)) return false;
  const auto& known = impl_->options.tenants;
  return known.empty() || tenant == kDefaultTenant ||
         std::ranges::find(known, tenant) != known.end();
}

Result<int64_t> Access::BreakGlass(const Principal& by, std::string_view tenant,
                                   std::string_view reason, std::chrono::seconds duration,
                                   const ClientInfo& client) {
  Impl& impl = *impl_;
  std::string trimmed(reason);
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\n')) trimmed.pop_back();
  const auto refuse = [&](ErrorCode code, std::string why) -> Result<int64_t> {
    impl.Audit(audit::Action::kBreakGlass, audit::Outcome::kDenied, by,
               "tenant " + std::string(tenant) + ": " + why, &client);
    return Fail(code, std::move(why));
  };
  if (by.account_id == 0 ||
      (by.kind != Principal::Kind::kSession && by.kind != Principal::Kind::kApiToken)) {
    return refuse(ErrorCode::kPermissionDenied, "break-glass needs a signed-in account");
  }
  if (by.must_enrol_totp) {
    return refuse(ErrorCode::kPermissionDenied, "enrol a second factor first");
  }
  if (std::ranges::find(impl.options.break_glass_roles, by.role) ==
      impl.options.break_glass_roles.end()) {
    return refuse(ErrorCode::kPermissionDenied,
                  "the role " + std::string(RoleName(by.role)) + " may not use break-glass");
  }
  if (!KnownTenant(tenant) || tenant == by.tenant) {
    return refuse(ErrorCode::kInvalidArgument, "break-glass names another hospital's tenant");
  }
  if (trimmed.size() < 10 || trimmed.size() > 2000) {
    return refuse(ErrorCode::kInvalidArgument,
                  "break-glass needs a typed reason of 10 to 2000 characters");
  }
  if (duration.count() <= 0 || duration > impl.options.break_glass_max) {
    return refuse(ErrorCode::kInvalidArgument,
                  "break-glass lasts from 1 s to " +
                      std::to_string(impl.options.break_glass_max.count() / 60) + " min");
  }
  const int64_t now = UnixNowMs();
  const int64_t expires = now + duration.count() * 1000;
  {
    std::lock_guard lock(impl.mutex);
    auto stmt = impl.Prepare(
        "INSERT INTO break_glass (account_id, tenant, reason, started_ms, expires_ms) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!stmt) return std::unexpected(stmt.error());
    (*stmt)->Bind(1, by.account_id).Bind(2, tenant).Bind(3, trimmed).Bind(4, now).Bind(5, expires);
    if (auto ran = (*stmt)->Run(); !ran) return std::unexpected(ran.error());
  }
  if (impl.audit != nullptr) {
    // The grant itself is flagged, with the reason, for the review by the
    // data's tenant; unlike other security events it must be recorded.
    audit::Event event = Impl::Event(
        audit::Action::kBreakGlass, audit::Outcome::kSuccess, by,
        "from tenant " + by.tenant + " for " + std::to_string(duration.count()) + " s: " + trimmed,
        &client);
    event.tenant = std::string(tenant);
    event.flagged = true;
    if (auto recorded = impl.audit->Record(std::move(event)); !recorded) {
      return std::unexpected(recorded.error());
    }
  }
  return expires;
}

}  // namespace cf::access
