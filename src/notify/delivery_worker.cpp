// SPDX-License-Identifier: Apache-2.0
#include "notify/delivery_worker.hpp"

#include <algorithm>
#include <exception>

#include "core/log.hpp"
#include "core/time_text.hpp"

namespace cf::notify {

void Providers::Add(std::string name, std::unique_ptr<Provider> provider) {
  providers_[std::move(name)] = std::move(provider);
}

Provider* Providers::Find(std::string_view name) const {
  const auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : it->second.get();
}

Result<Notification> Deliver(Outbox& outbox, const Providers& providers,
                             const Notification& claimed) {
  Provider* provider = providers.Find(claimed.provider);
  const SendResult result =
      provider != nullptr
          ? provider->Send(claimed)
          : SendResult{
                SendOutcome::kRetry, {}, "provider \"" + claimed.provider + "\" is not configured"};
  auto stored = outbox.RecordAttempt(claimed.id, result, UnixNowMs());
  if (!stored) return stored;
  // The id is random and the error names no recipient: both may be logged.
  if (stored->status == Status::kDelivered) {
    log::Info("notify.delivered", {{"id", stored->id},
                                   {"tenant", stored->tenant},
                                   {"kind", stored->kind},
                                   {"provider", stored->provider},
                                   {"attempts", stored->attempts}});
  } else {
    log::Warn(stored->status == Status::kFailed ? "notify.failed" : "notify.retry",
              {{"id", stored->id},
               {"tenant", stored->tenant},
               {"provider", stored->provider},
               {"attempts", stored->attempts},
               {"error", stored->last_error}});
  }
  return stored;
}

DeliveryWorker::DeliveryWorker(Outbox& outbox, const Providers& providers,
                               std::chrono::milliseconds poll)
    : outbox_(outbox), providers_(providers), poll_(poll) {}

DeliveryWorker::~DeliveryWorker() { Stop(); }

Result<void> DeliveryWorker::Start() {
  auto requeued = outbox_.RequeueInterrupted();
  if (!requeued) return std::unexpected(requeued.error());
  if (*requeued > 0) log::Warn("notify.requeued", {{"messages", *requeued}});
  thread_ = std::thread([this] { Run(); });
  return {};
}

void DeliveryWorker::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void DeliveryWorker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::Run() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      woken_ = false;
    }
    auto claimed = outbox_.ClaimDue(UnixNowMs());
    if (claimed && *claimed) {
      // The worker is a boundary like the HTTP router: an exception is a
      // bug, logged loudly, and must not end the process. The message
      // stays "sending" until the next start requeues it.
      try {
        if (auto r = Deliver(outbox_, providers_, **claimed); !r) {
          log::Error("notify.record_failed", {{"error", r.error().message}});
        }
      } catch (const std::exception& e) {
        log::Error("notify.unhandled", {{"id", (*claimed)->id}, {"what", e.what()}});
      }
      continue;
    }
    if (!claimed) log::Error("notify.claim_failed", {{"error", claimed.error().message}});
    auto wait = poll_;
    if (auto next = outbox_.NextDue(); next && *next) {
      wait = std::clamp(std::chrono::milliseconds(**next - UnixNowMs()),
                        std::chrono::milliseconds(0), poll_);
    }
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, wait, [this] { return stop_ || woken_; });
  }
}

}  // namespace cf::notify
