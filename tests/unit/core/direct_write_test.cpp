// SPDX-License-Identifier: Apache-2.0
#include "core/direct_write.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "support/temp_dir.hpp"

namespace cf {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST(DirectWriteTest, FilledBytesAreWrittenAtTheOffsetAndPaddedWhenDirect) {
  cf::testing::TempDir dir;
  const auto path = dir.Path() / "f";
  bool direct = false;
  const int fd = OpenMaybeDirect(path, O_RDWR | O_CREAT | O_EXCL, 0600, &direct);
  ASSERT_GE(fd, 0);
  const uint64_t n = 5000;  // not a multiple of the alignment
  auto w = PwriteFilled(fd, direct, n, kDirectAlign, [&](std::span<std::byte> out) -> Result<void> {
    EXPECT_EQ(out.size(), n);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>('a' + i % 26);
    return {};
  });
  ::close(fd);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(*w, direct ? AlignUp(n) : n);
  const std::string content = Slurp(path);
  ASSERT_EQ(content.size(), kDirectAlign + *w);
  EXPECT_EQ(content.find_first_not_of('\0'), kDirectAlign);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(content[kDirectAlign + i], static_cast<char>('a' + i % 26)) << i;
  }
  EXPECT_EQ(content.find_first_not_of('\0', kDirectAlign + n), std::string::npos);
}

TEST(DirectWriteTest, AFillErrorIsReturnedAndNothingIsWritten) {
  cf::testing::TempDir dir;
  const auto path = dir.Path() / "f";
  bool direct = false;
  const int fd = OpenMaybeDirect(path, O_RDWR | O_CREAT | O_EXCL, 0600, &direct);
  ASSERT_GE(fd, 0);
  auto w = PwriteFilled(fd, direct, 100, 0, [](std::span<std::byte>) -> Result<void> {
    return Fail(ErrorCode::kInternal, "cannot seal");
  });
  ::close(fd);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, "cannot seal");
  EXPECT_EQ(std::filesystem::file_size(path), 0u);
}

}  // namespace
}  // namespace cf
