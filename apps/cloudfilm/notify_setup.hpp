// SPDX-License-Identifier: Apache-2.0
// The notification outbox (DATA/outbox.sqlite, encrypted like the other
// databases) and the providers the configuration asks for, with their
// secrets read from their files.
#pragma once

#include <memory>

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

}  // namespace cf::app
