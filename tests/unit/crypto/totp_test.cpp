// SPDX-License-Identifier: Apache-2.0
#include "crypto/totp.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace cf::crypto {
namespace {

// The RFC 4226 / RFC 6238 SHA-1 test secret.
const ByteView kRfcSecret = AsBytes("12345678901234567890");

std::optional<std::string> DecodeToString(std::string_view s) {
  auto bytes = Base32Decode(s);
  if (!bytes) return std::nullopt;
  return std::string(AsChars(*bytes));
}

TEST(TotpTest, Rfc6238AppendixBSha1Vectors) {
  struct Vector {
    int64_t time;
    const char* code;
  };
  for (const Vector& v : {Vector{59, "94287082"}, Vector{1111111109, "07081804"},
                          Vector{1111111111, "14050471"}, Vector{1234567890, "89005924"},
                          Vector{2000000000, "69279037"}, Vector{20000000000, "65353130"}}) {
    EXPECT_EQ(TotpCode(kRfcSecret, v.time, 8), v.code) << v.time;
  }
}

TEST(TotpTest, Rfc4226AppendixDHotpValues) {
  const char* const kHotp[] = {"755224", "287082", "359152", "969429", "338314",
                               "254676", "287922", "162583", "399871", "520489"};
  for (int counter = 0; counter < 10; ++counter) {
    // With a 30 s step, any time in [30c, 30c + 29] gives counter c.
    EXPECT_EQ(TotpCode(kRfcSecret, counter * 30), kHotp[counter]) << counter;
    EXPECT_EQ(TotpCode(kRfcSecret, counter * 30 + 29), kHotp[counter]) << counter;
    EXPECT_EQ(TotpCode(kRfcSecret, counter, 6, 1), kHotp[counter]) << counter;
  }
}

TEST(TotpTest, CodesAreZeroPaddedToTheirLength) {
  // RFC 6238: at t=1111111109 the 8-digit code starts with a zero.
  EXPECT_EQ(TotpCode(kRfcSecret, 1111111109, 8), "07081804");
  EXPECT_EQ(TotpCode(kRfcSecret, 1111111109, 6), "081804");
  EXPECT_EQ(TotpCode(kRfcSecret, 1111111109, 10).size(), 10u);
}

TEST(TotpTest, CodeRejectsImpossibleArguments) {
  EXPECT_THROW(TotpCode(kRfcSecret, -1), std::invalid_argument);
  EXPECT_THROW(TotpCode(kRfcSecret, 59, 0), std::invalid_argument);
  EXPECT_THROW(TotpCode(kRfcSecret, 59, 11), std::invalid_argument);
  EXPECT_THROW(TotpCode(kRfcSecret, 59, 6, 0), std::invalid_argument);
}

TEST(TotpTest, VerifyAcceptsOneStepEitherSideAndReportsTheStep) {
  const int64_t now = 1234567890;  // step 41152263
  const int64_t step = now / 30;
  for (const int64_t delta : {-1, 0, 1}) {
    const std::string code = TotpCode(kRfcSecret, (step + delta) * 30);
    int64_t matched = -1;
    EXPECT_TRUE(VerifyTotp(kRfcSecret, code, now, &matched)) << delta;
    EXPECT_EQ(matched, step + delta);
  }
  EXPECT_TRUE(VerifyTotp(kRfcSecret, TotpCode(kRfcSecret, now), now));  // no step_out
}

TEST(TotpTest, VerifyRejectsCodesTwoStepsAway) {
  const int64_t now = 1234567890;
  const int64_t step = now / 30;
  for (const int64_t delta : {-2, 2, -10, 10}) {
    const std::string code = TotpCode(kRfcSecret, (step + delta) * 30);
    int64_t matched = -1;
    EXPECT_FALSE(VerifyTotp(kRfcSecret, code, now, &matched)) << delta;
    EXPECT_EQ(matched, -1);  // untouched
  }
}

TEST(TotpTest, VerifyRejectsTheWrongSecret) {
  // A fixed secret keeps the test deterministic (a random one would match by
  // chance once in a few hundred thousand runs).
  EXPECT_FALSE(VerifyTotp(AsBytes("12345678901234567891"), TotpCode(kRfcSecret, 59), 59));
}

TEST(TotpTest, VerifyRejectsCodesOfTheWrongShape) {
  const int64_t now = 59;
  const std::string code = TotpCode(kRfcSecret, now);  // "287082"
  ASSERT_EQ(code, "287082");
  EXPECT_TRUE(VerifyTotp(kRfcSecret, code, now));
  EXPECT_FALSE(VerifyTotp(kRfcSecret, "", now));
  EXPECT_FALSE(VerifyTotp(kRfcSecret, "28708", now));                       // 5 digits
  EXPECT_FALSE(VerifyTotp(kRfcSecret, "2870820", now));                     // 7 digits
  EXPECT_FALSE(VerifyTotp(kRfcSecret, TotpCode(kRfcSecret, now, 8), now));  // 8 digits
  EXPECT_FALSE(VerifyTotp(kRfcSecret, "287 082", now));
  EXPECT_FALSE(VerifyTotp(kRfcSecret, " 287082", now));
  EXPECT_FALSE(VerifyTotp(kRfcSecret, "28708a", now));
  EXPECT_FALSE(VerifyTotp(kRfcSecret, "-87082", now));
}

TEST(TotpTest, NewSecretsAreTwentyRandomBytes) {
  const Bytes a = NewTotpSecret(), b = NewTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_EQ(b.size(), 20u);
  EXPECT_NE(a, b);
}

TEST(Base32Test, Rfc4648Vectors) {  // RFC 4648 section 10, without padding
  EXPECT_EQ(Base32Encode(AsBytes("")), "");
  EXPECT_EQ(Base32Encode(AsBytes("f")), "MY");
  EXPECT_EQ(Base32Encode(AsBytes("fo")), "MZXQ");
  EXPECT_EQ(Base32Encode(AsBytes("foo")), "MZXW6");
  EXPECT_EQ(Base32Encode(AsBytes("foob")), "MZXW6YQ");
  EXPECT_EQ(Base32Encode(AsBytes("fooba")), "MZXW6YTB");
  EXPECT_EQ(Base32Encode(AsBytes("foobar")), "MZXW6YTBOI");
  EXPECT_EQ(DecodeToString(""), "");
  EXPECT_EQ(DecodeToString("MY"), "f");
  EXPECT_EQ(DecodeToString("MZXQ"), "fo");
  EXPECT_EQ(DecodeToString("MZXW6"), "foo");
  EXPECT_EQ(DecodeToString("MZXW6YQ"), "foob");
  EXPECT_EQ(DecodeToString("MZXW6YTB"), "fooba");
  EXPECT_EQ(DecodeToString("MZXW6YTBOI"), "foobar");
}

TEST(Base32Test, DecodeAcceptsPaddingLowerCaseAndSpaces) {
  // The padded forms of RFC 4648 section 10.
  EXPECT_EQ(DecodeToString("MY======"), "f");
  EXPECT_EQ(DecodeToString("MZXQ===="), "fo");
  EXPECT_EQ(DecodeToString("MZXW6==="), "foo");
  EXPECT_EQ(DecodeToString("MZXW6YQ="), "foob");
  EXPECT_EQ(DecodeToString("MZXW6YTBOI======"), "foobar");
  EXPECT_EQ(DecodeToString("mzxw6ytboi"), "foobar");
  EXPECT_EQ(DecodeToString("mzxw 6ytb oi"), "foobar");
  EXPECT_EQ(DecodeToString(" MzXw6YtBoI = = "), "foobar");
}

TEST(Base32Test, DecodeRejectsInvalidText) {
  EXPECT_FALSE(Base32Decode("MZ1W"));  // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("MZ8W"));
  EXPECT_FALSE(Base32Decode("MZXW-6"));
  EXPECT_FALSE(Base32Decode("M"));  // 1, 3 or 6 symbols cannot end a group
  EXPECT_FALSE(Base32Decode("MZX"));
  EXPECT_FALSE(Base32Decode("MZXW6Y"));
  EXPECT_FALSE(Base32Decode("A"));
  EXPECT_FALSE(Base32Decode("MZ"));      // unused bits set ("MY" is canonical)
  EXPECT_FALSE(Base32Decode("MY==MY"));  // data after padding
}

TEST(Base32Test, RoundTripsRandomSecrets) {
  for (int i = 0; i < 20; ++i) {
    const Bytes secret = NewTotpSecret();
    const std::string text = Base32Encode(secret);
    EXPECT_EQ(text.size(), 32u);  // 160 bits, no padding needed
    EXPECT_EQ(Base32Decode(text), secret);
  }
}

TEST(TotpUriTest, HasAllParametersAuthenticatorAppsNeed) {
  EXPECT_EQ(TotpUri("cloudfilm", "alice@example.org", kRfcSecret),
            "otpauth://totp/cloudfilm:alice%40example.org"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=cloudfilm"
            "&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpUriTest, PercentEncodesIssuerAndAccount) {
  const std::string uri = TotpUri("Cloud Film & Co", "李 雷:x?y", AsBytes("12345"));
  EXPECT_EQ(uri,
            "otpauth://totp/Cloud%20Film%20%26%20Co:%E6%9D%8E%20%E9%9B%B7%3Ax%3Fy"
            "?secret=GEZDGNBV&issuer=Cloud%20Film%20%26%20Co"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace cf::crypto
