// SPDX-License-Identifier: Apache-2.0
// The notification outbox (DATA/outbox.sqlite, encrypted like the other
// databases) and the providers the configuration asks for, with their
// secrets read from their files.
#pragma once

#include <memory>

#include "access/share_notice.hpp"
#include "config.hpp"
#include "notify/delivery_worker.hpp"
#include "notify/outbox.hpp"

namespace cf::app {

struct NotifyParts {
  std::unique_ptr<notify::Outbox> outbox;
  notify::Providers providers;  // the configured ones only
};

// kInvalidArgument when a secret file cannot be read or is empty (naming
// the setting and the file, never its contents).
Result<NotifyParts> OpenNotify(const Config& config);

// Whether a provider delivers anything (notify.provider or a hospital's
// notify_provider is not "none"): only then may shares rely on the outbox.
bool NotificationsConfigured(const Config& config);

// The shares' hook (access/share_notice.hpp) onto `outbox`, which must
// outlive it: one-time codes and "your film was opened" notices become
// messages (bilingual, idempotent per notice), and a patient's first
// opening of their share is recorded as proof of receipt.
access::ShareNotifier OutboxShareNotifier(notify::Outbox& outbox);

}  // namespace cf::app
