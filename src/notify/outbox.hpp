// SPDX-License-Identifier: Apache-2.0
// The durable notification outbox, DATA/outbox.sqlite (encrypted below
// SQLite like the other databases: recipients and texts are patient data).
// Enqueue commits before it returns, and a message leaves the queue only
// once its provider's answer is recorded: delivery is at least once. A
// message that was being sent when the process died is sent again after
// the restart (RequeueInterrupted), which the idempotency key lets a
// receiver recognise.
// Thread-safe; every call blocks on SQLite. Several processes may open it
// (the server's worker and `cloudfilm notify send`): claims are atomic.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/scope.hpp"
#include "core/error.hpp"
#include "notify/notification.hpp"
#include "notify/provider.hpp"
#include "notify/retry_policy.hpp"

namespace cf::notify {

struct OutboxOptions {
  std::filesystem::path path{};
  std::string vfs{};  // encrypting SQLite VFS (catalog/encrypted_vfs.hpp); empty = plaintext
  RetryPolicy retry{};
  // The provider a message without one is given at Enqueue: its tenant's,
  // else the default.
  std::string default_provider = "file";
  std::map<std::string, std::string, std::less<>> tenant_providers{};
  // The providers a caller may name (the configured ones); empty = any.
  std::set<std::string, std::less<>> known_providers{};
};

// Limits that keep one message a message (and a header a header).
inline constexpr size_t kMaxRecipientBytes = 320;
inline constexpr size_t kMaxSubjectBytes = 400;
inline constexpr size_t kMaxBodyBytes = 16 * 1024;
inline constexpr size_t kMaxIdempotencyKeyBytes = 200;

class Outbox {
 public:
  static Result<std::unique_ptr<Outbox>> Open(OutboxOptions options);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  struct Enqueued {
    Notification notification;
    bool created = false;  // false: the idempotency key named a stored message
  };
  // Stores `n` as queued and due now, committed before it returns. Sets
  // id, created_ms (now, unless set), the provider (see OutboxOptions) and
  // a random idempotency key when it has none. The same (tenant, idempotency_key) again returns the
  // stored message unchanged. kInvalidArgument for a missing tenant, kind or recipient, control
  // characters in the recipient or subject (they would become mail headers), or texts over the
  // limits above.
  Result<Enqueued> Enqueue(Notification n);

  // Called (on the enqueuing thread, after the commit) for every new
  // message, to wake the delivery worker. Set before use.
  void OnEnqueued(std::function<void()> wake);

  // Takes the message due soonest (next_attempt_ms <= now_ms) out of the
  // queue: status sending, one more attempt. nullopt when none is due.
  Result<std::optional<Notification>> ClaimDue(int64_t now_ms);
  // The same for one message, when it is queued (due or not).
  Result<std::optional<Notification>> Claim(std::string_view id);

  // Records the answer of the provider to the attempt on a claimed
  // message: delivered; queued again after BackoffDelay; or failed when the
  // answer is permanent or the retry policy gives up. Returns the message
  // as stored. kConflict when the message is not being sent.
  Result<Notification> RecordAttempt(std::string_view id, const SendResult& result, int64_t now_ms);

  // Puts every "sending" message back in the queue, due now: the process
  // that claimed it died before it recorded the answer. Call once, before
  // the worker starts, in the one process that runs the worker. Returns
  // how many.
  Result<int> RequeueInterrupted();

  // The patient opened film `film_id` at `at_ms`: the notices about that
  // film count as received. Only the first opening is kept; returns
  // whether this was it.
  Result<bool> RecordFirstOpening(std::string_view film_id, int64_t at_ms);

  // The newest messages first, in `scope`, with `status` if set; at most
  // `limit` (1..1000).
  Result<std::vector<Notification>> List(const catalog::Scope& scope, std::optional<Status> status,
                                         int limit);
  // kNotFound outside `scope`.
  Result<Notification> Get(const catalog::Scope& scope, std::string_view id);

  // When the next queued message is due (Unix ms), nullopt when none is queued.
  Result<std::optional<int64_t>> NextDue();

  const RetryPolicy& retry() const;

 private:
  struct Impl;
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::notify
