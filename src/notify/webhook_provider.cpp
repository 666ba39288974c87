// SPDX-License-Identifier: Apache-2.0
#include "notify/webhook_provider.hpp"

#include <nlohmann/json.hpp>

#include "core/time_text.hpp"
#include "crypto/hmac.hpp"
#include "notify/curl_easy.hpp"

namespace cf::notify {
namespace {

size_t Collect(char* data, size_t size, size_t count, void* out) {
  auto* text = static_cast<std::string*>(out);
  const size_t n = size * count;
  // The answer only matters for its message id: keep a bounded prefix.
  if (text->size() < 4096) text->append(data, std::min(n, 4096 - text->size()));
  return n;
}

std::string MessageId(const std::string& answer) {
  const auto json = nlohmann::json::parse(answer, nullptr, false);
  if (!json.is_object()) return {};
  for (const char* key : {"id", "message_id"}) {
    const auto it = json.find(key);
    if (it != json.end() && it->is_string()) return it->get<std::string>().substr(0, 200);
  }
  return {};
}

class WebhookProvider final : public Provider {
 public:
  explicit WebhookProvider(WebhookOptions options) : options_(std::move(options)) {}

  SendResult Send(const Notification& n) override {
    const std::string body = WebhookBody(n);
    auto session = NewCurl(options_.timeout, options_.ca_file);
    if (!session) return {SendOutcome::kRetry, {}, session.error().message};
    const CurlLibrary& curl = *session->library;
    CURL* c = session->handle.get();
    CurlList headers;
    for (const std::string& h :
         {std::string("Content-Type: application/json; charset=utf-8"),
          std::string(kSignatureHeader) + ": " + WebhookSignature(options_.secret, body),
          "Idempotency-Key: " + n.tenant + "/" + n.idempotency_key, std::string("Expect:")}) {
      headers.reset(curl.slist_append(headers.release(), h.c_str()));
    }
    std::string answer;
    curl.easy_setopt(c, CURLOPT_URL, options_.url.c_str());
    curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl.easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
    curl.easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    const CURLcode rc = curl.easy_perform(c);
    if (rc != CURLE_OK) return {SendOutcome::kRetry, {}, CurlError(curl, rc)};
    long status = 0;
    curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return {SendOutcome::kDelivered, MessageId(answer), {}};
    const std::string error = "gateway answered HTTP " + std::to_string(status);
    if (status >= 400 && status < 500 && status != 408 && status != 429) {
      return {SendOutcome::kPermanent, {}, error};
    }
    return {SendOutcome::kRetry, {}, error};
  }

 private:
  WebhookOptions options_;
};

}  // namespace

std::string WebhookBody(const Notification& n) {
  const nlohmann::json doc = {
      {"id", n.id},
      {"idempotency_key", n.idempotency_key},
      {"tenant", n.tenant},
      {"kind", n.kind},
      {"recipient", n.recipient},
      {"subject", n.subject},
      {"body", n.body},
      {"created_at", Rfc3339Utc(n.created_ms)},
      {"attempt", n.attempts},
  };
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string WebhookSignature(ByteView secret, std::string_view body) {
  return "sha256=" + crypto::ToHex(crypto::HmacSha256(secret, AsBytes(body)));
}

std::unique_ptr<Provider> MakeWebhookProvider(WebhookOptions options) {
  return std::make_unique<WebhookProvider>(std::move(options));
}

}  // namespace cf::notify
