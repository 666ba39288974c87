// SPDX-License-Identifier: Apache-2.0
// Accounts, API tokens and browser sessions, and turning the credentials of
// a request into a Principal. Kept in their own SQLite database
// (DATA/access.sqlite) so that the catalog's write lock never delays a
// login, and so that a catalog restore cannot resurrect revoked tokens.
//
// Secrets are never stored: passwords as Argon2id hashes, tokens and
// session ids as SHA-256 of their random secret part (high entropy makes a
// slow hash pointless), looked up by their public id. The one exception is
// the TOTP secret, a key both sides must hold; it lives only in this
// database, which its VFS encrypts at rest.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/principal.hpp"
#include "access/role.hpp"
#include "access/share.hpp"
#include "access/share_notice.hpp"
#include "core/error.hpp"

namespace cf::audit {
class AuditLog;
}

namespace cf::access {

struct AccessOptions {
  // A platform-admin Bearer token for automation (CLOUDFILM_BOOTSTRAP_TOKEN
  // or --bootstrap-token-file); empty = none. At least 20 characters.
  std::string bootstrap_token;
  // Failed passwords in a row before an account locks; each further
  // failure doubles the lock, from lockout_base up to lockout_max.
  int max_failed_logins = 5;
  std::chrono::seconds lockout_base{30};
  std::chrono::seconds lockout_max{std::chrono::minutes(15)};
  // Login attempts per client address per minute, whatever the account.
  int login_attempts_per_minute = 20;
  // Refused tokens and session cookies per client address per minute
  // before every credential from it is refused for a while (429): token
  // secrets cannot be guessed, but a scanner should still be slowed.
  int credential_failures_per_minute = 60;
  // Roles that may open break-glass access to another tenant's images, and
  // the longest a grant lasts.
  std::vector<Role> break_glass_roles = {Role::kDoctor};
  std::chrono::seconds break_glass_max{std::chrono::hours(1)};
  std::chrono::seconds session_idle{std::chrono::minutes(30)};
  std::chrono::seconds session_max{std::chrono::hours(12)};
  // The hospitals that exist besides `default` (configuration [tenants]):
  // accounts, break-glass grants and X-Cloudfilm-Tenant may name only
  // these. Empty: any tenant code (tests, a single-hospital install).
  std::vector<std::string> tenants = {};
  // Platform and hospital admins must have an active TOTP second factor:
  // until they do, their sessions may only enrol one
  // (Principal::must_enrol_totp). API tokens are not affected.
  bool require_totp_for_admins = false;
  // The wall clock of TOTP time steps and enrolment expiry; tests set one
  // they control. Empty = the system clock.
  std::function<std::chrono::system_clock::time_point()> totp_clock;
  // Argon2id cost; tests lower it. 0 = the crypto default.
  // The SQLite VFS (catalog/encrypted_vfs.hpp) that encrypts the file;
  // empty = plain SQLite.
  std::string vfs = {};
  unsigned long long password_ops = 0;
  size_t password_mem_bytes = 0;
  // Patient shares (access/share.hpp): wrong factors in a row before a
  // share locks, and for how long; how long a share session lasts at most
  // (never beyond its share); how long a one-time code is good for.
  int share_max_failures = 5;
  std::chrono::seconds share_lockout{std::chrono::minutes(15)};
  std::chrono::seconds share_session_max{std::chrono::hours(2)};
  std::chrono::seconds share_code_ttl{std::chrono::minutes(5)};
  // The factor of each hospital's patient shares
  // (tenants.<code>.share_factor); a hospital not listed asks the birth date.
  std::vector<std::pair<std::string, ShareFactor>> share_factors = {};
  // Sends one-time codes and "opened by someone else" notices; empty = none
  // (then Open refuses a tenant whose factor is the one-time code).
  ShareNotifier share_notifier = {};
  // The wall clock of share times (start, expiry, lockout, codes); tests
  // set one they control. Empty = the system clock.
  std::function<std::chrono::system_clock::time_point()> share_clock;
};

// What a request presents; any field may be empty.
struct Credentials {
  std::string_view authorization;   // the Authorization header value
  std::string_view session_cookie;  // the cf_session cookie value
  std::string_view csrf_token;      // the X-CSRF-Token header value
  bool state_changing = false;      // POST, PUT, PATCH, DELETE
  // The client's address: failed credentials count against it
  // (AccessOptions::credential_failures_per_minute).
  std::string_view source;
};

// An account's TOTP second factor: none, enrolled but not yet confirmed by
// a code (which does not count at login), or active.
enum class TotpState { kNone, kPending, kActive };
std::string_view TotpStateName(TotpState state);  // "none", "pending", "active"

struct AccountInfo {
  int64_t id = 0;
  std::string login;
  Role role = Role::kDoctor;
  std::string tenant;
  int64_t created_ms = 0;
  std::optional<int64_t> last_login_ms;
  int64_t locked_until_ms = 0;
  bool disabled = false;
  TotpState totp = TotpState::kNone;
};

struct NewAccount {
  std::string login;  // 3..64 characters of [A-Za-z0-9._@-]
  Role role = Role::kDoctor;
  std::string tenant = std::string(kDefaultTenant);
  std::string password;  // see crypto::CheckPasswordPolicy
};

struct TokenInfo {
  std::string id;  // public part, shown in lists and the audit trail
  std::string login;
  std::string label;
  std::vector<Permission> scopes;
  int64_t created_ms = 0;
  std::optional<int64_t> expires_ms;
  std::optional<int64_t> last_used_ms;
  std::optional<int64_t> revoked_ms;
};

struct TokenRequest {
  std::string login;  // the token's account; empty = the caller's own
  std::string label;
  std::vector<Permission> scopes;                // empty = all of the account's role
  std::optional<std::chrono::seconds> lifetime;  // nullopt = does not expire
};

struct IssuedApiToken {
  TokenInfo info;
  std::string text;  // the whole token: shown once, never stored
};

struct Session {
  std::string cookie;  // the cf_session cookie value (secret)
  std::string csrf;    // to be echoed in X-CSRF-Token (secret)
  Principal principal;
  int64_t expires_ms = 0;
};

// A TOTP enrolment in progress: what the authenticator app needs, shown
// once to the account's owner (a QR code of `uri`). Never logged or audited.
struct TotpEnrolment {
  std::string secret;      // RFC 4648 base32 of 160 random bits (32 characters)
  std::string uri;         // otpauth://totp/cloudfilm:<login>?secret=...&issuer=cloudfilm...
  int64_t expires_ms = 0;  // confirm a code before then, or enrol again
};

// The message of Login's kUnauthenticated error when the password was right
// but the account has an active TOTP and no code came with it; the HTTP
// layer turns it into a problem of its own type.
inline constexpr std::string_view kSecondFactorRequired =
    "a second factor is required: send the current code of the authenticator app";

// Where a login comes from, for rate limits and the audit trail.
struct ClientInfo {
  std::string_view address;
  std::string_view user_agent;
};

// Thread-safe.
class Access {
 public:
  // Opens (creating, migrating) DATA/access.sqlite. `audit` may be null
  // (tools); when set it must outlive this object, and logins, token and
  // account changes are recorded there.
  static Result<std::unique_ptr<Access>> Open(const std::filesystem::path& database,
                                              AccessOptions options, audit::AuditLog* audit);
  ~Access();

  // The principal behind a request's credentials: anonymous when it shows
  // none. Errors: kUnauthenticated (a token or session that is unknown,
  // expired, revoked, or whose account is disabled), kPermissionDenied (a
  // session's state-changing request without its CSRF token).
  Result<Principal> Authenticate(const Credentials& credentials);

  // A new session for a password login; every login gets a fresh session
  // id. An account with an active TOTP also needs `totp_code`, the code of
  // the current time step or of one step either side (clock drift), of a
  // step newer than any code it accepted before (no replay). Errors:
  // kUnauthenticated (wrong login or password, indistinguishable; a right
  // password without a code, with the message kSecondFactorRequired; a
  // wrong or replayed code, which counts as a failed login towards the
  // lockout), kRateLimited (address over its budget, account locked; the
  // message says for how long).
  Result<Session> Login(std::string_view login, std::string_view password, const ClientInfo& client,
                        std::string_view totp_code = {});
  // Ends the principal's session; for a share session, every session of
  // its share (the principal names the share, not the session). No-op for
  // other kinds.
  Result<void> Logout(const Principal& principal);

  // Creates an account. `by` must be allowed kManageAccounts on the new
  // account's tenant, and only a platform admin creates platform admins.
  Result<AccountInfo> CreateAccount(const Principal& by, const NewAccount& account);
  Result<std::vector<AccountInfo>> ListAccounts(const Principal& by);
  Result<int64_t> CountAccounts();

  // Issues an API token for `request.login` (or the caller). Its scopes may
  // not exceed what the account's role has.
  Result<IssuedApiToken> IssueToken(const Principal& by, const TokenRequest& request);
  // The caller's own tokens, or with kManageAccounts those of its tenant.
  Result<std::vector<TokenInfo>> ListTokens(const Principal& by);
  Result<void> RevokeToken(const Principal& by, std::string_view token_id);

  // Whether `tenant` is a hospital of this installation (AccessOptions::tenants).
  bool KnownTenant(std::string_view tenant) const;
  // TOTP second factor (RFC 6238), managed by a person for its own account
  // from a signed-in session (Permission::kSecondFactor). Every change is
  // an audit event (account-change); secrets and codes never are.
  //
  // Starts an enrolment: a fresh random secret, pending (not asked at
  // login) until ConfirmTotp, for at most 10 minutes. Enrolling again
  // replaces a pending secret. Errors: kPermissionDenied (not a session),
  // kConflict (a TOTP is active: disable it first).
  Result<TotpEnrolment> EnrollTotp(const Principal& by, const ClientInfo& client);
  // Activates the pending secret when `code` is one of its codes (the
  // step of now or one either side). Errors: kNotFound (nothing pending,
  // or it expired), kInvalidArgument (wrong code), kRateLimited (too many
  // wrong codes for this account in a minute).
  Result<void> ConfirmTotp(const Principal& by, std::string_view code, const ClientInfo& client);
  // Removes `by`'s TOTP, active or pending, proven again by the account's
  // password or by a current code (either suffices; a wrong one counts as
  // a failed login towards the lockout). Ends the account's other
  // sessions. Errors: kPermissionDenied (wrong password or code),
  // kRateLimited (account locked), kNotFound (no TOTP), kInvalidArgument
  // (neither given).
  Result<void> DisableTotp(const Principal& by, std::string_view password, std::string_view code,
                           const ClientInfo& client);
  // Recovery by someone who manages the account (the local operator: a
  // lost phone): removes the TOTP of `login`, active or pending, and ends
  // all its sessions. Returns whether there was one. Errors: kNotFound (no
  // such account), kPermissionDenied.
  Result<bool> ResetTotp(const Principal& by, std::string_view login);

  // Emergency access: lets `by` read the images of `tenant` for `duration`
  // (at most break_glass_max). Only for the configured roles, signed-in
  // accounts (not the bootstrap token), with a typed reason of at least 10
  // characters; the grant and every access through it are flagged in the
  // audit trail for review. Returns when the grant ends (Unix ms).
  Result<int64_t> BreakGlass(const Principal& by, std::string_view tenant, std::string_view reason,
                             std::chrono::seconds duration, const ClientInfo& client);

  // Patient shares (access/share.hpp, access_share.cpp). Tokens and factor
  // values are never logged nor put in the audit trail.
  //
  // The factor a hospital's patient shares ask (AccessOptions::share_factors).
  ShareFactor ShareFactorOf(std::string_view tenant) const;
  // Makes the patient share of a film; `by` needs kShareFilms on its
  // tenant. The film's previous live patient share is revoked (one per
  // film). Errors: kInvalidArgument (no studies, bad times, a factor value
  // of the wrong form, a one-time code without recipient or notifier),
  // kPermissionDenied.
  Result<IssuedShare> CreateShare(const Principal& by, const NewShare& share);
  // A doctor share made by the patient's own share session `by`: the same
  // studies, `factor` (kNone allowed), expiring after `lifetime` but never
  // after the patient share. Errors: kPermissionDenied (not a patient
  // share session), kInvalidArgument.
  Result<IssuedShare> CreateDoctorShare(const Principal& by, ShareFactor factor,
                                        std::string_view factor_value,
                                        std::chrono::seconds lifetime, std::string_view recipient);
  // The shares of a film (`by` needs kShareFilms on `tenant`), newest first.
  Result<std::vector<ShareInfo>> ListShares(const Principal& by, std::string_view tenant,
                                            std::string_view film_id);
  // The shares of a hospital (`by` needs kShareFilms on filter.tenant),
  // patient and doctor shares alike, newest first. kInvalidArgument for an
  // unknown state or a malformed UID.
  Result<std::vector<ShareInfo>> SearchShares(const Principal& by, const ShareFilter& filter);
  // The doctor shares made from the patient share session `by`.
  Result<std::vector<ShareInfo>> ListDoctorShares(const Principal& by);
  // Revokes a share and ends its sessions: hospital staff with kShareFilms
  // on its tenant, or the patient share a doctor share was made from.
  // Errors: kNotFound (unknown, or not `by`'s to revoke).
  Result<void> RevokeShare(const Principal& by, std::string_view share_id);
  // A patient-scope share covers every exam of the patient at the
  // hospital, also those stored after it was made: the caller resolves them
  // again when the share is opened and records them here. Exams are only
  // added, never dropped. kNotFound for an unknown share, kInvalidArgument
  // for a film-scope share or a malformed UID.
  Result<std::vector<std::string>> ExtendPatientShare(std::string_view share_id,
                                                      const std::vector<std::string>& study_uids);
  // Opens a share with its token and factor value. Errors:
  // kUnauthenticated (unknown, revoked, expired or not yet valid token; a
  // wrong factor, whose message says how many attempts are left; for a
  // one-time-code share, also a code never sent, expired or already used),
  // kRateLimited (the share is locked, or is locked by this answer: "retry
  // in N s").
  //
  // `only_tenant`, when set, is the hospital of a kiosk opening the share
  // for its patient: a share of another hospital is refused
  // (kPermissionDenied) before its factor is looked at, and the refusal is
  // an audit event of the share's hospital. It counts no attempt.
  Result<ShareSession> OpenShare(std::string_view token, std::string_view factor_value,
                                 const ClientInfo& client, std::string_view only_tenant = {});
  // The same for a hospital's kiosk that found the patient's share by the
  // visit number (no token at hand): the share `share_id` of `tenant` only
  // (another hospital's is kUnauthenticated, "unknown share link"), the
  // same attempt counting, lockout and audit.
  Result<ShareSession> OpenShareById(std::string_view share_id, std::string_view factor_value,
                                     const ClientInfo& client, std::string_view tenant);
  // Ends one share session (its "cfp_" token), not the share's others: a
  // patient leaving a kiosk keeps the session on the phone. Audited
  // (logout). kUnauthenticated for an unknown token.
  Result<void> EndShareSession(std::string_view session_token);
  // Whether `token` is the token of share `share_id` (compared in constant
  // time). For a kiosk that prints the patient's own QR code and must not
  // print another.
  Result<bool> ShareTokenMatches(std::string_view share_id, std::string_view token);
  // The factor a share asks and whether it opens now (ShareStatus), for
  // the page the QR code opens. Changes nothing and counts no attempt; an
  // unknown token is kUnauthenticated and counts against the address like
  // a refused credential, kRateLimited once the address is over that limit.
  Result<ShareStatus> ShareStatusOf(std::string_view token, const ClientInfo& client);
  // Sends a fresh 6-digit one-time code of a one-time-code share through
  // the notifier (a new one replaces the previous). Errors as OpenShare,
  // kInvalidArgument (the share asks another factor), kUnsupported without
  // a notifier, kStorageUnavailable if it could not be sent.
  Result<void> SendShareCode(std::string_view token, const ClientInfo& client);
  // The same for the share `share_id` of `tenant` (a kiosk, see OpenShareById).
  Result<void> SendShareCodeById(std::string_view share_id, const ClientInfo& client,
                                 std::string_view tenant);
  // A film was opened by `by`, someone other than its patient (hospital
  // staff): the recipient of the film's live patient share hears of it
  // through the notifier, at most once an hour per reader and film. A
  // failure to notify is logged, not returned: the read is audited anyway
  // and listed in the patient's access history.
  void NoticeFilmOpened(std::string_view tenant, std::string_view film_id, const Principal& by);

 private:
  struct Impl;
  explicit Access(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The local operator (the CLI run by someone with the data folder).
Principal OperatorPrincipal();

}  // namespace cf::access
