// SPDX-License-Identifier: Apache-2.0
#include "http/frame_list.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cf::http {
namespace {

TEST(FrameListTest, ListsFramesInTheOrderGiven) {
  EXPECT_EQ(ParseFrameList("1").value(), (std::vector<uint32_t>{1}));
  EXPECT_EQ(ParseFrameList("3,1,2").value(), (std::vector<uint32_t>{3, 1, 2}));
  EXPECT_EQ(ParseFrameList("4294967295").value(), (std::vector<uint32_t>{4294967295u}));
}

TEST(FrameListTest, MalformedListsAreRefused) {
  for (const char* bad : {"", "0", "1,,2", ",1", "1,", "x", "1-3", "-1", " 1", "4294967296"}) {
    const auto parsed = ParseFrameList(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
}

// Found while hardening against abuse: "1,1,1,..." in a 16 KiB URL asked
// for one frame 8,000 times, an answer 8,000 times the frame's size built
// in memory (gigabytes for one CT slice).
TEST(FrameListTest, ARepeatedFrameIsRefused) {
  const auto twice = ParseFrameList("1,2,1");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(twice.error().message.find("frame 1 more than once"), std::string::npos);
  std::string many = "1";
  for (int i = 0; i < 8000; ++i) many += ",1";
  EXPECT_FALSE(ParseFrameList(many));
}

}  // namespace
}  // namespace cf::http
