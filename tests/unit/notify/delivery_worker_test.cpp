// SPDX-License-Identifier: Apache-2.0
#include "notify/delivery_worker.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

#include "notify/file_provider.hpp"
#include "support/temp_dir.hpp"

namespace cf::notify {
namespace {

std::vector<nlohmann::json> Lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(DeliveryWorkerTest, DeliversThroughTheFileProviderAndRecordsIt) {
  testing::TempDir dir;
  auto outbox = Outbox::Open({dir.Path() / "outbox.sqlite", {}, {}, "file", {}});
  ASSERT_TRUE(outbox);
  Providers providers;
  providers.Add("file", MakeFileProvider(dir.Path() / "sent.jsonl"));
  DeliveryWorker worker(**outbox, providers, std::chrono::milliseconds(50));
  (*outbox)->OnEnqueued([&worker] { worker.Wake(); });
  ASSERT_TRUE(worker.Start());
  Notification n;
  n.tenant = "default";
  n.kind = "film-issued";
  n.recipient = "patient@example.org";
  n.subject = "您的胶片";
  n.body = "胶片已发布";
  n.idempotency_key = "film-issued:F1";
  auto e = (*outbox)->Enqueue(n);
  ASSERT_TRUE(e);
  Notification stored;
  for (int i = 0; i < 200; ++i) {
    stored = *(*outbox)->Get(catalog::Scope::All(), e->notification.id);
    if (stored.status == Status::kDelivered) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  worker.Stop();
  EXPECT_EQ(stored.status, Status::kDelivered);
  EXPECT_EQ(stored.attempts, 1);
  const auto lines = Lines(dir.Path() / "sent.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["id"], e->notification.id);
  EXPECT_EQ(lines[0]["idempotency_key"], "film-issued:F1");
  EXPECT_EQ(lines[0]["subject"], "您的胶片");
  EXPECT_EQ(lines[0]["body"], "胶片已发布");
}

TEST(DeliveryWorkerTest, UnconfiguredProviderIsRetriedNotLost) {
  testing::TempDir dir;
  auto outbox = Outbox::Open({dir.Path() / "outbox.sqlite", {}, {}, "smtp", {}});
  ASSERT_TRUE(outbox);
  Providers none;
  Notification n;
  n.tenant = "default";
  n.kind = "share-link";
  n.recipient = "patient@example.org";
  auto e = (*outbox)->Enqueue(n);
  ASSERT_TRUE(e);
  auto c = (*outbox)->Claim(e->notification.id);
  ASSERT_TRUE(c && *c);
  auto r = Deliver(**outbox, none, **c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, Status::kQueued);
  EXPECT_EQ(r->last_error, "provider \"smtp\" is not configured");
}

}  // namespace
}  // namespace cf::notify
