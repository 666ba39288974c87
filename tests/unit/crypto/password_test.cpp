// SPDX-License-Identifier: Apache-2.0
#include "crypto/password.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cf::crypto {
namespace {

// Hashing at the production cost takes 64 MiB and a noticeable fraction of a
// second, so tests use the cheapest cost except where the cost is the point.
const PasswordCost kCheap = TestPasswordCost();

TEST(PasswordTest, HashHasArgon2idFormatWithTheCostUsed) {
  const auto hash = HashPassword("correct horse battery", kCheap);
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=8,t=1,p=1$")) << *hash;
  // Salt and hash follow as two more '$'-separated base64 fields.
  const std::string tail = hash->substr(std::string("$argon2id$v=19$m=8,t=1,p=1$").size());
  const size_t dollar = tail.find('$');
  ASSERT_NE(dollar, std::string::npos);
  EXPECT_EQ(dollar, 22u);                    // 16-byte salt, unpadded base64
  EXPECT_EQ(tail.size() - dollar - 1, 43u);  // 32-byte hash
}

TEST(PasswordTest, DefaultCostIsThreePassesOver64MiB) {
  const PasswordCost cost = DefaultPasswordCost();
  EXPECT_EQ(cost.ops, 3u);
  EXPECT_EQ(cost.mem_bytes, size_t{64} * 1024 * 1024);
  const auto hash = HashPassword("correct horse battery");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=65536,t=3,p=1$")) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery"));
  EXPECT_FALSE(PasswordNeedsRehash(*hash));
}

TEST(PasswordTest, VerifyAcceptsTheRightPasswordAndRejectsOthers) {
  const auto hash = HashPassword("correct horse battery", kCheap);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse batterY"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse battery "));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
}

TEST(PasswordTest, SamePasswordHashesDifferentlyEachTime) {
  const auto a = HashPassword("correct horse battery", kCheap);
  const auto b = HashPassword("correct horse battery", kCheap);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // fresh salt
  EXPECT_TRUE(VerifyPassword(*a, "correct horse battery"));
  EXPECT_TRUE(VerifyPassword(*b, "correct horse battery"));
}

TEST(PasswordTest, MalformedStoredHashFailsVerification) {
  const auto hash = HashPassword("correct horse battery", kCheap);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(VerifyPassword("", "correct horse battery"));
  EXPECT_FALSE(VerifyPassword("not a hash", "correct horse battery"));
  EXPECT_FALSE(VerifyPassword("$argon2id$v=19$m=8,t=1,p=1$", "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(hash->substr(0, hash->size() - 5), "correct horse battery"));
  std::string flipped = *hash;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword(flipped, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*hash + std::string(200, 'x'), "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*hash + std::string(1, '\0') + "x", "correct horse battery"));
}

TEST(PasswordTest, NeedsRehashWhenTheCostChanged) {
  const auto hash = HashPassword("correct horse battery", kCheap);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(PasswordNeedsRehash(*hash, kCheap));
  EXPECT_TRUE(PasswordNeedsRehash(*hash));  // the default cost
  EXPECT_TRUE(PasswordNeedsRehash(*hash, PasswordCost{kCheap.ops + 1, kCheap.mem_bytes}));
  EXPECT_TRUE(PasswordNeedsRehash(*hash, PasswordCost{kCheap.ops, kCheap.mem_bytes * 2}));
  EXPECT_TRUE(PasswordNeedsRehash("not a hash", kCheap));
}

TEST(PasswordTest, CostOutsideLibsodiumLimitsIsRejected) {
  const auto too_little_memory = HashPassword("correct horse battery", PasswordCost{1, 1024});
  ASSERT_FALSE(too_little_memory);
  EXPECT_EQ(too_little_memory.error().code, ErrorCode::kInvalidArgument);
  const auto no_passes = HashPassword("correct horse battery", PasswordCost{0, 1 << 20});
  ASSERT_FALSE(no_passes);
  EXPECT_EQ(no_passes.error().code, ErrorCode::kInvalidArgument);
}

TEST(PasswordTest, ChineseUtf8PasswordRoundTrips) {
  const std::string password = "我的密码是安全的";  // 8 characters, 24 bytes
  ASSERT_EQ(password.size(), 24u);
  EXPECT_TRUE(CheckPasswordPolicy(password));
  const auto hash = HashPassword(password, kCheap);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(VerifyPassword(*hash, password));
  EXPECT_FALSE(VerifyPassword(*hash, "我的密码是不安全的"));
  EXPECT_FALSE(VerifyPassword(*hash, password.substr(0, 21)));
}

TEST(PasswordPolicyTest, AcceptsTenToTenTwentyFourBytes) {
  EXPECT_TRUE(CheckPasswordPolicy(std::string(10, 'a')));
  EXPECT_TRUE(CheckPasswordPolicy(std::string(1024, 'a')));
  EXPECT_TRUE(CheckPasswordPolicy("correct horse battery staple"));
}

TEST(PasswordPolicyTest, RejectsTooShortWithAClearMessage) {
  for (const std::string& password : {std::string(), std::string(9, 'a')}) {
    const auto result = CheckPasswordPolicy(password);
    ASSERT_FALSE(result) << password.size();
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().message, "password too short: at least 10 bytes");
  }
}

TEST(PasswordPolicyTest, RejectsTooLongWithAClearMessage) {
  const auto result = CheckPasswordPolicy(std::string(1025, 'a'));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message, "password too long: at most 1024 bytes");
}

TEST(PasswordPolicyTest, MessageNeverContainsThePassword) {
  const auto result = CheckPasswordPolicy("hunter2");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace cf::crypto
