// SPDX-License-Identifier: Apache-2.0
#include "notify/retry_policy.hpp"

#include <gtest/gtest.h>

namespace cf::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryPolicyTest, DelaysDoubleFromTheFirstUpToTheCap) {
  RetryPolicy p;
  p.first_delay = seconds(30);
  p.max_delay = seconds(600);
  p.jitter = 0;
  EXPECT_EQ(BackoffDelay(p, 1, 0.5), milliseconds(30'000));
  EXPECT_EQ(BackoffDelay(p, 2, 0.5), milliseconds(60'000));
  EXPECT_EQ(BackoffDelay(p, 3, 0.5), milliseconds(120'000));
  EXPECT_EQ(BackoffDelay(p, 5, 0.5), milliseconds(480'000));
  EXPECT_EQ(BackoffDelay(p, 6, 0.5), milliseconds(600'000));
  EXPECT_EQ(BackoffDelay(p, 100, 0.5), milliseconds(600'000));
}

TEST(RetryPolicyTest, JitterShortensADelayByAtMostItsShare) {
  RetryPolicy p;
  p.first_delay = seconds(40);
  p.jitter = 0.25;
  EXPECT_EQ(BackoffDelay(p, 1, 0.0), milliseconds(40'000));
  EXPECT_EQ(BackoffDelay(p, 1, 0.5), milliseconds(35'000));
  EXPECT_EQ(BackoffDelay(p, 1, 0.999999), milliseconds(30'000));
}

TEST(RetryPolicyTest, GivesUpAfterMaxAttemptsOrMaxAge) {
  RetryPolicy p;
  p.max_attempts = 3;
  p.max_age = seconds(100);
  EXPECT_FALSE(GiveUp(p, 2, 0, 50'000));
  EXPECT_TRUE(GiveUp(p, 3, 0, 50'000));
  EXPECT_FALSE(GiveUp(p, 1, 0, 100'000));
  EXPECT_TRUE(GiveUp(p, 1, 0, 100'001));
}

}  // namespace
}  // namespace cf::notify
