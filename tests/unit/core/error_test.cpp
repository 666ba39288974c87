// SPDX-License-Identifier: Apache-2.0
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <set>

namespace cf {
namespace {

constexpr ErrorCode kAll[] = {ErrorCode::kInvalidArgument,    ErrorCode::kInvalidDicom,
                              ErrorCode::kNotFound,           ErrorCode::kConflict,
                              ErrorCode::kTooLarge,           ErrorCode::kPermissionDenied,
                              ErrorCode::kStorageUnavailable, ErrorCode::kTimeout,
                              ErrorCode::kUnsupported,        ErrorCode::kInternal};

TEST(ErrorTest, EveryCodeHasADistinctNameAndExitCode) {
  std::set<std::string_view> names;
  std::set<int> exits;
  for (ErrorCode c : kAll) {
    names.insert(ToString(c));
    exits.insert(ToExitCode(c));
    EXPECT_NE(ToExitCode(c), 0);
    EXPECT_NE(ToExitCode(c), 1) << "1 means 'some items were rejected' for import and fsck";
  }
  EXPECT_EQ(names.size(), std::size(kAll));
  EXPECT_EQ(exits.size(), std::size(kAll));
}

TEST(ErrorTest, ProtocolMappingsFollowTheStandards) {
  EXPECT_EQ(ToHttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(ToHttpStatus(ErrorCode::kConflict), 409);
  EXPECT_EQ(ToHttpStatus(ErrorCode::kTooLarge), 413);
  EXPECT_EQ(ToHttpStatus(ErrorCode::kStorageUnavailable), 503);
  EXPECT_EQ(ToDimseStatus(ErrorCode::kStorageUnavailable), 0xA700);  // Out of resources
  EXPECT_EQ(ToDimseStatus(ErrorCode::kInvalidDicom), 0xC000);        // Cannot understand
  EXPECT_EQ(ToDimseStatus(ErrorCode::kConflict), 0xA900);            // Does not match SOP class
  for (ErrorCode c : kAll) {
    const int http = ToHttpStatus(c);
    EXPECT_TRUE(http >= 400 && http < 600);
    EXPECT_NE(ToDimseStatus(c), 0x0000);
  }
}

}  // namespace
}  // namespace cf
