// SPDX-License-Identifier: Apache-2.0
#include "core/file_io.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace cf {
namespace {

TEST(FileIoTest, ReadsWholeFile) {
  cf::testing::TempDir dir;
  std::ofstream(dir.Path() / "f") << "abc";
  auto r = ReadFile(dir.Path() / "f", 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(AsChars(*r), "abc");
}

TEST(FileIoTest, RefusesFilesOverTheLimitBeforeAllocating) {
  cf::testing::TempDir dir;
  std::ofstream(dir.Path() / "f") << std::string(1000, 'x');
  auto r = ReadFile(dir.Path() / "f", 999);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
}

TEST(FileIoTest, MissingFileAndFolderAreErrors) {
  cf::testing::TempDir dir;
  EXPECT_EQ(ReadFile(dir.Path() / "nope", 10).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ReadFile(dir.Path(), 10).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cf
