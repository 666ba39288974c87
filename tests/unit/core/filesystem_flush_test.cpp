// SPDX-License-Identifier: Apache-2.0
// What can be shown without a failing disk: the folder is opened at once
// (a store that cannot flush does not open), and a flush of a healthy
// filesystem succeeds, again and again. The failure that sticks is shown
// by the archive's tests over a store whose Sync fails
// (tests/unit/archive/sync_fails_once.hpp).
#include "core/filesystem_flush.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace cf {
namespace {

TEST(FilesystemFlushTest, AMissingFolderIsRefusedAtOpenNamingTheStore) {
  cf::testing::TempDir dir;
  auto flush = FilesystemFlush::Open(dir.Path() / "absent", "blob store");
  ASSERT_FALSE(flush);
  EXPECT_EQ(flush.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_NE(flush.error().message.find("blob store's folder"), std::string::npos)
      << flush.error().message;
}

TEST(FilesystemFlushTest, AFileIsNoFolder) {
  cf::testing::TempDir dir;
  std::ofstream(dir.Path() / "file") << "x";
  auto flush = FilesystemFlush::Open(dir.Path() / "file", "catalog");
  ASSERT_FALSE(flush);
  EXPECT_EQ(flush.error().code, ErrorCode::kStorageUnavailable);
}

TEST(FilesystemFlushTest, AHealthyFilesystemFlushesEveryTime) {
  cf::testing::TempDir dir;
  auto flush = FilesystemFlush::Open(dir.Path(), "catalog");
  ASSERT_TRUE(flush) << flush.error().message;
  for (int i = 0; i < 3; ++i) {
    std::ofstream(dir.Path() / ("f" + std::to_string(i))) << "written " << i;
    auto flushed = (*flush)->Flush();
    EXPECT_TRUE(flushed) << flushed.error().message;
  }
}

}  // namespace
}  // namespace cf
