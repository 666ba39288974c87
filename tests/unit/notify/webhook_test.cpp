// SPDX-License-Identifier: Apache-2.0
#include "notify/webhook_provider.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cf::notify {
namespace {

TEST(WebhookTest, SignatureIsHmacSha256OfTheBody) {
  // printf '%s' '{"a":"检查"}' | openssl dgst -sha256 -hmac 'gateway-secret'
  EXPECT_EQ(WebhookSignature(AsBytes("gateway-secret"), "{\"a\":\"检查\"}"),
            "sha256=80b478f67ff4df84f351a8122f6c3d9d1041a5b282d0e1561c2794cdbb42daa2");
}

TEST(WebhookTest, BodyCarriesTheMessageAndItsKey) {
  Notification n;
  n.id = "abc";
  n.idempotency_key = "share-code:7";
  n.tenant = "north";
  n.kind = "share-code";
  n.recipient = "+8613800000000";
  n.subject = "验证码";
  n.body = "您的验证码是 123456";
  n.created_ms = 0;
  n.attempts = 2;
  const auto doc = nlohmann::json::parse(WebhookBody(n));
  EXPECT_EQ(doc["id"], "abc");
  EXPECT_EQ(doc["idempotency_key"], "share-code:7");
  EXPECT_EQ(doc["tenant"], "north");
  EXPECT_EQ(doc["recipient"], "+8613800000000");
  EXPECT_EQ(doc["body"], "您的验证码是 123456");
  EXPECT_EQ(doc["created_at"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(doc["attempt"], 2);
}

TEST(WebhookTest, UnreachableGatewayIsATransientFailureWithoutPatientData) {
  // Port 9 on loopback (discard) has no listener here: refused at once.
  auto provider = MakeWebhookProvider({"http://127.0.0.1:9/hook", {}, std::chrono::seconds(5), {}});
  Notification n;
  n.recipient = "+8613800000000";
  n.body = "secret text";
  const SendResult r = provider->Send(n);
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(r.error.rfind("libcurl: ", 0), 0u) << r.error;
  EXPECT_EQ(r.error.find("8613800000000"), std::string::npos);
}

}  // namespace
}  // namespace cf::notify
