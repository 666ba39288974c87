// SPDX-License-Identifier: Apache-2.0
#include "core/time_text.hpp"

#include <gtest/gtest.h>

namespace cf {
namespace {

constexpr int64_t kNov29At0130Utc = 1795915800000;

TEST(TimeTextTest, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(Rfc3339Utc(kNov29At0130Utc), "2026-11-29T01:30:00.000Z");
  EXPECT_EQ(Rfc3339Utc(kNov29At0130Utc + 250), "2026-11-29T01:30:00.250Z");
}

TEST(TimeTextTest, ParsesZonesAndFractions) {
  EXPECT_EQ(ParseRfc3339("2026-11-29T09:30:00+08:00").value(), kNov29At0130Utc);
  EXPECT_EQ(ParseRfc3339("2026-11-29T01:30:00Z").value(), kNov29At0130Utc);
  EXPECT_EQ(ParseRfc3339("2026-11-28T20:30:00-05:00").value(), kNov29At0130Utc);
  EXPECT_EQ(ParseRfc3339("2026-11-29T01:30:00.25Z").value(), kNov29At0130Utc + 250);
  EXPECT_EQ(ParseRfc3339(Rfc3339Utc(kNov29At0130Utc + 7)).value(), kNov29At0130Utc + 7);
}

TEST(TimeTextTest, RefusesWhatNamesNoInstant) {
  for (const char* bad : {"2026-11-29T09:30:00", "2026-11-29", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T09:30:00+8",
                          "2026-11-29T09:30:00.Z", "2026-11-29 09:30:00Z", "x026-11-29T09:30:00Z",
                          "2026-11-29T09:30:00+0a:00", ""}) {
    auto r = ParseRfc3339(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace cf
