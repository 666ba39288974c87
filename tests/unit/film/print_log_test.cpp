// SPDX-License-Identifier: Apache-2.0
#include "film/print_log.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace cf::film {
namespace {

TEST(PrintLogTest, CountsPrintsPerTargetAndKeepsTheFirstTimeAcrossReopening) {
  cf::testing::TempDir dir;
  const auto path = dir.Path() / "prints.sqlite";
  const PrintTarget report{"h1", PrintKind::kReport, "r-1", 2};
  const PrintTarget sheet{"h1", PrintKind::kFilmSheet, "f-1", 0};
  {
    auto log = PrintLog::Open(path, "");
    ASSERT_TRUE(log) << log.error().message;
    auto none = (*log)->Get(report);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
    auto first = (*log)->Record(report, "kiosk.lobby", 1000);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->count, 1);
    EXPECT_EQ(first->first_ms, 1000);
    auto second = (*log)->Record(report, "kiosk.floor2", 5000);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->count, 2);
    EXPECT_EQ(second->first_ms, 1000);
    EXPECT_EQ(second->last_ms, 5000);
    EXPECT_EQ(second->last_by, "kiosk.floor2");
    ASSERT_TRUE((*log)->Record(sheet, "kiosk.lobby", 7000));
  }
  auto log = PrintLog::Open(path, "");
  ASSERT_TRUE(log);
  auto again = (*log)->Get(report);
  ASSERT_TRUE(again && again->has_value());
  EXPECT_EQ((*again)->count, 2);
  EXPECT_EQ((*again)->first_ms, 1000);
  // Another version, another hospital, another kind: other records.
  for (const PrintTarget& other : {PrintTarget{"h1", PrintKind::kReport, "r-1", 3},
                                   PrintTarget{"h2", PrintKind::kReport, "r-1", 2},
                                   PrintTarget{"h1", PrintKind::kFilmSheet, "r-1", 2}}) {
    auto got = (*log)->Get(other);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->has_value());
  }
  auto film = (*log)->Get(sheet);
  ASSERT_TRUE(film && film->has_value());
  EXPECT_EQ((*film)->count, 1);
  EXPECT_FALSE((*log)->Record({"", PrintKind::kReport, "r", 1}, "k", 1));
}

}  // namespace
}  // namespace cf::film
