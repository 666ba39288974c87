// SPDX-License-Identifier: Apache-2.0
// Sends what the outbox holds: one thread takes the message due soonest,
// hands it to its provider and records the answer (outbox.hpp applies the
// retry policy). Started by `cloudfilm serve`, stopped on SIGTERM; after a
// crash, Start puts the messages that were being sent back in the queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "notify/outbox.hpp"
#include "notify/provider.hpp"

namespace cf::notify {

// The configured providers by name ("webhook", "smtp", "file"). Filled
// before use, then read-only.
class Providers {
 public:
  void Add(std::string name, std::unique_ptr<Provider> provider);
  Provider* Find(std::string_view name) const;  // null when not configured
  bool empty() const { return providers_.empty(); }

 private:
  std::map<std::string, std::unique_ptr<Provider>, std::less<>> providers_;
};

// Sends `claimed` (a message Outbox::Claim* returned) with its provider and
// records the answer; a provider that is not configured counts as a
// transient failure (the configuration may be fixed before it gives up).
// Returns the message as stored afterwards.
Result<Notification> Deliver(Outbox& outbox, const Providers& providers,
                             const Notification& claimed);

class DeliveryWorker {
 public:
  // Borrows both; they must outlive the worker. `poll`: how often it looks
  // for messages that another process (the CLI) enqueued.
  DeliveryWorker(Outbox& outbox, const Providers& providers,
                 std::chrono::milliseconds poll = std::chrono::seconds(1));
  ~DeliveryWorker();  // Stop()
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  // Requeues interrupted messages, then starts the thread.
  Result<void> Start();
  // Look for due messages now (a message was just enqueued).
  void Wake();
  // Lets a delivery in progress finish (bounded by the provider's
  // timeout), then joins. Idempotent.
  void Stop();

 private:
  void Run();

  Outbox& outbox_;
  const Providers& providers_;
  std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace cf::notify
