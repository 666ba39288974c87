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

TEST(DirectWriteTest, ExactWritesEndAtTheDataWhateverItsSize) {
  cf::testing::TempDir dir;
  int n_direct = 0;
  for (uint64_t n : {uint64_t{0}, uint64_t{1}, kDirectAlign - 1, kDirectAlign, kDirectAlign + 1,
                     uint64_t{526188}}) {
    const auto path = dir.Path() / ("f" + std::to_string(n));
    bool direct = false;
    const int fd = OpenMaybeDirect(path, O_WRONLY | O_CREAT | O_EXCL, 0600, &direct);
    ASSERT_GE(fd, 0);
    n_direct += direct;
    std::string data(n, '\0');
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>('A' + (i * 7) % 53);
    auto w = PwriteExact(fd, direct, AsBytes(data), 0);
    ::close(fd);
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_EQ(*w, n);
    EXPECT_EQ(Slurp(path), data) << n;  // the size too: no padding left
  }
  // The temporary folder of the test machines takes O_DIRECT: the split
  // write was exercised, not only the buffered one.
  if (n_direct == 0) GTEST_SKIP() << "no O_DIRECT on this filesystem";
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
