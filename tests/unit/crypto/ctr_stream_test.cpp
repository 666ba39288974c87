// SPDX-License-Identifier: Apache-2.0
#include "crypto/ctr_stream.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cf::crypto {
namespace {

std::vector<std::byte> Pattern(size_t n) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(i * 31 + 7);
  return v;
}

TEST(CtrStreamTest, AnySliceEncryptsAsTheWholeDoesAndDecryptsBack) {
  auto s = CtrStream::Create();
  ASSERT_TRUE(s);
  const auto plain = Pattern(5000);
  std::vector<std::byte> whole(plain.size());
  ASSERT_TRUE(s->Xor(0, plain.data(), whole.data(), plain.size()));
  EXPECT_NE(whole, plain);
  // Starting inside a block, and across several.
  for (size_t from : {1u, 15u, 16u, 17u, 1000u, 4999u}) {
    std::vector<std::byte> part(plain.size() - from);
    ASSERT_TRUE(s->Xor(from, plain.data() + from, part.data(), part.size()));
    EXPECT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + static_cast<long>(from)))
        << from;
  }
  std::vector<std::byte> back(whole);
  ASSERT_TRUE(s->Xor(0, back.data(), back.data(), back.size()));  // in place
  EXPECT_EQ(back, plain);
}

TEST(CtrStreamTest, TwoStreamsHaveDifferentKeys) {
  auto a = CtrStream::Create();
  auto b = CtrStream::Create();
  ASSERT_TRUE(a && b);
  const auto plain = Pattern(64);
  std::vector<std::byte> x(64), y(64);
  ASSERT_TRUE(a->Xor(0, plain.data(), x.data(), 64));
  ASSERT_TRUE(b->Xor(0, plain.data(), y.data(), 64));
  EXPECT_NE(x, y);
}

}  // namespace
}  // namespace cf::crypto
