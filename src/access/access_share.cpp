// SPDX-License-Identifier: Apache-2.0
// Patient shares of Access (access/share.hpp): making them, opening them
// with a second factor, share sessions, one-time codes, revocation.
//
// A share's token is 128 random bits (22 base64url characters, short enough
// for a small QR code); only its SHA-256 is stored, found by index and then
// compared in constant time. The expected factor value and a pending
// one-time code are Argon2id hashes like passwords: a birth date or four
// digits have little entropy, so what protects them is the lockout, counted
// before the answer is checked so that guesses sent together all count.
// Tokens, factor values and codes never reach a log line or the audit trail.
#include <algorithm>
#include <array>
#include <limits>
#include <mutex>
#include <utility>

#include "access/access.hpp"
#include "access/access_impl.hpp"
#include "access/policy.hpp"
#include "core/log.hpp"
#include "core/time_text.hpp"
#include "crypto/random.hpp"

namespace cf::access {
namespace {

using catalog::sqlite::Collect;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

constexpr std::string_view kShareSessionPrefix = "cfp";
constexpr std::string_view kShareCsrfPrefix = "cfc";
constexpr size_t kShareTokenBytes = 16;  // 128 bits
constexpr int64_t kTouchIntervalMs = 60'000;

constexpr std::array<std::pair<ShareFactor, std::string_view>, 5> kFactors = {{
    {ShareFactor::kNone, "none"},
    {ShareFactor::kBirthDate, "birth-date"},
    {ShareFactor::kPhoneLast4, "phone-last4"},
    {ShareFactor::kIdLast4, "id-last4"},
    {ShareFactor::kOneTimeCode, "one-time-code"},
}};

// What ReadShare reads, in its order.
constexpr std::string_view kShareColumns =
    "SELECT id, tenant, film_id, scope, study_uids, factor, created_by, created_ms, "
    "not_before_ms, expires_ms, revoked_ms, last_used_ms, first_opened_ms, failed_attempts, "
    "locked_until_ms, COALESCE(parent, ''), token_hash, factor_hash, recipient, code_hash, "
    "code_expires_ms FROM shares";

// A share row with its secrets' hashes, which never leave this file.
struct ShareRow {
  ShareInfo info;
  std::string token_hash, factor_hash, recipient, code_hash;
  int64_t code_expires_ms = 0;
};

int64_t Ms(std::chrono::seconds s) { return s.count() * 1000; }

// Now, in Unix ms, on the shares' clock (AccessOptions::share_clock).
int64_t ShareNow(const auto& impl) {
  if (!impl.options.share_clock) return UnixNowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             impl.options.share_clock().time_since_epoch())
      .count();
}

std::string JoinUids(const std::vector<std::string>& uids) {
  std::string text;
  for (const auto& uid : uids) {
    if (!text.empty()) text.push_back(' ');
    text.append(uid);
  }
  return text;
}

std::vector<std::string> SplitUids(std::string_view text) {
  std::vector<std::string> uids;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (space != 0) uids.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return uids;
}

bool ValidUid(std::string_view uid) {
  return !uid.empty() && uid.size() <= 64 &&
         std::ranges::all_of(uid, [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

ShareRow ReadShare(const Statement& s) {
  ShareRow row;
  ShareInfo& i = row.info;
  i.id = s.Text(0);
  i.tenant = s.Text(1);
  i.film_id = s.Text(2);
  i.scope = s.Text(3) == "patient" ? ShareScope::kPatient : ShareScope::kFilm;
  i.study_uids = SplitUids(s.Text(4));
  i.factor = ParseShareFactor(s.Text(5)).value_or(ShareFactor::kBirthDate);
  i.created_by = s.Text(6);
  i.created_ms = s.Int(7);
  i.not_before_ms = s.Int(8);
  i.expires_ms = s.Int(9);
  i.revoked_ms = s.OptInt64(10);
  i.last_used_ms = s.OptInt64(11);
  i.first_opened_ms = s.OptInt64(12);
  i.failed_attempts = s.Int(13);
  i.locked_until_ms = s.Int(14);
  i.parent = s.Text(15);
  row.token_hash = s.Text(16);
  row.factor_hash = s.Text(17);
  row.recipient = s.Text(18);
  row.code_hash = s.Text(19);
  row.code_expires_ms = s.Int(20);
  return row;
}

// The principal a share session acts as (and that audit events of the
// share name): "share:<id>", in the share's hospital.
Principal SharePrincipal(const ShareInfo& share) {
  Principal p;
  p.kind = Principal::Kind::kShare;
  p.login = "share:" + share.id;
  p.token_id = share.id;
  p.tenant = share.tenant;
  p.share_studies = share.study_uids;
  p.share_owner = share.parent.empty();
  return p;
}

bool StaffMay(const Principal& by, std::string_view tenant) {
  return by.kind != Principal::Kind::kShare &&
         Authorize(by, Permission::kShareFilms, tenant) == Decision::kAllow;
}

// Why a share cannot be opened now, or nullopt.
std::optional<Error> NotLive(const ShareInfo& share, int64_t now) {
  if (share.revoked_ms) {
    return Error{ErrorCode::kUnauthenticated, "this share was revoked", "share-revoked"};
  }
  if (now < share.not_before_ms) {
    return Error{ErrorCode::kUnauthenticated, "this share is not valid yet", "share-not-yet-valid"};
  }
  if (now >= share.expires_ms) {
    return Error{ErrorCode::kUnauthenticated, "this share has expired", "share-expired"};
  }
  return std::nullopt;
}

std::string SixDigitCode() {
  // Rejection sampling keeps every code equally likely.
  for (;;) {
    std::array<std::byte, 4> raw{};
    crypto::RandomBytes(raw);
    uint32_t value = 0;
    for (const std::byte b : raw) value = (value << 8) | std::to_integer<uint32_t>(b);
    if (value >= 4'294'000'000U) continue;  // a multiple of 1,000,000
    std::string code = std::to_string(value % 1'000'000);
    return std::string(6 - code.size(), '0') + code;
  }
}

}  // namespace

std::string_view ShareFactorName(ShareFactor factor) {
  for (const auto& [value, name] : kFactors) {
    if (value == factor) return name;
  }
  return "unknown";
}

std::optional<ShareFactor> ParseShareFactor(std::string_view name) {
  for (const auto& [value, known] : kFactors) {
    if (known == name) return value;
  }
  return std::nullopt;
}

std::string_view ShareScopeName(ShareScope scope) {
  return scope == ShareScope::kPatient ? "patient" : "film";
}

std::string_view ShareStateName(ShareState state) {
  switch (state) {
    case ShareState::kOpen:
      return "open";
    case ShareState::kLocked:
      return "locked";
    case ShareState::kRevoked:
      return "revoked";
    case ShareState::kExpired:
      return "expired";
    case ShareState::kNotYet:
      return "not-yet";
  }
  return "unknown";
}

std::string_view ShareNoticeKindName(ShareNotice::Kind kind) {
  switch (kind) {
    case ShareNotice::Kind::kOneTimeCode:
      return "one-time-code";
    case ShareNotice::Kind::kOpenedByOther:
      return "opened-by-other";
    case ShareNotice::Kind::kShareCreated:
      return "share-created";
    case ShareNotice::Kind::kFirstOpened:
      return "first-opened";
  }
  return "unknown";
}

std::optional<std::string> NormalizeFactor(ShareFactor factor, std::string_view value) {
  if (value.size() > 64) return std::nullopt;
  std::string kept;
  for (const char c : value) {
    if (c >= '0' && c <= '9') {
      kept.push_back(c);
    } else if (factor == ShareFactor::kIdLast4 && (c == 'x' || c == 'X')) {
      kept.push_back('X');
    } else if (c != '-' && c != ' ') {
      return std::nullopt;
    }
  }
  switch (factor) {
    case ShareFactor::kNone:
      return std::string();
    case ShareFactor::kBirthDate: {
      if (kept.size() != 8) return std::nullopt;
      const int month = std::stoi(kept.substr(4, 2));
      const int day = std::stoi(kept.substr(6, 2));
      if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
      return kept;
    }
    case ShareFactor::kPhoneLast4:
    case ShareFactor::kIdLast4:
      // The hospital may give the whole number; the patient types the last four.
      if (kept.size() < 4) return std::nullopt;
      return kept.substr(kept.size() - 4);
    case ShareFactor::kOneTimeCode:
      if (kept.size() != 6) return std::nullopt;
      return kept;
  }
  return std::nullopt;
}

ShareFactor Access::ShareFactorOf(std::string_view tenant) const {
  for (const auto& [code, factor] : impl_->options.share_factors) {
    if (code == tenant) return factor;
  }
  return ShareFactor::kBirthDate;
}

namespace {

// The factor checks of a new share, and the Argon2id hash of its expected
// value (empty for none and one-time codes). Called before the lock is
// taken: hashing takes a fraction of a second and every request's
// authentication waits for that lock.
Result<std::string> FactorHash(const auto& impl, const NewShare& share) {
  if (share.factor == ShareFactor::kOneTimeCode) {
    if (!impl.options.share_notifier) {
      return Fail(ErrorCode::kUnsupported,
                  "one-time codes need a notifier (a notification provider: [notify] "
                  "provider), and none is configured");
    }
    if (share.recipient.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "a one-time-code share needs a 'recipient'");
    }
    return std::string();
  }
  if (share.factor == ShareFactor::kNone) return std::string();
  const auto normalized = NormalizeFactor(share.factor, share.factor_value);
  if (!normalized) {
    return Fail(ErrorCode::kInvalidArgument, "the expected " +
                                                 std::string(ShareFactorName(share.factor)) +
                                                 " value is missing or malformed");
  }
  return crypto::HashPassword(*normalized, impl.password_cost);
}

// The checks and the insert shared by patient and doctor shares.
// REQUIRES: mutex held, inside a transaction. (`impl` is Access::Impl,
// which a function outside Access may not name.)
Result<IssuedShare> InsertShare(auto& impl, const NewShare& share, std::string_view factor_hash,
                                std::string parent, std::string created_by) {
  const int64_t now = ShareNow(impl);
  if (share.study_uids.empty()) return Fail(ErrorCode::kInvalidArgument, "the share has no study");
  if (!std::ranges::all_of(share.study_uids, ValidUid)) {
    return Fail(ErrorCode::kInvalidArgument, "a study UID of the share is not a UID");
  }
  const int64_t not_before = share.not_before_ms == 0 ? now : share.not_before_ms;
  if (share.expires_ms <= not_before || share.expires_ms <= now) {
    return Fail(ErrorCode::kInvalidArgument, "a share must expire after it starts, in the future");
  }
  IssuedShare issued;
  Bytes raw(kShareTokenBytes);
  crypto::RandomBytes(std::as_writable_bytes(std::span(raw)));
  issued.token = crypto::Base64UrlEncode(raw);
  ShareInfo& info = issued.info;
  info.id = crypto::RandomHex(8);
  info.tenant = share.tenant;
  info.film_id = share.film_id;
  info.scope = share.scope;
  info.study_uids = share.study_uids;
  std::ranges::sort(info.study_uids);
  info.factor = share.factor;
  info.created_by = std::move(created_by);
  info.created_ms = now;
  info.not_before_ms = not_before;
  info.expires_ms = share.expires_ms;
  info.parent = std::move(parent);
  auto insert = impl.Prepare(
      "INSERT INTO shares (id, token_hash, tenant, film_id, scope, study_uids, factor, "
      "factor_hash, recipient, created_by, created_ms, not_before_ms, expires_ms, parent) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))");
  if (!insert) return std::unexpected(insert.error());
  (*insert)
      ->Bind(1, info.id)
      .Bind(2, HashHex(issued.token))
      .Bind(3, info.tenant)
      .Bind(4, info.film_id)
      .Bind(5, ShareScopeName(info.scope))
      .Bind(6, JoinUids(info.study_uids))
      .Bind(7, ShareFactorName(info.factor))
      .Bind(8, factor_hash)
      .Bind(9, share.recipient)
      .Bind(10, info.created_by)
      .Bind(11, now)
      .Bind(12, not_before)
      .Bind(13, info.expires_ms)
      .Bind(14, info.parent);
  if (auto done = (*insert)->Run(); !done) return std::unexpected(done.error());
  return issued;
}

// Revokes the shares `where` selects (a condition on table shares using ?2
// and ?3, bound to `a` and `b`) and ends their sessions.
// REQUIRES: mutex held.
Result<void> RevokeWhere(auto& impl, std::string_view where, std::string_view a,
                         std::string_view b) {
  const int64_t now = ShareNow(impl);
  auto sessions = impl.Prepare(
      "UPDATE share_sessions SET ended_ms = ?1 WHERE ended_ms IS NULL AND share_id IN "
      "(SELECT id FROM shares WHERE " +
      std::string(where) + ")");
  if (!sessions) return std::unexpected(sessions.error());
  (*sessions)->Bind(1, now).Bind(2, a).Bind(3, b);
  if (auto done = (*sessions)->Run(); !done) return done;
  auto shares = impl.Prepare("UPDATE shares SET revoked_ms = ?1 WHERE revoked_ms IS NULL AND (" +
                             std::string(where) + ")");
  if (!shares) return std::unexpected(shares.error());
  (*shares)->Bind(1, now).Bind(2, a).Bind(3, b);
  return (*shares)->Run();
}

Result<std::optional<ShareRow>> FindShare(auto& impl, std::string_view column,
                                          std::string_view value) {
  auto stmt = impl.Prepare(std::string(kShareColumns) + " WHERE " + std::string(column) + " = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, value);
  return First<ShareRow>(**stmt, ReadShare);
}

}  // namespace

Result<IssuedShare> Access::CreateShare(const Principal& by, const NewShare& share) {
  if (!StaffMay(by, share.tenant)) {
    return Fail(ErrorCode::kPermissionDenied, "this account may not share films of this hospital");
  }
  if (share.factor == ShareFactor::kNone) {
    return Fail(ErrorCode::kInvalidArgument, "a patient share needs a second factor");
  }
  Impl& impl = *impl_;
  auto factor_hash = FactorHash(impl, share);
  if (!factor_hash) return std::unexpected(factor_hash.error());
  std::lock_guard lock(impl.mutex);
  Transaction transaction(impl.db);
  if (auto begun = transaction.Begin(); !begun) return std::unexpected(begun.error());
  // One live patient share per film: a new QR slip replaces the old one,
  // and the doctor shares made from it go with it.
  if (auto revoked = RevokeWhere(impl, "tenant = ?2 AND film_id = ?3", share.tenant, share.film_id);
      !revoked) {
    return std::unexpected(revoked.error());
  }
  auto issued = InsertShare(impl, share, *factor_hash, "", by.Actor());
  if (!issued) return issued;
  if (auto committed = transaction.Commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return issued;
}

Result<IssuedShare> Access::CreateDoctorShare(const Principal& by, ShareFactor factor,
                                              std::string_view factor_value,
                                              std::chrono::seconds lifetime,
                                              std::string_view recipient) {
  if (by.kind != Principal::Kind::kShare || !by.share_owner) {
    return Fail(ErrorCode::kPermissionDenied,
                "doctor shares are made by the patient, from the patient's own share");
  }
  if (lifetime.count() <= 0) {
    return Fail(ErrorCode::kInvalidArgument, "a doctor share needs a positive lifetime");
  }
  Impl& impl = *impl_;
  NewShare factor_only;
  factor_only.factor = factor;
  factor_only.factor_value = std::string(factor_value);
  factor_only.recipient = std::string(recipient);
  auto factor_hash = FactorHash(impl, factor_only);
  if (!factor_hash) return std::unexpected(factor_hash.error());
  std::lock_guard lock(impl.mutex);
  auto parent = FindShare(impl, "id", by.token_id);
  if (!parent) return std::unexpected(parent.error());
  const int64_t now = ShareNow(impl);
  if (!*parent) return Fail(ErrorCode::kNotFound, "unknown share");
  if (auto dead = NotLive((*parent)->info, now)) return std::unexpected(*dead);
  NewShare share;
  share.tenant = (*parent)->info.tenant;
  share.film_id = (*parent)->info.film_id;
  share.scope = (*parent)->info.scope;
  share.study_uids = (*parent)->info.study_uids;
  share.factor = factor;
  share.factor_value = std::string(factor_value);
  share.recipient = std::string(recipient);
  share.not_before_ms = now;
  // Never outlives what it was made from.
  share.expires_ms = std::min(now + Ms(lifetime), (*parent)->info.expires_ms);
  Transaction transaction(impl.db);
  if (auto begun = transaction.Begin(); !begun) return std::unexpected(begun.error());
  auto issued = InsertShare(impl, share, *factor_hash, by.token_id, by.Actor());
  if (!issued) return issued;
  if (auto committed = transaction.Commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return issued;
}

Result<std::vector<ShareInfo>> Access::ListShares(const Principal& by, std::string_view tenant,
                                                  std::string_view film_id) {
  if (film_id.empty()) return std::vector<ShareInfo>{};  // empty = any film in SearchShares
  return SearchShares(by, {.tenant = std::string(tenant),
                           .film_id = std::string(film_id),
                           .limit = static_cast<size_t>(std::numeric_limits<int64_t>::max())});
}

Result<std::vector<ShareInfo>> Access::SearchShares(const Principal& by,
                                                    const ShareFilter& filter) {
  if (!StaffMay(by, filter.tenant)) {
    return Fail(ErrorCode::kPermissionDenied, "this account may not see this hospital's shares");
  }
  if (!filter.study_uid.empty() && !ValidUid(filter.study_uid)) {
    return Fail(ErrorCode::kInvalidArgument, "'study' is not a UID");
  }
  std::string sql = std::string(kShareColumns) + " WHERE tenant = ?1";
  // UIDs hold digits and dots only: matching " uid " in the space-joined
  // list finds whole UIDs, never a prefix of a longer one.
  if (!filter.study_uid.empty())
    sql += " AND instr(' ' || study_uids || ' ', ' ' || ?2 || ' ') > 0";
  if (!filter.film_id.empty()) sql += " AND film_id = ?3";
  if (filter.state == "live") {
    sql += " AND revoked_ms IS NULL AND expires_ms > ?4";
  } else if (filter.state == "revoked") {
    sql += " AND revoked_ms IS NOT NULL";
  } else if (filter.state == "expired") {
    sql += " AND revoked_ms IS NULL AND expires_ms <= ?4";
  } else if (!filter.state.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "'state' must be live, revoked or expired");
  }
  sql += " ORDER BY created_ms DESC, id LIMIT ?5 OFFSET ?6";
  Impl& impl = *impl_;
  const int64_t now = ShareNow(impl);
  std::lock_guard lock(impl.mutex);
  auto stmt = impl.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, filter.tenant);
  if (!filter.study_uid.empty()) (*stmt)->Bind(2, filter.study_uid);
  if (!filter.film_id.empty()) (*stmt)->Bind(3, filter.film_id);
  if (filter.state == "live" || filter.state == "expired") (*stmt)->Bind(4, now);
  (*stmt)->Bind(5, static_cast<int64_t>(filter.limit)).Bind(6, static_cast<int64_t>(filter.offset));
  auto rows = Collect<ShareRow>(**stmt, ReadShare);
  if (!rows) return std::unexpected(rows.error());
  std::vector<ShareInfo> shares;
  for (auto& row : *rows) shares.push_back(std::move(row.info));
  return shares;
}

Result<std::vector<ShareInfo>> Access::ListDoctorShares(const Principal& by) {
  if (by.kind != Principal::Kind::kShare || !by.share_owner) {
    return Fail(ErrorCode::kPermissionDenied, "only the patient's own share lists doctor shares");
  }
  Impl& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  auto stmt =
      impl.Prepare(std::string(kShareColumns) + " WHERE parent = ? ORDER BY created_ms DESC, id");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, by.token_id);
  auto rows = Collect<ShareRow>(**stmt, ReadShare);
  if (!rows) return std::unexpected(rows.error());
  std::vector<ShareInfo> shares;
  for (auto& row : *rows) shares.push_back(std::move(row.info));
  return shares;
}

Result<void> Access::RevokeShare(const Principal& by, std::string_view share_id) {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    auto found = FindShare(impl, "id", share_id);
    if (!found) return std::unexpected(found.error());
    // Someone else's share is "unknown", not "forbidden": ids are not
    // secret, but which exist is none of their business.
    const bool allowed = *found && (by.kind == Principal::Kind::kShare
                                        ? by.share_owner && (*found)->info.parent == by.token_id
                                        : StaffMay(by, (*found)->info.tenant));
    if (!allowed) return Fail(ErrorCode::kNotFound, "unknown share");
    Transaction transaction(impl.db);
    if (auto begun = transaction.Begin(); !begun) return std::unexpected(begun.error());
    if (auto done = RevokeWhere(impl, "id = ?2 OR parent = ?3", share_id, share_id); !done) {
      return done;
    }
    if (auto committed = transaction.Commit(); !committed) return committed;
  }
  impl.Audit(audit::Action::kTokenRevoke, audit::Outcome::kSuccess, by,
             "share " + std::string(share_id) + " revoked");
  return {};
}

Result<std::vector<std::string>> Access::ExtendPatientShare(
    std::string_view share_id, const std::vector<std::string>& study_uids) {
  Impl& impl = *impl_;
  if (!std::ranges::all_of(study_uids, ValidUid)) {
    return Fail(ErrorCode::kInvalidArgument, "a study UID is not a UID");
  }
  std::lock_guard lock(impl.mutex);
  auto found = FindShare(impl, "id", share_id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return Fail(ErrorCode::kNotFound, "unknown share");
  const ShareInfo& info = (*found)->info;
  if (info.scope != ShareScope::kPatient) {
    return Fail(ErrorCode::kInvalidArgument, "only a patient-scope share covers later exams");
  }
  std::vector<std::string> all = info.study_uids;
  all.insert(all.end(), study_uids.begin(), study_uids.end());
  std::ranges::sort(all);
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (all == info.study_uids) return all;
  auto update = impl.Prepare("UPDATE shares SET study_uids = ?1 WHERE id = ?2");
  if (!update) return std::unexpected(update.error());
  (*update)->Bind(1, JoinUids(all)).Bind(2, share_id);
  if (auto done = (*update)->Run(); !done) return std::unexpected(done.error());
  return all;
}

namespace {

// The share a presented token names (nullopt: none). A token is 22
// base64url characters; anything else is not looked up.
// REQUIRES: mutex held.
Result<std::optional<ShareRow>> ShareByToken(auto& impl, std::string_view token) {
  if (token.size() != 22 || !crypto::Base64UrlDecode(token)) return std::optional<ShareRow>();
  auto found = FindShare(impl, "token_hash", HashHex(token));
  if (!found) return std::unexpected(found.error());
  if (*found && !SameHash((*found)->token_hash, token)) return std::optional<ShareRow>();
  return found;
}

// The share `share_id` of `tenant` (a kiosk's lookups by id): another
// hospital's is as unknown as a wrong token. REQUIRES: mutex held.
Result<std::optional<ShareRow>> ShareOfTenantById(auto& impl, std::string_view share_id,
                                                  std::string_view tenant) {
  auto found = FindShare(impl, "id", share_id);
  if (found && *found && (*found)->info.tenant != tenant) return std::optional<ShareRow>();
  return found;
}

// Why `row` cannot be opened now (gone, not yet, locked), or nullopt.
std::optional<Error> Unavailable(const auto& impl, const std::optional<ShareRow>& row,
                                 int64_t now) {
  if (!row) return Error{ErrorCode::kUnauthenticated, "unknown share link", "share-unknown"};
  if (auto dead = NotLive(row->info, now)) return dead;
  // Attempts still being checked count as failures until they succeed, so
  // a burst cannot exceed the limit while its answers are hashed.
  const int64_t lock_end = row->info.failed_attempts >= impl.options.share_max_failures
                               ? now + Ms(impl.options.share_lockout)
                               : row->info.locked_until_ms;
  if (lock_end > now) {
    const int64_t wait_s = (lock_end - now + 999) / 1000;
    return RetryLater("this share is locked after too many wrong answers", wait_s, "share-locked");
  }
  return std::nullopt;
}

void NotifyOrLog(const ShareNotifier& notifier, const ShareNotice& notice) {
  if (!notifier) return;
  if (auto sent = notifier(notice); !sent) {
    log::Warn("share.notice_failed", {{"share", notice.share_id},
                                      {"kind", ShareNoticeKindName(notice.kind)},
                                      {"error", sent.error().message}});
  }
}

}  // namespace

namespace {

// OpenShare and OpenShareById: the share `find(impl)` names, opened with
// its factor.
Result<ShareSession> OpenFoundShare(auto& impl, const auto& find, std::string_view factor_value,
                                    const ClientInfo& client, std::string_view only_tenant) {
  const Principal anonymous;
  if (const auto wait = impl.login_limiter->Attempt(std::string(client.address));
      wait.count() > 0) {
    impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, anonymous,
               "share: too many attempts from this address", &client);
    return std::unexpected(RetryLater("too many attempts from this address", wait.count()));
  }
  const int64_t now = ShareNow(impl);
  Result<ShareRow> live = Fail(ErrorCode::kInternal, "not looked up");
  Principal who = anonymous;  // the share, once known: its attempts are audited under it
  {
    std::lock_guard lock(impl.mutex);
    auto found = find(impl);
    if (!found) return std::unexpected(found.error());
    if (*found) who = SharePrincipal((*found)->info);
    if (*found && !only_tenant.empty() && (*found)->info.tenant != only_tenant) {
      // A kiosk of another hospital: refused before the factor, no attempt
      // counted (the slip is real; it is only in the wrong building).
      live = Fail(ErrorCode::kPermissionDenied,
                  "this slip is from another hospital; print it there or open it on a phone",
                  "other-hospital");
    } else if (auto refused = Unavailable(impl, *found, now)) {
      live = std::unexpected(std::move(*refused));
    } else {
      live = std::move(**found);
    }
    if (live && live->info.factor != ShareFactor::kNone) {
      // Counted before the answer is checked (see the file comment).
      auto count =
          impl.Prepare("UPDATE shares SET failed_attempts = failed_attempts + 1 WHERE id = ?");
      if (!count) return std::unexpected(count.error());
      (*count)->Bind(1, live->info.id);
      if (auto done = (*count)->Run(); !done) return std::unexpected(done.error());
      ++live->info.failed_attempts;
    }
  }
  if (!live) {
    if (live.error().message == "unknown share link") {
      (void)impl.credential_failures->Attempt(std::string(client.address));
    }
    impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, who,
               "share: " + live.error().message, &client);
    return std::unexpected(live.error());
  }
  ShareRow& share = *live;
  const std::string factor_name(ShareFactorName(share.info.factor));

  bool right = false;
  bool code_used = false;
  switch (share.info.factor) {
    case ShareFactor::kNone:
      right = true;
      break;
    case ShareFactor::kOneTimeCode:
      if (const auto code = NormalizeFactor(ShareFactor::kOneTimeCode, factor_value);
          code && !share.code_hash.empty() && share.code_expires_ms > now) {
        right = crypto::VerifyPassword(share.code_hash, *code);
        code_used = right;
      }
      break;
    default:
      if (const auto value = NormalizeFactor(share.info.factor, factor_value)) {
        right = crypto::VerifyPassword(share.factor_hash, *value);
      }
      break;
  }

  std::lock_guard lock(impl.mutex);
  if (!right) {
    const int64_t left =
        std::max<int64_t>(0, impl.options.share_max_failures - share.info.failed_attempts);
    if (left == 0) {
      auto lock_it =
          impl.Prepare("UPDATE shares SET locked_until_ms = ?, failed_attempts = 0 WHERE id = ?");
      if (!lock_it) return std::unexpected(lock_it.error());
      (*lock_it)->Bind(1, now + Ms(impl.options.share_lockout)).Bind(2, share.info.id);
      if (auto done = (*lock_it)->Run(); !done) return std::unexpected(done.error());
      impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, who,
                 "share: wrong " + factor_name + ", share locked", &client);
      return std::unexpected(RetryLater("wrong " + factor_name + "; this share is now locked",
                                        impl.options.share_lockout.count(), "share-locked"));
    }
    impl.Audit(audit::Action::kLoginFailed, audit::Outcome::kDenied, who,
               "share: wrong " + factor_name + ", " + std::to_string(left) + " attempts left",
               &client);
    Error wrong{ErrorCode::kUnauthenticated,
                "wrong " + factor_name + "; " + std::to_string(left) + " attempts left",
                "wrong-factor"};
    wrong.attempts_left = left;
    return std::unexpected(std::move(wrong));
  }

  auto opened = impl.Prepare(
      "UPDATE shares SET failed_attempts = 0, last_used_ms = ?1, first_opened_ms = "
      "COALESCE(first_opened_ms, ?1), code_hash = CASE WHEN ?2 THEN '' ELSE code_hash END "
      "WHERE id = ?3");
  if (!opened) return std::unexpected(opened.error());
  (*opened)->Bind(1, now).Bind(2, int64_t{code_used ? 1 : 0}).Bind(3, share.info.id);
  if (auto done = (*opened)->Run(); !done) return std::unexpected(done.error());

  const crypto::IssuedToken session_token = crypto::IssueToken(kShareSessionPrefix);
  const crypto::IssuedToken csrf_token = crypto::IssueToken(kShareCsrfPrefix);
  ShareSession session;
  session.token = session_token.text;
  session.csrf = csrf_token.text;
  session.expires_ms = std::min(now + Ms(impl.options.share_session_max), share.info.expires_ms);
  auto insert = impl.Prepare(
      "INSERT INTO share_sessions (id, share_id, secret_hash, csrf_hash, created_ms, expires_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!insert) return std::unexpected(insert.error());
  (*insert)
      ->Bind(1, session_token.id)
      .Bind(2, share.info.id)
      .Bind(3, crypto::ToHex(session_token.secret_hash))
      .Bind(4, HashHex(csrf_token.text))
      .Bind(5, now)
      .Bind(6, session.expires_ms);
  if (auto done = (*insert)->Run(); !done) return std::unexpected(done.error());
  share.info.failed_attempts = 0;
  share.info.last_used_ms = now;
  const bool first_opening = !share.info.first_opened_ms;
  if (first_opening) share.info.first_opened_ms = now;
  session.share = share.info;

  std::optional<ShareNotice> notice;
  if (!share.info.parent.empty()) {
    // Opened by someone other than the patient: the patient hears of it.
    auto parent = FindShare(impl, "id", share.info.parent);
    if (parent && *parent) {
      notice = ShareNotice{ShareNotice::Kind::kOpenedByOther,
                           share.info.tenant,
                           share.info.id,
                           share.info.film_id,
                           (*parent)->recipient,
                           "your film was opened through the doctor share " + share.info.id,
                           now};
    }
  }
  impl.Audit(audit::Action::kLogin, audit::Outcome::kSuccess, who,
             "share opened (" + factor_name + ")", &client);
  if (notice && !notice->recipient.empty()) NotifyOrLog(impl.options.share_notifier, *notice);
  if (first_opening && share.info.parent.empty()) {
    NotifyOrLog(impl.options.share_notifier,
                ShareNotice{ShareNotice::Kind::kFirstOpened, share.info.tenant, share.info.id,
                            share.info.film_id, share.recipient, "", now});
  }
  return session;
}

}  // namespace

Result<ShareSession> Access::OpenShare(std::string_view token, std::string_view factor_value,
                                       const ClientInfo& client, std::string_view only_tenant) {
  return OpenFoundShare(
      *impl_, [&](auto& impl) { return ShareByToken(impl, token); }, factor_value, client,
      only_tenant);
}

Result<ShareSession> Access::OpenShareById(std::string_view share_id, std::string_view factor_value,
                                           const ClientInfo& client, std::string_view tenant) {
  if (tenant.empty()) return Fail(ErrorCode::kInternal, "OpenShareById without a hospital");
  return OpenFoundShare(
      *impl_, [&](auto& impl) { return ShareOfTenantById(impl, share_id, tenant); }, factor_value,
      client, tenant);
}

Result<void> Access::EndShareSession(std::string_view session_token) {
  Impl& impl = *impl_;
  const auto parsed = crypto::ParseToken(session_token);
  if (!parsed || parsed->prefix != kShareSessionPrefix) {
    return Fail(ErrorCode::kUnauthenticated, "not a share session");
  }
  Principal who;
  {
    std::lock_guard lock(impl.mutex);
    auto principal = impl.FromShareSession(*parsed, Credentials{});
    if (!principal) return std::unexpected(principal.error());
    who = std::move(*principal);
    auto stmt =
        impl.Prepare("UPDATE share_sessions SET ended_ms = ? WHERE id = ? AND ended_ms IS NULL");
    if (!stmt) return std::unexpected(stmt.error());
    (*stmt)->Bind(1, ShareNow(impl)).Bind(2, parsed->id);
    if (auto ran = (*stmt)->Run(); !ran) return ran;
  }
  impl.Audit(audit::Action::kLogout, audit::Outcome::kSuccess, who, "share session ended");
  return {};
}

Result<bool> Access::ShareTokenMatches(std::string_view share_id, std::string_view token) {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  auto found = ShareByToken(impl, token);
  if (!found) return std::unexpected(found.error());
  return *found && (*found)->info.id == share_id;
}

Result<ShareStatus> Access::ShareStatusOf(std::string_view token, const ClientInfo& client) {
  Impl& impl = *impl_;
  const std::string source(client.address);
  if (const auto wait = impl.credential_failures->Peek(source); wait.count() > 0) {
    return std::unexpected(
        RetryLater("too many refused credentials from this address", wait.count()));
  }
  const int64_t now = ShareNow(impl);
  std::lock_guard lock(impl.mutex);
  auto found = ShareByToken(impl, token);
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    (void)impl.credential_failures->Attempt(source);
    return Fail(ErrorCode::kUnauthenticated, "unknown share link", "share-unknown");
  }
  const ShareInfo& info = (*found)->info;
  ShareStatus status;
  status.factor = info.factor;
  status.expires_ms = info.expires_ms;
  status.doctor = !info.parent.empty();
  status.attempts_left =
      std::max<int64_t>(0, impl.options.share_max_failures - info.failed_attempts);
  if (info.revoked_ms) {
    status.state = ShareState::kRevoked;
  } else if (now < info.not_before_ms) {
    status.state = ShareState::kNotYet;
  } else if (now >= info.expires_ms) {
    status.state = ShareState::kExpired;
  } else if (auto refused = Unavailable(impl, *found, now);
             refused && refused->code == ErrorCode::kRateLimited) {
    status.state = ShareState::kLocked;
    const int64_t lock_end = info.failed_attempts >= impl.options.share_max_failures
                                 ? now + Ms(impl.options.share_lockout)
                                 : info.locked_until_ms;
    status.retry_after_s = (lock_end - now + 999) / 1000;
    status.attempts_left = 0;
  }
  return status;
}

namespace {

Result<void> SendCodeOfFoundShare(auto& impl, const auto& find, const ClientInfo& client) {
  if (const auto wait = impl.login_limiter->Attempt(std::string(client.address));
      wait.count() > 0) {
    return std::unexpected(RetryLater("too many attempts from this address", wait.count()));
  }
  if (!impl.options.share_notifier) {
    return Fail(ErrorCode::kUnsupported, "no notifier is configured to send one-time codes");
  }
  std::string code = SixDigitCode();
  auto code_hash = crypto::HashPassword(code, impl.password_cost);
  if (!code_hash) return std::unexpected(code_hash.error());
  const int64_t now = ShareNow(impl);
  ShareNotice notice;
  {
    std::lock_guard lock(impl.mutex);
    auto live = find(impl);
    if (!live) return std::unexpected(live.error());
    if (auto refused = Unavailable(impl, *live, now)) {
      if (!*live) (void)impl.credential_failures->Attempt(std::string(client.address));
      return std::unexpected(std::move(*refused));
    }
    if ((*live)->info.factor != ShareFactor::kOneTimeCode) {
      return Fail(ErrorCode::kInvalidArgument, "this share does not use one-time codes");
    }
    auto store = impl.Prepare("UPDATE shares SET code_hash = ?, code_expires_ms = ? WHERE id = ?");
    if (!store) return std::unexpected(store.error());
    (*store)
        ->Bind(1, *code_hash)
        .Bind(2, now + Ms(impl.options.share_code_ttl))
        .Bind(3, (*live)->info.id);
    if (auto done = (*store)->Run(); !done) return std::unexpected(done.error());
    notice = ShareNotice{ShareNotice::Kind::kOneTimeCode,
                         (*live)->info.tenant,
                         (*live)->info.id,
                         (*live)->info.film_id,
                         (*live)->recipient,
                         code,
                         now};
    impl.Audit(audit::Action::kShare, audit::Outcome::kSuccess, SharePrincipal((*live)->info),
               "share: one-time code sent", &client);
  }
  auto sent = impl.options.share_notifier(notice);
  std::ranges::fill(code, '\0');
  std::ranges::fill(notice.text, '\0');
  if (!sent) {
    log::Warn("share.code_not_sent", {{"share", notice.share_id}, {"error", sent.error().message}});
    return Fail(ErrorCode::kStorageUnavailable, "the one-time code could not be sent; try again");
  }
  return {};
}

}  // namespace

Result<void> Access::SendShareCode(std::string_view token, const ClientInfo& client) {
  return SendCodeOfFoundShare(
      *impl_, [&](auto& impl) { return ShareByToken(impl, token); }, client);
}

Result<void> Access::SendShareCodeById(std::string_view share_id, const ClientInfo& client,
                                       std::string_view tenant) {
  if (tenant.empty()) return Fail(ErrorCode::kInternal, "SendShareCodeById without a hospital");
  return SendCodeOfFoundShare(
      *impl_, [&](auto& impl) { return ShareOfTenantById(impl, share_id, tenant); }, client);
}

void Access::NoticeFilmOpened(std::string_view tenant, std::string_view film_id,
                              const Principal& by) {
  Impl& impl = *impl_;
  if (!impl.options.share_notifier || by.kind == Principal::Kind::kShare) return;
  constexpr int64_t kOncePerMs = 3'600'000;
  std::optional<ShareNotice> notice;
  {
    std::lock_guard lock(impl.mutex);
    const int64_t now = ShareNow(impl);
    const std::string key = std::string(tenant) + "|" + std::string(film_id) + "|" + by.Actor();
    if (auto it = impl.film_notices.find(key);
        it != impl.film_notices.end() && now - it->second < kOncePerMs) {
      return;
    }
    auto stmt = impl.Prepare(std::string(kShareColumns) +
                             " WHERE tenant = ? AND film_id = ? AND parent IS NULL AND "
                             "revoked_ms IS NULL AND expires_ms > ? AND recipient != '' "
                             "ORDER BY created_ms DESC LIMIT 1");
    if (!stmt) return;
    (*stmt)->Bind(1, tenant).Bind(2, film_id).Bind(3, now);
    auto row = First<ShareRow>(**stmt, ReadShare);
    if (!row || !*row) return;
    impl.film_notices[key] = now;
    notice = ShareNotice{
        ShareNotice::Kind::kOpenedByOther,
        std::string(tenant),
        (*row)->info.id,
        std::string(film_id),
        (*row)->recipient,
        "your film was opened by " + by.Actor() + " (" + std::string(by.RoleText()) + ")",
        now};
  }
  NotifyOrLog(impl.options.share_notifier, *notice);
}

Result<Principal> Access::Impl::FromShareSession(const crypto::ParsedToken& token,
                                                 const Credentials& credentials) {
  auto stmt = Prepare(
      "SELECT ss.share_id, ss.secret_hash, ss.csrf_hash, ss.expires_ms, ss.ended_ms IS NOT NULL "
      "FROM share_sessions ss WHERE ss.id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, token.id);
  struct Row {
    std::string share_id, secret_hash, csrf_hash;
    int64_t expires;
    bool ended;
  };
  auto row = First<Row>(**stmt, [](const Statement& s) {
    return Row{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4) != 0};
  });
  if (!row) return std::unexpected(row.error());
  if (!*row || !SameHash((*row)->secret_hash, token.secret)) {
    return Fail(ErrorCode::kUnauthenticated, "unknown share session");
  }
  const int64_t now = ShareNow(*this);
  if ((*row)->ended || now >= (*row)->expires) {
    return Fail(ErrorCode::kUnauthenticated, "share session ended; open the share again");
  }
  // Checked on every request: a revoked or expired share ends its
  // sessions at once.
  auto share = FindShare(*this, "id", (*row)->share_id);
  if (!share) return std::unexpected(share.error());
  if (!*share) return Fail(ErrorCode::kUnauthenticated, "unknown share session");
  if (auto dead = NotLive((*share)->info, now)) return std::unexpected(*dead);
  if (credentials.state_changing) {
    const auto csrf = crypto::ParseToken(credentials.csrf_token);
    if (!csrf || csrf->prefix != kShareCsrfPrefix ||
        !SameHash((*row)->csrf_hash, credentials.csrf_token)) {
      return Fail(ErrorCode::kPermissionDenied, "missing or wrong X-CSRF-Token header");
    }
  }
  if (now - (*share)->info.last_used_ms.value_or(0) >= kTouchIntervalMs) {
    if (auto touch = Prepare("UPDATE shares SET last_used_ms = ? WHERE id = ?")) {
      (*touch)->Bind(1, now).Bind(2, (*share)->info.id);
      (void)(*touch)->Run();
    }
  }
  return SharePrincipal((*share)->info);
}

}  // namespace cf::access
