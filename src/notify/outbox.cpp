// SPDX-License-Identifier: Apache-2.0
#include "notify/outbox.hpp"

#include <algorithm>
#include <mutex>
#include <random>

#include "catalog/sqlite_db.hpp"
#include "core/tenant.hpp"
#include "core/time_text.hpp"
#include "crypto/random.hpp"

namespace cf::notify {
namespace {

using catalog::sqlite::Collect;
using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

// Never edit a migration that has shipped: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE notifications (
  pk                  INTEGER PRIMARY KEY,
  public_id           TEXT NOT NULL UNIQUE,
  tenant              TEXT NOT NULL,
  idempotency_key     TEXT NOT NULL,
  kind                TEXT NOT NULL,
  provider            TEXT NOT NULL,
  recipient           TEXT NOT NULL,
  subject             TEXT NOT NULL,
  body                TEXT NOT NULL,
  film_id             TEXT NOT NULL DEFAULT '',
  created_ms          INTEGER NOT NULL,
  status              TEXT NOT NULL,
  attempts            INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms     INTEGER NOT NULL,
  last_error          TEXT NOT NULL DEFAULT '',
  delivered_ms        INTEGER NOT NULL DEFAULT 0,
  provider_message_id TEXT NOT NULL DEFAULT '',
  UNIQUE (tenant, idempotency_key)
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_ms);
CREATE INDEX notifications_film ON notifications (film_id);
-- The first opening of a film by its patient: kept apart from the notices,
-- so that it holds whether the notice about the film came before or after.
CREATE TABLE film_openings (
  film_id   TEXT PRIMARY KEY,
  opened_ms INTEGER NOT NULL
);
)sql",
};

constexpr const char* kColumns =
    "SELECT n.public_id, n.idempotency_key, n.tenant, n.kind, n.provider, n.recipient, n.subject, "
    "n.body, n.film_id, n.created_ms, n.status, n.attempts, n.next_attempt_ms, n.last_error, "
    "n.delivered_ms, n.provider_message_id, COALESCE(o.opened_ms, 0) "
    "FROM notifications n LEFT JOIN film_openings o ON n.film_id != '' AND o.film_id = n.film_id ";

Notification ReadRow(const Statement& s) {
  Notification n;
  n.id = s.Text(0);
  n.idempotency_key = s.Text(1);
  n.tenant = s.Text(2);
  n.kind = s.Text(3);
  n.provider = s.Text(4);
  n.recipient = s.Text(5);
  n.subject = s.Text(6);
  n.body = s.Text(7);
  n.film_id = s.Text(8);
  n.created_ms = s.Int(9);
  n.status = ParseStatus(s.Text(10)).value_or(Status::kQueued);
  n.attempts = static_cast<int>(s.Int(11));
  n.next_attempt_ms = s.Int(12);
  n.last_error = s.Text(13);
  n.delivered_ms = s.Int(14);
  n.provider_message_id = s.Text(15);
  n.received_ms = s.Int(16);
  return n;
}

bool HasControl(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Result<void> Check(const Notification& n) {
  if (!IsValidTenantCode(n.tenant)) return Fail(ErrorCode::kInvalidArgument, "invalid tenant");
  if (n.kind.empty() || n.kind.size() > 64 || HasControl(n.kind)) {
    return Fail(ErrorCode::kInvalidArgument, "kind must be 1 to 64 printable characters");
  }
  if (n.recipient.empty() || n.recipient.size() > kMaxRecipientBytes || HasControl(n.recipient)) {
    return Fail(ErrorCode::kInvalidArgument,
                "recipient must be 1 to 320 bytes without control characters");
  }
  if (n.subject.size() > kMaxSubjectBytes || HasControl(n.subject)) {
    return Fail(ErrorCode::kInvalidArgument,
                "subject must be at most 400 bytes without control characters");
  }
  if (n.body.size() > kMaxBodyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "body must be at most 16384 bytes");
  }
  if (n.idempotency_key.size() > kMaxIdempotencyKeyBytes || HasControl(n.idempotency_key)) {
    return Fail(ErrorCode::kInvalidArgument,
                "idempotency key must be at most 200 printable characters");
  }
  if (n.provider.size() > 64 || n.film_id.size() > 128) {
    return Fail(ErrorCode::kInvalidArgument, "provider or film id too long");
  }
  return {};
}

}  // namespace

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kQueued:
      return "queued";
    case Status::kSending:
      return "sending";
    case Status::kDelivered:
      return "delivered";
    case Status::kFailed:
      return "failed";
  }
  return "";
}

std::optional<Status> ParseStatus(std::string_view name) {
  for (const Status s : {Status::kQueued, Status::kSending, Status::kDelivered, Status::kFailed}) {
    if (StatusName(s) == name) return s;
  }
  return std::nullopt;
}

std::string MaskRecipient(std::string_view r) {
  // Byte offsets below may only cut ASCII: never half a character.
  const auto ascii = [](std::string_view text) {
    return std::ranges::all_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  };
  if (const auto at = r.find('@'); at != std::string_view::npos) {
    const std::string_view domain = r.substr(at);
    return (at > 0 && ascii(r.substr(0, 1)) ? std::string(r.substr(0, 1)) : std::string()) + "***" +
           (ascii(domain) ? std::string(domain) : std::string("@***"));
  }
  if (r.size() < 8 || !ascii(r)) return "***";
  return std::string(r.substr(0, r.size() - 8)) + "****" + std::string(r.substr(r.size() - 4));
}

struct Outbox::Impl {
  std::mutex mutex;
  Connection db;
  OutboxOptions options;
  std::mt19937_64 random{std::random_device{}()};
  std::function<void()> wake;

  Result<std::optional<Notification>> FindLocked(std::string_view where, std::string_view value) {
    auto s = db.Prepare(std::string(kColumns) + std::string(where));
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, value);
    return First<Notification>(**s, ReadRow);
  }

  Result<Notification> ByIdLocked(std::string_view id) {
    auto found = FindLocked("WHERE n.public_id = ?1", id);
    if (!found) return std::unexpected(found.error());
    if (!*found) return Fail(ErrorCode::kNotFound, "unknown notification");
    return std::move(**found);
  }

  // Moves `id` from queued to sending; false when it was not queued.
  Result<bool> ClaimLocked(std::string_view id) {
    auto s = db.Prepare(
        "UPDATE notifications SET status = 'sending', attempts = attempts + 1 "
        "WHERE public_id = ?1 AND status = 'queued'");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, id);
    if (auto r = (*s)->Run(); !r) return std::unexpected(r.error());
    return sqlite3_changes(db.get()) == 1;
  }
};

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::Open(OutboxOptions options) {
  auto db = catalog::sqlite::OpenDurable(options.path.string(), options.vfs, kMigrations, "outbox");
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  impl->options = std::move(options);
  return std::unique_ptr<Outbox>(new Outbox(std::move(impl)));
}

const RetryPolicy& Outbox::retry() const { return impl_->options.retry; }

void Outbox::OnEnqueued(std::function<void()> wake) {
  std::lock_guard lock(impl_->mutex);
  impl_->wake = std::move(wake);
}

Result<Outbox::Enqueued> Outbox::Enqueue(Notification n) {
  if (auto r = Check(n); !r) return std::unexpected(r.error());
  const auto& known = impl_->options.known_providers;
  if (!n.provider.empty() && !known.empty() && !known.contains(n.provider)) {
    return Fail(ErrorCode::kInvalidArgument, "provider \"" + n.provider + "\" is not configured");
  }
  if (n.idempotency_key.empty()) n.idempotency_key = crypto::RandomHex(16);
  if (n.created_ms == 0) n.created_ms = UnixNowMs();
  n.id = crypto::RandomHex(12);
  if (n.provider.empty()) {
    const auto& routes = impl_->options.tenant_providers;
    const auto it = routes.find(n.tenant);
    n.provider = it != routes.end() ? it->second : impl_->options.default_provider;
  }
  std::function<void()> wake;
  Enqueued out;
  {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.Prepare(
        "INSERT INTO notifications (public_id, tenant, idempotency_key, kind, provider, recipient, "
        "subject, body, film_id, created_ms, status, next_attempt_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?10) "
        "ON CONFLICT (tenant, idempotency_key) DO NOTHING");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, n.id).Bind(2, n.tenant).Bind(3, n.idempotency_key).Bind(4, n.kind);
    (*s)->Bind(5, n.provider).Bind(6, n.recipient).Bind(7, n.subject).Bind(8, n.body);
    (*s)->Bind(9, n.film_id).Bind(10, n.created_ms);
    if (auto r = (*s)->Run(); !r) return std::unexpected(r.error());
    out.created = sqlite3_changes(impl_->db.get()) == 1;
    auto q =
        impl_->db.Prepare(std::string(kColumns) + "WHERE n.tenant = ?1 AND n.idempotency_key = ?2");
    if (!q) return std::unexpected(q.error());
    (*q)->Bind(1, n.tenant).Bind(2, n.idempotency_key);
    auto stored = First<Notification>(**q, ReadRow);
    if (!stored) return std::unexpected(stored.error());
    if (!*stored) return Fail(ErrorCode::kInternal, "enqueued notification not found");
    out.notification = std::move(**stored);
    if (out.created) wake = impl_->wake;
  }
  if (wake) wake();
  return out;
}

Result<std::optional<Notification>> Outbox::ClaimDue(int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  // Another process (the CLI) may claim the same row between the SELECT
  // and the UPDATE; the UPDATE only takes a row still queued, so try the
  // next one then.
  for (int tries = 0; tries < 8; ++tries) {
    auto s = impl_->db.Prepare(
        "SELECT public_id FROM notifications WHERE status = 'queued' AND next_attempt_ms <= ?1 "
        "ORDER BY next_attempt_ms, pk LIMIT 1");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, now_ms);
    auto id = First<std::string>(**s, [](const Statement& st) { return st.Text(0); });
    if (!id) return std::unexpected(id.error());
    if (!*id) return std::optional<Notification>();
    auto claimed = impl_->ClaimLocked(**id);
    if (!claimed) return std::unexpected(claimed.error());
    if (*claimed) {
      auto n = impl_->ByIdLocked(**id);
      if (!n) return std::unexpected(n.error());
      return std::optional<Notification>(std::move(*n));
    }
  }
  return std::optional<Notification>();
}

Result<std::optional<Notification>> Outbox::Claim(std::string_view id) {
  std::lock_guard lock(impl_->mutex);
  auto claimed = impl_->ClaimLocked(id);
  if (!claimed) return std::unexpected(claimed.error());
  if (!*claimed) return std::optional<Notification>();
  auto n = impl_->ByIdLocked(id);
  if (!n) return std::unexpected(n.error());
  return std::optional<Notification>(std::move(*n));
}

Result<Notification> Outbox::RecordAttempt(std::string_view id, const SendResult& result,
                                           int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  auto current = impl_->ByIdLocked(id);
  if (!current) return std::unexpected(current.error());
  if (current->status != Status::kSending) {
    return Fail(ErrorCode::kConflict, "notification is not being sent");
  }
  Status status = Status::kDelivered;
  int64_t next_ms = current->next_attempt_ms;
  if (result.outcome == SendOutcome::kPermanent) {
    status = Status::kFailed;
  } else if (result.outcome == SendOutcome::kRetry) {
    const double r = std::uniform_real_distribution<double>(0.0, 1.0)(impl_->random);
    next_ms = now_ms + BackoffDelay(impl_->options.retry, current->attempts, r).count();
    status = GiveUp(impl_->options.retry, current->attempts, current->created_ms, next_ms)
                 ? Status::kFailed
                 : Status::kQueued;
  }
  const bool delivered = status == Status::kDelivered;
  auto s = impl_->db.Prepare(
      "UPDATE notifications SET status = ?2, next_attempt_ms = ?3, last_error = ?4, "
      "delivered_ms = ?5, provider_message_id = ?6 WHERE public_id = ?1 AND status = 'sending'");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, id).Bind(2, StatusName(status)).Bind(3, next_ms);
  (*s)->Bind(4, delivered ? std::string() : result.error.substr(0, 300));
  (*s)->Bind(5, delivered ? now_ms : int64_t{0}).Bind(6, result.message_id.substr(0, 200));
  if (auto r = (*s)->Run(); !r) return std::unexpected(r.error());
  return impl_->ByIdLocked(id);
}

Result<int> Outbox::RequeueInterrupted() {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "UPDATE notifications SET status = 'queued', last_error = 'interrupted by a restart' "
      "WHERE status = 'sending'");
  if (!s) return std::unexpected(s.error());
  if (auto r = (*s)->Run(); !r) return std::unexpected(r.error());
  return sqlite3_changes(impl_->db.get());
}

Result<bool> Outbox::RecordFirstOpening(std::string_view film_id, int64_t at_ms) {
  if (film_id.empty()) return Fail(ErrorCode::kInvalidArgument, "film id is required");
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "INSERT INTO film_openings (film_id, opened_ms) VALUES (?1, ?2) "
      "ON CONFLICT (film_id) DO NOTHING");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, film_id).Bind(2, at_ms);
  if (auto r = (*s)->Run(); !r) return std::unexpected(r.error());
  return sqlite3_changes(impl_->db.get()) == 1;
}

Result<std::vector<Notification>> Outbox::List(const catalog::Scope& scope,
                                               std::optional<Status> status, int limit) {
  if (limit < 1 || limit > 1000) {
    return Fail(ErrorCode::kInvalidArgument, "limit must be from 1 to 1000");
  }
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(std::string(kColumns) +
                             "WHERE (?1 = 1 OR n.tenant = ?2) AND (?3 = '' OR n.status = ?3) "
                             "ORDER BY n.pk DESC LIMIT ?4");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, int64_t{scope.all() ? 1 : 0}).Bind(2, scope.tenant());
  (*s)->Bind(3, status ? StatusName(*status) : std::string_view("")).Bind(4, int64_t{limit});
  return Collect<Notification>(**s, ReadRow);
}

Result<Notification> Outbox::Get(const catalog::Scope& scope, std::string_view id) {
  std::lock_guard lock(impl_->mutex);
  auto n = impl_->ByIdLocked(id);
  if (n && !scope.Includes(n->tenant)) return Fail(ErrorCode::kNotFound, "unknown notification");
  return n;
}

Result<std::optional<int64_t>> Outbox::NextDue() {
  std::lock_guard lock(impl_->mutex);
  auto s =
      impl_->db.Prepare("SELECT MIN(next_attempt_ms) FROM notifications WHERE status = 'queued'");
  if (!s) return std::unexpected(s.error());
  auto next =
      First<std::optional<int64_t>>(**s, [](const Statement& st) { return st.OptInt64(0); });
  if (!next) return std::unexpected(next.error());
  if (!*next) return std::optional<int64_t>();
  return **next;
}

}  // namespace cf::notify
