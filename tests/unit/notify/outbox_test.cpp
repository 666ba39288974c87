// SPDX-License-Identifier: Apache-2.0
#include "notify/outbox.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace cf::notify {
namespace {

Notification Notice(std::string key = "share-code:1") {
  Notification n;
  n.tenant = "default";
  n.kind = "share-code";
  n.recipient = "+8613800000000";
  n.subject = "验证码";
  n.body = "您的验证码是 123456";
  n.idempotency_key = std::move(key);
  return n;
}

class OutboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<Outbox> Open() {
    OutboxOptions options;
    options.path = dir_.Path() / "outbox.sqlite";
    options.retry.max_attempts = 3;
    options.retry.first_delay = std::chrono::seconds(10);
    options.retry.jitter = 0;  // exact schedules
    options.default_provider = "webhook";
    options.tenant_providers["north"] = "smtp";
    options.known_providers = {"webhook", "smtp"};
    auto outbox = Outbox::Open(options);
    EXPECT_TRUE(outbox) << outbox.error().message;
    return outbox ? std::move(*outbox) : nullptr;
  }

  testing::TempDir dir_;
};

TEST_F(OutboxTest, EnqueueStoresAQueuedMessageDueNow) {
  auto outbox = Open();
  auto e = outbox->Enqueue(Notice());
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_TRUE(e->created);
  const Notification& n = e->notification;
  EXPECT_EQ(n.id.size(), 24u);
  EXPECT_EQ(n.status, Status::kQueued);
  EXPECT_EQ(n.attempts, 0);
  EXPECT_EQ(n.provider, "webhook");
  EXPECT_EQ(n.next_attempt_ms, n.created_ms);
  EXPECT_EQ(n.body, "您的验证码是 123456");
}

TEST_F(OutboxTest, SameIdempotencyKeyIsOneMessage) {
  auto outbox = Open();
  auto first = outbox->Enqueue(Notice("k"));
  Notification again = Notice("k");
  again.body = "something else";
  auto second = outbox->Enqueue(again);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->notification.id, first->notification.id);
  EXPECT_EQ(second->notification.body, "您的验证码是 123456");
  auto all = outbox->List(catalog::Scope::All(), std::nullopt, 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
  // The same key in another tenant is another message.
  Notification other = Notice("k");
  other.tenant = "north";
  auto third = outbox->Enqueue(other);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->created);
  EXPECT_EQ(third->notification.provider, "smtp");
}

TEST_F(OutboxTest, RefusesHeaderInjectionAndMissingFields) {
  auto outbox = Open();
  Notification n = Notice();
  n.recipient = "a@example.org\r\nBcc: b@example.org";
  EXPECT_EQ(outbox->Enqueue(n).error().code, ErrorCode::kInvalidArgument);
  n = Notice();
  n.subject = "x\ny";
  EXPECT_EQ(outbox->Enqueue(n).error().code, ErrorCode::kInvalidArgument);
  n = Notice();
  n.recipient.clear();
  EXPECT_EQ(outbox->Enqueue(n).error().code, ErrorCode::kInvalidArgument);
  n = Notice();
  n.body.assign(kMaxBodyBytes + 1, 'x');
  EXPECT_EQ(outbox->Enqueue(n).error().code, ErrorCode::kInvalidArgument);
  n = Notice();
  n.provider = "carrier-pigeon";
  auto unknown = outbox->Enqueue(n);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "provider \"carrier-pigeon\" is not configured");
}

TEST_F(OutboxTest, RetryBacksOffThenGivesUpAfterMaxAttempts) {
  auto outbox = Open();
  auto e = outbox->Enqueue(Notice());
  ASSERT_TRUE(e);
  const int64_t t0 = e->notification.created_ms;
  const SendResult down{SendOutcome::kRetry, {}, "gateway answered HTTP 500"};

  auto c1 = outbox->ClaimDue(t0);
  ASSERT_TRUE(c1 && *c1);
  EXPECT_EQ((*c1)->status, Status::kSending);
  EXPECT_EQ((*c1)->attempts, 1);
  // Claimed: nobody else gets it.
  EXPECT_FALSE(*outbox->ClaimDue(t0 + 1'000'000));
  auto r1 = outbox->RecordAttempt((*c1)->id, down, t0 + 5);
  ASSERT_TRUE(r1) << r1.error().message;
  EXPECT_EQ(r1->status, Status::kQueued);
  EXPECT_EQ(r1->next_attempt_ms, t0 + 5 + 10'000);
  EXPECT_EQ(r1->last_error, "gateway answered HTTP 500");
  EXPECT_EQ(**outbox->NextDue(), t0 + 10'005);

  EXPECT_FALSE(*outbox->ClaimDue(t0 + 10'004));  // not due yet
  auto c2 = outbox->ClaimDue(t0 + 10'005);
  ASSERT_TRUE(c2 && *c2);
  auto r2 = outbox->RecordAttempt((*c2)->id, down, t0 + 10'005);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->next_attempt_ms, t0 + 10'005 + 20'000);  // doubled

  auto c3 = outbox->ClaimDue(t0 + 30'005);
  ASSERT_TRUE(c3 && *c3);
  EXPECT_EQ((*c3)->attempts, 3);
  auto r3 = outbox->RecordAttempt((*c3)->id, down, t0 + 30'005);
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, Status::kFailed);
  EXPECT_EQ(r3->attempts, 3);
  EXPECT_FALSE(*outbox->NextDue());
}

TEST_F(OutboxTest, DeliveredRecordsTimeAndProviderId) {
  auto outbox = Open();
  auto e = outbox->Enqueue(Notice());
  auto c = outbox->ClaimDue(e->notification.created_ms);
  ASSERT_TRUE(c && *c);
  auto r = outbox->RecordAttempt((*c)->id, {SendOutcome::kDelivered, "gw-42", {}}, 1234);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, Status::kDelivered);
  EXPECT_EQ(r->delivered_ms, 1234);
  EXPECT_EQ(r->provider_message_id, "gw-42");
  EXPECT_EQ(r->last_error, "");
  // A second answer for the same attempt is refused.
  EXPECT_EQ(outbox->RecordAttempt((*c)->id, {SendOutcome::kDelivered, {}, {}}, 1235).error().code,
            ErrorCode::kConflict);
}

TEST_F(OutboxTest, PermanentFailureGivesUpAtOnce) {
  auto outbox = Open();
  auto e = outbox->Enqueue(Notice());
  auto c = outbox->Claim(e->notification.id);
  ASSERT_TRUE(c && *c);
  auto r = outbox->RecordAttempt((*c)->id, {SendOutcome::kPermanent, {}, "HTTP 400"}, 10);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, Status::kFailed);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_FALSE(*outbox->Claim(e->notification.id));  // failed is final
}

TEST_F(OutboxTest, SendingMessagesAreRequeuedAfterACrash) {
  std::string id;
  {
    auto outbox = Open();
    auto e = outbox->Enqueue(Notice());
    auto c = outbox->ClaimDue(e->notification.created_ms);
    ASSERT_TRUE(c && *c);
    id = (*c)->id;
    // The process dies here, before the provider's answer is recorded.
  }
  auto outbox = Open();
  auto before = outbox->Get(catalog::Scope::All(), id);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, Status::kSending);
  auto requeued = outbox->RequeueInterrupted();
  ASSERT_TRUE(requeued);
  EXPECT_EQ(*requeued, 1);
  auto c = outbox->ClaimDue(before->created_ms);
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->id, id);
  EXPECT_EQ((*c)->attempts, 2);
}

TEST_F(OutboxTest, FirstOpeningOfAFilmMarksItsNoticesReceived) {
  auto outbox = Open();
  Notification n = Notice();
  n.kind = "film-issued";
  n.film_id = "F123";
  auto e = outbox->Enqueue(n);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->notification.received_ms, 0);
  EXPECT_TRUE(*outbox->RecordFirstOpening("F123", 5000));
  EXPECT_FALSE(*outbox->RecordFirstOpening("F123", 9000));  // only the first counts
  auto got = outbox->Get(catalog::Scope::Of("default"), e->notification.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->received_ms, 5000);
}

TEST_F(OutboxTest, ListShowsOnlyTheScopeAndStatusAskedFor) {
  auto outbox = Open();
  ASSERT_TRUE(outbox->Enqueue(Notice("a")));
  Notification north = Notice("b");
  north.tenant = "north";
  auto b = outbox->Enqueue(north);
  ASSERT_TRUE(b);
  auto c = outbox->Claim(b->notification.id);
  ASSERT_TRUE(outbox->RecordAttempt(b->notification.id, {SendOutcome::kDelivered, {}, {}}, 1));
  auto mine = outbox->List(catalog::Scope::Of("north"), std::nullopt, 10);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].tenant, "north");
  auto delivered = outbox->List(catalog::Scope::All(), Status::kDelivered, 10);
  ASSERT_EQ(delivered->size(), 1u);
  auto queued = outbox->List(catalog::Scope::All(), Status::kQueued, 10);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].tenant, "default");
  EXPECT_EQ(outbox->Get(catalog::Scope::Of("default"), b->notification.id).error().code,
            ErrorCode::kNotFound);
}

TEST(MaskRecipientTest, KeepsEnoughToTellRecipientsApart) {
  EXPECT_EQ(MaskRecipient("+8613800000000"), "+86138****0000");
  EXPECT_EQ(MaskRecipient("patient@example.org"), "p***@example.org");
  EXPECT_EQ(MaskRecipient("12345"), "***");
  // Never half a UTF-8 character.
  EXPECT_EQ(MaskRecipient("病人@医院.cn"), "***@***");
  EXPECT_EQ(MaskRecipient("电话 13800000000"), "***");
}

}  // namespace
}  // namespace cf::notify
