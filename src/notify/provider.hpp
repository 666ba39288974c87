// SPDX-License-Identifier: Apache-2.0
// Where a notification goes out: an SMS/WeChat gateway's webhook, an SMTP
// server, a file. The delivery worker calls one provider at a time; an
// implementation must still be safe to call from several threads (the CLI
// and the worker share nothing, but tests may).
#pragma once

#include <string>
#include <string_view>

#include "notify/notification.hpp"

namespace cf::notify {

enum class SendOutcome {
  kDelivered,  // the provider took it
  kRetry,      // a transient failure: try again later (timeouts, 5xx, 408, 429)
  kPermanent,  // it will never work as it is (4xx, a refused recipient): give up now
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kRetry;
  std::string message_id{};  // the provider's id for the message, when it returns one
  // Why it failed, for operators: a status code or a transport error, never
  // a recipient, a body or what the provider answered about them.
  std::string error{};
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Blocks for at most the provider's timeout. Never throws.
  virtual SendResult Send(const Notification& notification) = 0;
};

}  // namespace cf::notify
