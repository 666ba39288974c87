// SPDX-License-Identifier: Apache-2.0
#include "access/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace cf::access {
namespace {

using std::chrono::seconds;
using Clock = RateLimiter::Clock;

// A fixed start far from the clock's epoch, so that tests do not depend on
// the machine's uptime.
const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1000);

TEST(RateLimiterTest, AllowsMaxAttemptsThenAsksToWaitAtMostTheWindow) {
  RateLimiter limiter(3, seconds(60));
  EXPECT_EQ(limiter.Attempt("10.0.0.1", kT0), seconds(0));
  EXPECT_EQ(limiter.Attempt("10.0.0.1", kT0 + seconds(1)), seconds(0));
  EXPECT_EQ(limiter.Attempt("10.0.0.1", kT0 + seconds(2)), seconds(0));
  const seconds wait = limiter.Attempt("10.0.0.1", kT0 + seconds(3));
  EXPECT_GT(wait, seconds(0));
  EXPECT_LE(wait, seconds(60));
  // The oldest attempt (at 0) leaves the window at 60.
  EXPECT_EQ(wait, seconds(57));
  // Still refused, and refusals do not push the wait further out.
  EXPECT_EQ(limiter.Attempt("10.0.0.1", kT0 + seconds(30)), seconds(30));
  EXPECT_EQ(limiter.Attempt("10.0.0.1", kT0 + seconds(59)), seconds(1));
}

TEST(RateLimiterTest, WaitIsRoundedUpAndNeverZeroWhenRefused) {
  RateLimiter limiter(1, seconds(10));
  EXPECT_EQ(limiter.Attempt("k", kT0), seconds(0));
  EXPECT_EQ(limiter.Attempt("k", kT0 + std::chrono::milliseconds(9'500)), seconds(1));
  EXPECT_EQ(limiter.Attempt("k", kT0 + std::chrono::milliseconds(9'999)), seconds(1));
  EXPECT_EQ(limiter.Attempt("k", kT0 + std::chrono::milliseconds(100)), seconds(10));
}

TEST(RateLimiterTest, KeysAreIndependent) {
  RateLimiter limiter(2, seconds(60));
  EXPECT_EQ(limiter.Attempt("a", kT0), seconds(0));
  EXPECT_EQ(limiter.Attempt("a", kT0), seconds(0));
  EXPECT_GT(limiter.Attempt("a", kT0), seconds(0));
  EXPECT_EQ(limiter.Attempt("b", kT0), seconds(0));
  EXPECT_EQ(limiter.Attempt("b", kT0), seconds(0));
  EXPECT_GT(limiter.Attempt("b", kT0), seconds(0));
  EXPECT_EQ(limiter.Attempt("", kT0), seconds(0));
  EXPECT_GT(limiter.Attempt("a", kT0 + seconds(1)), seconds(0));
}

TEST(RateLimiterTest, WindowSlides) {
  RateLimiter limiter(3, seconds(60));
  ASSERT_EQ(limiter.Attempt("k", kT0), seconds(0));
  ASSERT_EQ(limiter.Attempt("k", kT0 + seconds(10)), seconds(0));
  ASSERT_EQ(limiter.Attempt("k", kT0 + seconds(20)), seconds(0));
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(59)), seconds(1));
  // At 60 the attempt of 0 has left: one place free.
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(60)), seconds(0));
  // Now 10, 20 and 60 are in the window: the next place frees at 70.
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(61)), seconds(9));
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(70)), seconds(0));
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(71)), seconds(9));
  // Long after all of them: a full budget again.
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(500)), seconds(0));
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(500)), seconds(0));
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(500)), seconds(0));
  EXPECT_EQ(limiter.Attempt("k", kT0 + seconds(500)), seconds(60));
}

TEST(RateLimiterTest, PruningManyKeysKeepsActiveOnes) {
  RateLimiter limiter(2, seconds(60));
  // Two keys at their limit, one used early and one late.
  ASSERT_EQ(limiter.Attempt("early", kT0), seconds(0));
  ASSERT_EQ(limiter.Attempt("early", kT0), seconds(0));
  // A scan from 10'500 addresses: beyond 10'000 keys the limiter prunes on
  // every attempt, not only once a window.
  for (int i = 0; i < 10'500; ++i) {
    ASSERT_EQ(limiter.Attempt("scan-" + std::to_string(i), kT0 + seconds(1)), seconds(0)) << i;
  }
  ASSERT_EQ(limiter.Attempt("late", kT0 + seconds(50)), seconds(0));
  ASSERT_EQ(limiter.Attempt("late", kT0 + seconds(50)), seconds(0));
  // Well past the window of the scan: this attempt prunes the quiet keys
  // (and "early"), but "late" is still active and still refused.
  EXPECT_EQ(limiter.Attempt("new", kT0 + seconds(70)), seconds(0));
  EXPECT_EQ(limiter.Attempt("late", kT0 + seconds(70)), seconds(40));
  // A scanned key starts over, as it should after a minute of quiet.
  EXPECT_EQ(limiter.Attempt("scan-7", kT0 + seconds(71)), seconds(0));
  EXPECT_EQ(limiter.Attempt("early", kT0 + seconds(71)), seconds(0));
  // Keys still active while many are being pruned keep their count.
  for (int i = 0; i < 10'500; ++i) {
    ASSERT_EQ(limiter.Attempt("scan2-" + std::to_string(i), kT0 + seconds(72)), seconds(0)) << i;
  }
  EXPECT_EQ(limiter.Attempt("late", kT0 + seconds(100)), seconds(10));
  EXPECT_EQ(limiter.Attempt("new", kT0 + seconds(100)), seconds(0));
  EXPECT_EQ(limiter.Attempt("new", kT0 + seconds(100)), seconds(30));
}

}  // namespace
}  // namespace cf::access
