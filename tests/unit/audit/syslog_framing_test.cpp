// SPDX-License-Identifier: Apache-2.0
#include "audit/syslog_framing.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "audit/retry_backoff.hpp"

namespace cf::audit {
namespace {

using namespace std::chrono_literals;

TEST(SyslogFramingTest, OctetCountingPrefixesTheByteLength) {
  EXPECT_EQ(FrameOctetCounted("<85>1 - - - - - x"), "17 <85>1 - - - - - x");
  EXPECT_EQ(FrameOctetCounted(""), "0 ");
  // Bytes, not characters: "王" is three bytes, and line breaks stay inside.
  EXPECT_EQ(FrameOctetCounted("\xE7\x8E\x8B\nx"), "5 \xE7\x8E\x8B\nx");
  const std::string big(100'000, 'a');
  EXPECT_EQ(FrameOctetCounted(big), "100000 " + big);
}

TEST(SyslogFramingTest, TruncationKeepsWholeUtf8Characters) {
  EXPECT_EQ(TruncateUtf8("abc", 5), "abc");
  EXPECT_EQ(TruncateUtf8("abc", 3), "abc");
  EXPECT_EQ(TruncateUtf8("abcd", 3), "abc");
  const std::string wang = "ab\xE7\x8E\x8B";  // "ab王"
  EXPECT_EQ(TruncateUtf8(wang, 5), wang);
  EXPECT_EQ(TruncateUtf8(wang, 4), "ab");
  EXPECT_EQ(TruncateUtf8(wang, 3), "ab");
  EXPECT_EQ(TruncateUtf8(wang, 2), "ab");
  EXPECT_EQ(TruncateUtf8(std::string(70'000, 'x'), kMaxUdpSyslogMessage).size(),
            kMaxUdpSyslogMessage);
}

TEST(RetryBackoffTest, DoublesUpToTheMaximumWithinItsStep) {
  RetryBackoff backoff(1000ms, 8000ms, /*seed=*/7);
  const std::chrono::milliseconds steps[] = {1000ms, 2000ms, 4000ms, 8000ms, 8000ms, 8000ms};
  for (const auto step : steps) {
    const auto delay = backoff.Next();
    EXPECT_GE(delay, step / 2);
    EXPECT_LE(delay, step);
  }
  backoff.Reset();
  EXPECT_LE(backoff.Next(), 1000ms);
}

TEST(RetryBackoffTest, NeverWaitsZero) {
  RetryBackoff backoff(0ms, 0ms, 1);
  EXPECT_EQ(backoff.Next(), 1ms);
  EXPECT_EQ(backoff.Next(), 1ms);
}

}  // namespace
}  // namespace cf::audit
