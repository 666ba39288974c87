// SPDX-License-Identifier: Apache-2.0
#include "crypto/sha256.hpp"

#include <gtest/gtest.h>

#include "crypto/random.hpp"

namespace cf::crypto {
namespace {

TEST(Sha256Test, KnownVectors) {  // FIPS 180-2 examples
  EXPECT_EQ(ToHex(Sha256(AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  const std::string data(100000, 'q');
  Sha256Hasher h;
  h.Update(AsBytes(std::string_view(data).substr(0, 777)));
  h.Update(AsBytes(std::string_view(data).substr(777)));
  EXPECT_EQ(h.Finish(), Sha256(AsBytes(data)));
}

TEST(Sha256Test, HexRoundTripAndRejectsBadHex) {
  const auto d = Sha256(AsBytes("x"));
  EXPECT_EQ(Sha256FromHex(ToHex(d)), d);
  EXPECT_FALSE(Sha256FromHex("abc"));
  EXPECT_FALSE(Sha256FromHex(std::string(64, 'g')));
}

TEST(RandomTest, HexHasTheRightLengthAndDiffers) {
  const auto a = RandomHex(16), b = RandomHex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace cf::crypto
