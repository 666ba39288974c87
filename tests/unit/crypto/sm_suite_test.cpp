// SPDX-License-Identifier: Apache-2.0
// The national suite: SM3 and SM4 against the examples of their standards,
// and its AEAD (SM4-CTR + HMAC-SM3) behind the Aead interface.
#include <gtest/gtest.h>

#include <string>

#include "crypto/aead.hpp"
#include "crypto/random.hpp"
#include "crypto/sm3.hpp"
#include "crypto/sm4.hpp"
#include "crypto/sm_aead.hpp"
#include "crypto/suite.hpp"

namespace cf::crypto {
namespace {

Bytes FromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <size_t N>
std::string Hex(const std::array<std::byte, N>& a) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::byte b : a) {
    s += kHex[static_cast<unsigned>(b) >> 4];
    s += kHex[static_cast<unsigned>(b) & 15];
  }
  return s;
}

// GB/T 32905-2016, appendix A, example 1: "abc".
TEST(Sm3Test, StandardExampleOne) {
  EXPECT_EQ(Hex(Sm3(AsBytes("abc"))),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

// GB/T 32905-2016, appendix A, example 2: "abcd" sixteen times (512 bits).
TEST(Sm3Test, StandardExampleTwo) {
  std::string m;
  for (int i = 0; i < 16; ++i) m += "abcd";
  EXPECT_EQ(Hex(Sm3(AsBytes(m))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

TEST(Sm3Test, HmacDependsOnKeyAndEveryPart) {
  const Sm3Digest a = HmacSm3(AsBytes("key"), {AsBytes("ab"), AsBytes("c")});
  EXPECT_EQ(a, HmacSm3(AsBytes("key"), {AsBytes("abc")}));
  EXPECT_NE(a, HmacSm3(AsBytes("kez"), {AsBytes("abc")}));
  EXPECT_NE(a, HmacSm3(AsBytes("key"), {AsBytes("abd")}));
}

// GB/T 32907-2016, appendix A, example 1: key = plaintext = 0123...3210.
TEST(Sm4Test, StandardExampleOne) {
  const Bytes key = FromHex("0123456789abcdeffedcba9876543210");
  Sm4Block block{};
  std::copy(key.begin(), key.end(), block.begin());
  auto c = Sm4EncryptBlock(key, block);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(Hex(*c), "681edf34d206965e86b3e94f536e4246");
}

// GB/T 32907-2016, appendix A, example 2: the same block encrypted
// 1,000,000 times under the same key.
TEST(Sm4Test, StandardExampleTwoMillionRounds) {
  const Bytes key = FromHex("0123456789abcdeffedcba9876543210");
  Sm4Block block{};
  std::copy(key.begin(), key.end(), block.begin());
  for (int i = 0; i < 1000000; ++i) {
    auto c = Sm4EncryptBlock(key, block);
    ASSERT_TRUE(c);
    block = *c;
  }
  EXPECT_EQ(Hex(block), "595298c7c6fd271f0402f804c33d3f66");
}

TEST(Sm4Test, CounterModeIsTheBlockCipherOfTheCounter) {
  const Bytes key = FromHex("0123456789abcdeffedcba9876543210");
  Sm4Block iv{};
  iv[15] = std::byte{1};
  const Bytes zeros(32);
  Bytes out(32);
  ASSERT_TRUE(Sm4Ctr(key, iv, zeros, out));
  auto first = Sm4EncryptBlock(key, iv);
  Sm4Block next = iv;
  next[15] = std::byte{2};
  auto second = Sm4EncryptBlock(key, next);
  EXPECT_TRUE(std::equal(first->begin(), first->end(), out.begin()));
  EXPECT_TRUE(std::equal(second->begin(), second->end(), out.begin() + 16));
  EXPECT_FALSE(Sm4Ctr(Bytes(15), iv, zeros, out));  // SM4 keys are 16 bytes
}

std::unique_ptr<Aead> RandomSmKey() {
  Bytes key(kAeadKeyBytes);
  RandomBytes(key);
  auto aead = MakeAead(CryptoSuite::kSm, key);
  EXPECT_TRUE(aead);
  return std::move(*aead);
}

const std::string kText = "patient 张三 ^ ID 0042 " + std::string(5000, 'p');

TEST(Sm4CtrHmacSm3Test, RoundTripHidesThePlaintext) {
  auto k = RandomSmKey();
  EXPECT_EQ(k->suite(), CryptoSuite::kSm);
  auto packed = k->SealPacked(AsBytes("blob/1"), AsBytes(kText));
  ASSERT_TRUE(packed);
  ASSERT_EQ(packed->size(), kText.size() + kAeadOverhead);
  EXPECT_EQ(std::string(AsChars(*packed)).find("张三"), std::string::npos);
  Bytes out(kText.size());
  ASSERT_TRUE(k->OpenPacked(AsBytes("blob/1"), *packed, out));
  EXPECT_EQ(AsChars(out), kText);
}

TEST(Sm4CtrHmacSm3Test, EmptyPlaintextAndFreshNonces) {
  auto k = RandomSmKey();
  auto a = k->SealPacked(AsBytes("x"), {});
  auto b = k->SealPacked(AsBytes("x"), {});
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  Bytes none;
  EXPECT_TRUE(k->OpenPacked(AsBytes("x"), *a, none));
}

TEST(Sm4CtrHmacSm3Test, TamperingAnythingIsDetected) {
  auto k = RandomSmKey();
  auto packed = *k->SealPacked(AsBytes("blob/1"), AsBytes(kText));
  Bytes out(kText.size());
  for (size_t at :
       {size_t{0}, size_t{11}, size_t{12}, size_t{100}, packed.size() - 16, packed.size() - 1}) {
    Bytes bad = packed;
    bad[at] ^= std::byte{1};
    auto r = k->OpenPacked(AsBytes("blob/1"), bad, out);
    ASSERT_FALSE(r) << "byte " << at;
    EXPECT_NE(r.error().message.find("cannot decrypt"), std::string::npos);
  }
  EXPECT_FALSE(k->OpenPacked(AsBytes("blob/2"), packed, out));              // moved elsewhere
  EXPECT_FALSE(RandomSmKey()->OpenPacked(AsBytes("blob/1"), packed, out));  // another key
}

TEST(Sm4CtrHmacSm3Test, SuitesDoNotOpenEachOthersMessages) {
  Bytes key(kAeadKeyBytes);
  RandomBytes(key);
  auto sm = *MakeAead(CryptoSuite::kSm, key);
  auto gcm = *MakeAead(CryptoSuite::kDefault, key);
  EXPECT_EQ(gcm->suite(), CryptoSuite::kDefault);
  auto packed = *sm->SealPacked(AsBytes("a"), AsBytes(kText));
  Bytes out(kText.size());
  EXPECT_FALSE(gcm->OpenPacked(AsBytes("a"), packed, out));
  EXPECT_FALSE(MakeAead(CryptoSuite::kSm, Bytes(16)));
}

TEST(SuiteTest, NamesRoundTrip) {
  EXPECT_EQ(ParseSuite("sm"), CryptoSuite::kSm);
  EXPECT_EQ(ParseSuite("default"), CryptoSuite::kDefault);
  EXPECT_FALSE(ParseSuite("SM4"));
  EXPECT_EQ(SuiteName(CryptoSuite::kSm), "sm");
}

}  // namespace
}  // namespace cf::crypto
