// SPDX-License-Identifier: Apache-2.0
#include "archive/materializer.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cf::archive {
namespace {

using Pace = Materializer::Pace;

// A filing function that records the pace of each object and holds the
// first one until released, so that a backlog can build up behind it.
class RecordingFiler {
 public:
  Materializer::FileFn Fn() {
    return [this](const std::string& key, const Materializer::Object&, Pace pace) -> Result<void> {
      std::unique_lock lock(mutex_);
      paces_.push_back({key, pace});
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
      return {};
    };
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  void WaitForCalls(size_t n) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return paces_.size() >= n; });
  }
  std::vector<std::pair<std::string, Pace>> Paces() {
    std::lock_guard lock(mutex_);
    return paces_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
  std::vector<std::pair<std::string, Pace>> paces_;
};

constexpr uint64_t kHuge = uint64_t{1} << 50;
constexpr uint64_t kMiB = 1 << 20;

uint64_t EnqueueObject(Materializer& m, const std::string& key, uint64_t size) {
  EXPECT_TRUE(m.Reserve(size, kHuge));
  IngestJournal::RecordRef ref;
  ref.size = size;
  const Bytes bytes(size, std::byte{7});
  return m.Enqueue(key, std::move(ref), bytes);
}

TEST(MaterializerPaceTest, FilesForItsReadersWhenKeepingUpAndAroundTheCacheWhenBehind) {
  RecordingFiler filer;
  Materializer m(filer.Fn());
  EnqueueObject(m, "a", 512 << 10);
  filer.WaitForCalls(1);
  // While "a" is being filed, a burst: more than kBehindBytes arrive.
  // 18 MiB: each of the first three has more than 16 MiB behind it.
  const uint64_t burst = Materializer::kBehindBytes / (512 << 10) + 4;
  uint64_t last = 0;
  for (uint64_t i = 0; i < burst; ++i) last = EnqueueObject(m, "b" + std::to_string(i), 512 << 10);
  filer.Release();
  ASSERT_TRUE(m.WaitFor(last, std::chrono::seconds(30)));
  // Alone again: kept for its readers.
  ASSERT_TRUE(m.WaitFor(EnqueueObject(m, "c", 512 << 10), std::chrono::seconds(30)));

  const auto paces = filer.Paces();
  ASSERT_EQ(paces.size(), burst + 2);
  EXPECT_EQ(paces.front(), std::make_pair(std::string("a"), Pace::kKeepingUp));
  for (uint64_t i = 0; i < burst; ++i) {
    EXPECT_EQ(paces[1 + i].first, "b" + std::to_string(i));
    EXPECT_EQ(paces[1 + i].second, i < 3 ? Pace::kBehind : Pace::kKeepingUp) << i;
  }
  EXPECT_EQ(paces.back(), std::make_pair(std::string("c"), Pace::kKeepingUp));
}

// A filed object's copy becomes the next object's buffer (its pages are
// backed already), spares and queued copies together stay within the
// memory budget, and the spares go once the queue has been idle.
TEST(MaterializerSpareTest, AFiledCopyIsTheNextObjectsBufferWithinTheBudgetUntilIdle) {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = true;
  std::vector<const std::byte*> seen;
  Materializer m(
      [&](const std::string&, const Materializer::Object& object, Pace) -> Result<void> {
        std::unique_lock lock(mutex);
        seen.push_back(object.bytes.data());
        cv.wait(lock, [&] { return open; });
        return {};
      },
      6 * kMiB);
  const auto set_open = [&](bool value) {
    std::lock_guard lock(mutex);
    open = value;
    cv.notify_all();
  };
  ASSERT_TRUE(m.WaitFor(EnqueueObject(m, "a", kMiB), std::chrono::seconds(30)));
  EXPECT_EQ(m.SpareBytes(), kMiB);
  ASSERT_TRUE(m.WaitFor(EnqueueObject(m, "b", kMiB), std::chrono::seconds(30)));
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1], seen[0]) << "b was copied into a's buffer";
  }
  EXPECT_EQ(m.SpareBytes(), kMiB);

  // Six copies at once (the whole budget), then six spares.
  set_open(false);
  uint64_t last = 0;
  for (int i = 0; i < 6; ++i) last = EnqueueObject(m, "c" + std::to_string(i), kMiB);
  EXPECT_EQ(m.SpareBytes(), 0u) << "the first took the spare";
  set_open(true);
  ASSERT_TRUE(m.WaitFor(last, std::chrono::seconds(30)));
  EXPECT_EQ(m.SpareBytes(), 6 * kMiB);
  std::optional<Bytes> taken = m.TakeCopyBuffer(kMiB);
  ASSERT_TRUE(taken) << "the queue is empty: a copy would be kept";
  EXPECT_TRUE(taken->empty());
  EXPECT_GE(taken->capacity(), kMiB);
  std::optional<Bytes> larger = m.TakeCopyBuffer(2 * kMiB);
  ASSERT_TRUE(larger);
  EXPECT_EQ(larger->capacity(), 0u) << "none holds 2 MiB";
  EXPECT_FALSE(m.TakeCopyBuffer(7 * kMiB)) << "over the 6 MiB budget: no copy";
  EXPECT_EQ(m.SpareBytes(), 5 * kMiB);

  // Copies that no spare fits: the spares give way, so that copies and
  // spares together stay within the 6 MiB budget.
  set_open(false);
  for (int i = 0; i < 2; ++i) last = EnqueueObject(m, "d" + std::to_string(i), 2 * kMiB);
  EXPECT_EQ(m.SpareBytes(), 2 * kMiB);
  set_open(true);
  ASSERT_TRUE(m.WaitFor(last, std::chrono::seconds(30)));

  // Idle: everything goes back.
  for (int i = 0; i < 60 && m.SpareBytes() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(m.SpareBytes(), 0u) << "not freed within 6 s of idle";
}

// Records which objects were filed, and when.
class TimingFiler {
 public:
  using Clock = std::chrono::steady_clock;
  Materializer::FileFn Fn() {
    return [this](const std::string& key, const Materializer::Object&, Pace pace) -> Result<void> {
      std::lock_guard lock(mutex_);
      filed_.push_back({key, Clock::now()});
      paces_.push_back(pace);
      return {};
    };
  }
  std::vector<std::pair<std::string, Clock::time_point>> Filed() {
    std::lock_guard lock(mutex_);
    return filed_;
  }
  std::vector<Pace> Paces() {
    std::lock_guard lock(mutex_);
    return paces_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, Clock::time_point>> filed_;
  std::vector<Pace> paces_;
};

std::unique_ptr<Materializer> Deferring(TimingFiler& filer, uint64_t max_bytes,
                                        std::chrono::milliseconds quiet,
                                        std::chrono::milliseconds max_age) {
  return std::make_unique<Materializer>(
      filer.Fn(), Materializer::kDefaultMemoryBudget,
      Materializer::Deferral{.max_bytes = max_bytes, .quiet = quiet, .max_age = max_age});
}

// ... and through the page cache (kKeepingUp), where the exam's first
// readers find it, though more than kBehindBytes wait.
TEST(MaterializerDeferralTest, ABurstIsFiledInThePauseAfterIt) {
  TimingFiler filer;
  const auto m =
      Deferring(filer, 64 * kMiB, std::chrono::milliseconds(500), std::chrono::minutes(5));
  constexpr int kBurst = Materializer::kBehindBytes / kMiB + 4;
  uint64_t last = 0;
  for (int i = 0; i < kBurst; ++i) last = EnqueueObject(*m, "a" + std::to_string(i), kMiB);
  const auto last_enqueued = TimingFiler::Clock::now();
  EXPECT_EQ(m->Backlog(), kBurst);
  ASSERT_TRUE(m->WaitFor(last, std::chrono::seconds(30)));
  const auto filed = filer.Filed();
  ASSERT_EQ(filed.size(), size_t{kBurst});
  for (int i = 0; i < kBurst; ++i) EXPECT_EQ(filed[i].first, "a" + std::to_string(i)) << "in order";
  for (const Pace pace : filer.Paces()) EXPECT_EQ(pace, Pace::kKeepingUp);
  EXPECT_GE(filed.front().second, last_enqueued + std::chrono::milliseconds(450))
      << "the first blob was written before the burst paused";
  EXPECT_EQ(m->Backlog(), 0);
}

TEST(MaterializerDeferralTest, ABacklogOverTheLimitIsFiledWhileObjectsKeepArriving) {
  TimingFiler filer;
  const auto m = Deferring(filer, 3 * kMiB, std::chrono::minutes(5), std::chrono::minutes(5));
  for (int i = 0; i < 2; ++i) EnqueueObject(*m, "a" + std::to_string(i), kMiB);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(filer.Filed().empty()) << "2 MiB wait, under the 3 MiB limit";
  // 4 MiB: filed down to under the limit, then the wait again.
  const uint64_t third = EnqueueObject(*m, "a2", kMiB);
  EnqueueObject(*m, "a3", kMiB);
  ASSERT_TRUE(m->WaitFor(third - 1, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto filed = filer.Filed();
  ASSERT_EQ(filed.size(), 2u) << "filing went on under the limit";
  EXPECT_EQ(filed[0].first, "a0");
  EXPECT_EQ(filed[1].first, "a1");
  EXPECT_EQ(m->Backlog(), 2);
}

TEST(MaterializerDeferralTest, NoObjectWaitsLongerThanMaxAge) {
  TimingFiler filer;
  const auto m =
      Deferring(filer, 64 * kMiB, std::chrono::minutes(5), std::chrono::milliseconds(400));
  const auto start = TimingFiler::Clock::now();
  const uint64_t first = EnqueueObject(*m, "a0", kMiB);
  // A trickle that never pauses for `quiet`.
  for (int i = 1; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EnqueueObject(*m, "a" + std::to_string(i), kMiB);
  }
  ASSERT_TRUE(m->WaitFor(first, std::chrono::seconds(30)));
  const auto filed = filer.Filed();
  ASSERT_FALSE(filed.empty());
  EXPECT_EQ(filed.front().first, "a0");
  EXPECT_GE(filed.front().second, start + std::chrono::milliseconds(400));
}

TEST(MaterializerDeferralTest, StoppingFilesTheBacklogAtOnce) {
  TimingFiler filer;
  const auto start = TimingFiler::Clock::now();
  {
    const auto m = Deferring(filer, 64 * kMiB, std::chrono::minutes(5), std::chrono::minutes(5));
    for (int i = 0; i < 3; ++i) EnqueueObject(*m, "a" + std::to_string(i), kMiB);
  }
  EXPECT_EQ(filer.Filed().size(), 3u);
  EXPECT_LT(TimingFiler::Clock::now() - start, std::chrono::minutes(1))
      << "the destructor waited for the deferral";
}

TEST(MaterializerDeferralTest, HurryFilesTheBacklogAtOnceTheFastestWay) {
  TimingFiler filer;
  const auto m = Deferring(filer, 64 * kMiB, std::chrono::minutes(5), std::chrono::minutes(5));
  uint64_t last = 0;
  for (int i = 0; i < 3; ++i) last = EnqueueObject(*m, "a" + std::to_string(i), kMiB);
  m->Hurry();
  ASSERT_TRUE(m->WaitFor(last, std::chrono::seconds(30))) << "still waiting for a pause";
  const auto paces = filer.Paces();
  ASSERT_EQ(paces.size(), 3u);
  for (const Pace pace : paces) EXPECT_EQ(pace, Pace::kHurry);
}

}  // namespace
}  // namespace cf::archive
