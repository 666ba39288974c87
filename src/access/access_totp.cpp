// SPDX-License-Identifier: Apache-2.0
// The TOTP second factor of Access: enrolment by the account's owner,
// confirmation, removal, and the operator's reset. The check at login is in
// Access::Login (access.cpp), in the transaction that creates the session.
//
// Secrets and codes never reach a log line or an audit event; the audit
// trail records that a factor changed, by whom, from where.
#include <string>
#include <utility>

#include "access/access.hpp"
#include "access/access_impl.hpp"
#include "access/policy.hpp"
#include "access/totp_factor.hpp"
#include "core/time_text.hpp"
#include "crypto/totp.hpp"

namespace cf::access {
namespace {

// The issuer an authenticator app shows beside the login.
constexpr std::string_view kTotpIssuer = "cloudfilm";

// A second factor belongs to a person with a browser session; the policy
// (Permission::kSecondFactor) refuses others before they get here.
Result<void> RequireSession(const Principal& by) {
  if (by.kind != Principal::Kind::kSession || by.account_id == 0) {
    return Fail(ErrorCode::kPermissionDenied,
                "a second factor is managed from a signed-in browser session");
  }
  return {};
}

std::string AccountKey(int64_t account_id) { return "account:" + std::to_string(account_id); }

}  // namespace

std::string_view TotpStateName(TotpState state) {
  switch (state) {
    case TotpState::kNone:
      return "none";
    case TotpState::kPending:
      return "pending";
    case TotpState::kActive:
      return "active";
  }
  return "none";
}

Result<TotpEnrolment> Access::EnrollTotp(const Principal& by, const ClientInfo& client) {
  Impl& impl = *impl_;
  if (auto session = RequireSession(by); !session) return std::unexpected(session.error());
  const crypto::SecretBytes secret(crypto::NewTotpSecret());
  const int64_t now = impl.TotpNowMs();
  {
    std::lock_guard lock(impl.mutex);
    Transaction transaction(impl.db);
    if (auto begun = transaction.Begin(); !begun) return std::unexpected(begun.error());
    auto existing = LoadTotp(impl.db, by.account_id);
    if (!existing) return std::unexpected(existing.error());
    if (*existing && (*existing)->active()) {
      // Replacing an active factor from a session alone would let a stolen
      // session move the factor to the thief's phone.
      return Fail(ErrorCode::kConflict,
                  "a second factor is active: disable it first (with the password or a code)");
    }
    if (auto stored = StorePendingTotp(impl.db, by.account_id, secret.view(), now); !stored) {
      return std::unexpected(stored.error());
    }
    if (auto committed = transaction.Commit(); !committed) {
      return std::unexpected(committed.error());
    }
  }
  impl.Audit(audit::Action::kAccountChange, audit::Outcome::kSuccess, by,
             "second factor: totp enrolment started", &client);
  TotpEnrolment enrolment;
  enrolment.secret = crypto::Base32Encode(secret.view());
  enrolment.uri = crypto::TotpUri(kTotpIssuer, by.login, secret.view());
  enrolment.expires_ms =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(kTotpPendingLifetime).count();
  return enrolment;
}

Result<void> Access::ConfirmTotp(const Principal& by, std::string_view code,
                                 const ClientInfo& client) {
  Impl& impl = *impl_;
  if (auto session = RequireSession(by); !session) return std::unexpected(session.error());
  const std::string key = AccountKey(by.account_id);
  if (const auto wait = impl.second_factor_failures->Peek(key); wait.count() > 0) {
    return std::unexpected(RetryLater("too many wrong codes for this account", wait.count()));
  }
  const int64_t now = impl.TotpNowMs();
  TotpCheck check = TotpCheck::kWrong;
  {
    std::lock_guard lock(impl.mutex);
    Transaction transaction(impl.db);
    if (auto begun = transaction.Begin(); !begun) return std::unexpected(begun.error());
    auto factor = LoadTotp(impl.db, by.account_id);
    if (!factor) return std::unexpected(factor.error());
    if (!*factor || (*factor)->active()) {
      return Fail(ErrorCode::kNotFound, "no second-factor enrolment is pending: enrol first");
    }
    const int64_t lifetime_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(kTotpPendingLifetime).count();
    if (now - (*factor)->created_ms > lifetime_ms) {
      if (auto removed = RemoveTotp(impl.db, by.account_id); !removed) {
        return std::unexpected(removed.error());
      }
      if (auto committed = transaction.Commit(); !committed) {
        return std::unexpected(committed.error());
      }
      return Fail(ErrorCode::kNotFound, "the second-factor enrolment expired: enrol again");
    }
    auto used = UseTotpCode(impl.db, by.account_id, **factor, code, now);
    if (!used) return std::unexpected(used.error());
    check = *used;
    if (check == TotpCheck::kAccepted) {
      if (auto activated = ActivateTotp(impl.db, by.account_id, now); !activated) {
        return std::unexpected(activated.error());
      }
      // Sessions opened with the password alone end: whoever else had the
      // password must now show the second factor too.
      if (auto ended = impl.EndSessions(by.account_id, by.token_id); !ended) {
        return std::unexpected(ended.error());
      }
      if (auto committed = transaction.Commit(); !committed) {
        return std::unexpected(committed.error());
      }
    }
  }
  if (check != TotpCheck::kAccepted) {
    (void)impl.second_factor_failures->Attempt(key);
    impl.Audit(audit::Action::kAccountChange, audit::Outcome::kDenied, by,
               "second factor: totp confirmation with a wrong code", &client);
    return Fail(ErrorCode::kInvalidArgument,
                "wrong code: check the time on the device and type the code it shows now");
  }
  impl.Audit(audit::Action::kAccountChange, audit::Outcome::kSuccess, by,
             "second factor: totp active; other sessions ended", &client);
  return {};
}

Result<void> Access::DisableTotp(const Principal& by, std::string_view password,
                                 std::string_view code, const ClientInfo& client) {
  Impl& impl = *impl_;
  if (auto session = RequireSession(by); !session) return std::unexpected(session.error());
  if (password.empty() && code.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "disabling the second factor needs the password or a current code");
  }
  if (password.size() > 1024) return Fail(ErrorCode::kPermissionDenied, "wrong password or code");
  const int64_t now = UnixNowMs();
  std::string stored_hash;
  {
    std::lock_guard lock(impl.mutex);
    auto stmt = impl.Prepare("SELECT locked_until_ms FROM accounts WHERE id = ?");
    if (!stmt) return std::unexpected(stmt.error());
    (*stmt)->Bind(1, by.account_id);
    auto locked = catalog::sqlite::First<int64_t>(
        **stmt, [](const catalog::sqlite::Statement& s) { return s.Int(0); });
    if (!locked) return std::unexpected(locked.error());
    const int64_t locked_until = locked->value_or(0);
    // The same lock as at login: a stolen session must not become a way to
    // go on guessing the password.
    if (locked_until > now) {
      return std::unexpected(RetryLater("account locked after repeated failures",
                                        (locked_until - now + 999) / 1000, "account-locked"));
    }
    if (!password.empty()) {
      auto hash = impl.PasswordHash(by.account_id);
      if (!hash) return std::unexpected(hash.error());
      stored_hash = std::move(*hash);
    }
  }
  // The slow hash runs outside the lock, as at login.
  const bool password_ok = !password.empty() && crypto::VerifyPassword(stored_hash, password);

  bool proven = password_ok;
  {
    std::lock_guard lock(impl.mutex);
    Transaction transaction(impl.db);
    if (auto begun = transaction.Begin(); !begun) return std::unexpected(begun.error());
    auto factor = LoadTotp(impl.db, by.account_id);
    if (!factor) return std::unexpected(factor.error());
    if (!*factor) return Fail(ErrorCode::kNotFound, "this account has no second factor");
    if (password.empty()) {
      auto used = UseTotpCode(impl.db, by.account_id, **factor, code, impl.TotpNowMs());
      if (!used) return std::unexpected(used.error());
      proven = *used == TotpCheck::kAccepted;
    }
    if (proven) {
      if (auto removed = RemoveTotp(impl.db, by.account_id); !removed) {
        return std::unexpected(removed.error());
      }
      if (auto ended = impl.EndSessions(by.account_id, by.token_id); !ended) {
        return std::unexpected(ended.error());
      }
    } else if (auto counted = impl.CountFailedLogin(by.account_id, now); !counted) {
      return std::unexpected(counted.error());
    }
    if (auto committed = transaction.Commit(); !committed) {
      return std::unexpected(committed.error());
    }
  }
  if (!proven) {
    impl.Audit(audit::Action::kAccountChange, audit::Outcome::kDenied, by,
               password.empty() ? "second factor: disabling refused: wrong or already used code"
                                : "second factor: disabling refused: wrong password",
               &client);
    return Fail(ErrorCode::kPermissionDenied, "wrong password or code");
  }
  impl.Audit(audit::Action::kAccountChange, audit::Outcome::kSuccess, by,
             password.empty()
                 ? "second factor: totp disabled (proven by a code); other sessions ended"
                 : "second factor: totp disabled (proven by the password); other "
                   "sessions ended",
             &client);
  return {};
}

Result<bool> Access::ResetTotp(const Principal& by, std::string_view login) {
  Impl& impl = *impl_;
  std::optional<AccountInfo> account;
  bool had_one = false;
  {
    std::lock_guard lock(impl.mutex);
    Transaction transaction(impl.db);
    if (auto begun = transaction.Begin(); !begun) return std::unexpected(begun.error());
    auto found = impl.FindAccount(login);
    if (!found) return std::unexpected(found.error());
    account = std::move(*found);
    if (!account) return Fail(ErrorCode::kNotFound, "no account with this login");
    if (!MayManageAccount(by, account->tenant, account->role)) {
      impl.Audit(audit::Action::kAccountChange, audit::Outcome::kDenied, by,
                 "second factor: reset refused for " + account->login);
      return Fail(ErrorCode::kPermissionDenied,
                  "not allowed to reset this account's second factor");
    }
    auto removed = RemoveTotp(impl.db, account->id);
    if (!removed) return std::unexpected(removed.error());
    had_one = *removed;
    // Whoever holds the lost phone may also hold a session.
    if (auto ended = impl.EndSessions(account->id, ""); !ended) {
      return std::unexpected(ended.error());
    }
    if (impl.audit != nullptr) {
      // Recorded before the change commits: a recovery that cannot be
      // audited is not done. The account's hospital reviews it.
      audit::Event event =
          Impl::Event(audit::Action::kAccountChange, audit::Outcome::kSuccess, by,
                      "second factor: reset for " + account->login +
                          (had_one ? " (totp removed)" : " (had none)") + "; its sessions ended",
                      nullptr);
      event.tenant = account->tenant;
      if (auto recorded = impl.audit->Record(std::move(event)); !recorded) {
        return std::unexpected(recorded.error());
      }
    }
    if (auto committed = transaction.Commit(); !committed) {
      return std::unexpected(committed.error());
    }
  }
  return had_one;
}

}  // namespace cf::access
