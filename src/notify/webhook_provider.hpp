// SPDX-License-Identifier: Apache-2.0
// Delivery through an HTTP(S) gateway (an SMS or WeChat service the
// hospital contracts): one POST of a JSON document per message, signed
// with HMAC-SHA256 over the exact body so that the gateway can check it
// came from us (docs/operations.md, "Notifications").
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "notify/provider.hpp"

namespace cf::notify {

inline constexpr std::string_view kSignatureHeader = "X-Cloudfilm-Signature";

struct WebhookOptions {
  std::string url{};  // http:// or https://
  Bytes secret{};     // the HMAC key, shared with the gateway
  std::chrono::seconds timeout{10};
  std::filesystem::path ca_file{};  // empty: the system's trust store
};

// The JSON document POSTed for `n` (what the signature covers).
std::string WebhookBody(const Notification& n);

// The X-Cloudfilm-Signature value for `body`: "sha256=" + lowercase hex
// HMAC-SHA256(secret, body).
std::string WebhookSignature(ByteView secret, std::string_view body);

// 2xx = delivered (the answer's JSON "id" or "message_id", if any, is the
// provider's message id); 408, 429 and 5xx = retry; other 4xx = permanent;
// a transport error (refused, timeout, TLS) = retry.
std::unique_ptr<Provider> MakeWebhookProvider(WebhookOptions options);

}  // namespace cf::notify
