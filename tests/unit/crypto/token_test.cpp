// SPDX-License-Identifier: Apache-2.0
#include "crypto/token.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

namespace cf::crypto {
namespace {

std::string Encode(std::string_view s) { return Base64UrlEncode(AsBytes(s)); }

std::optional<std::string> DecodeToString(std::string_view s) {
  auto bytes = Base64UrlDecode(s);
  if (!bytes) return std::nullopt;
  return std::string(AsChars(*bytes));
}

// A well-formed token to mutate: 43 'A's decode to 32 zero bytes.
const std::string kId = "0123456789abcdef";
const std::string kSecret(43, 'A');
const std::string kGood = "cft_" + kId + "_" + kSecret;

TEST(TokenTest, IssuedTokenHasPrefixIdAndSecret) {
  const IssuedToken token = IssueToken("cft");
  ASSERT_EQ(token.text.size(), 3u + 1 + 16 + 1 + 43);
  EXPECT_TRUE(token.text.starts_with("cft_"));
  EXPECT_EQ(token.text.substr(4, 16), token.id);
  EXPECT_EQ(token.text[20], '_');
  EXPECT_EQ(token.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  const std::string secret = token.text.substr(21);
  EXPECT_EQ(
      secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  const auto secret_bytes = Base64UrlDecode(secret);
  ASSERT_TRUE(secret_bytes);
  EXPECT_EQ(secret_bytes->size(), 32u);
}

TEST(TokenTest, IssuedTokenParsesBackAndItsHashMatches) {
  const IssuedToken token = IssueToken("cfs");
  const auto parsed = ParseToken(token.text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->prefix, "cfs");
  EXPECT_EQ(parsed->id, token.id);
  EXPECT_EQ(parsed->secret, token.text.substr(21));
  EXPECT_EQ(HashTokenSecret(parsed->secret), token.secret_hash);
  EXPECT_EQ(token.secret_hash, Sha256(AsBytes(parsed->secret)));
  EXPECT_TRUE(ConstantTimeEquals(HashTokenSecret(parsed->secret), token.secret_hash));
  EXPECT_FALSE(ConstantTimeEquals(HashTokenSecret(parsed->secret + "x"), token.secret_hash));
}

TEST(TokenTest, ThousandTokensAreAllDifferent) {
  std::set<std::string> ids, texts;
  std::set<Sha256Digest> hashes;
  for (int i = 0; i < 1000; ++i) {
    const IssuedToken token = IssueToken("cft");
    ids.insert(token.id);
    texts.insert(token.text);
    hashes.insert(token.secret_hash);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(texts.size(), 1000u);
  EXPECT_EQ(hashes.size(), 1000u);
}

TEST(TokenTest, IssueRejectsInvalidPrefixes) {
  for (const char* prefix : {"", "c", "cfttoolong", "CFT", "c_t", "c1", "cft "}) {
    EXPECT_THROW(IssueToken(prefix), std::invalid_argument) << prefix;
  }
  EXPECT_NO_THROW(IssueToken("cf"));
  EXPECT_NO_THROW(IssueToken("abcdefgh"));
}

TEST(TokenTest, ParseAcceptsAWellFormedToken) {
  const auto parsed = ParseToken(kGood);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->prefix, "cft");
  EXPECT_EQ(parsed->id, kId);
  EXPECT_EQ(parsed->secret, kSecret);
}

TEST(TokenTest, ParseKeepsUnderscoresAndDashesInTheSecret) {
  // '_' is in the base64url alphabet; the parser must not split on it.
  const std::string secret = "__--" + std::string(38, 'a') + "A";
  ASSERT_EQ(secret.size(), 43u);
  const auto parsed = ParseToken("cft_" + kId + "_" + secret);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->secret, secret);
}

TEST(TokenTest, ParseRejectsBadPrefixes) {
  for (const std::string prefix : {"", "c", "cfttoolong", "CFT", "Cft", "c1t", "c-t", "cf t"}) {
    EXPECT_FALSE(ParseToken(prefix + "_" + kId + "_" + kSecret)) << prefix;
  }
}

TEST(TokenTest, ParseRejectsWrongLengths) {
  EXPECT_FALSE(ParseToken(""));
  EXPECT_FALSE(ParseToken("cft"));
  EXPECT_FALSE(ParseToken("cft_"));
  EXPECT_FALSE(ParseToken("cft_" + kId.substr(1) + "_" + kSecret));   // 15-char id
  EXPECT_FALSE(ParseToken("cft_" + kId + "0_" + kSecret.substr(1)));  // 17-char id
  EXPECT_FALSE(ParseToken("cft_" + kId + "_" + kSecret.substr(1)));   // 42-char secret
  EXPECT_FALSE(ParseToken("cft_" + kId + "_" + kSecret + "A"));       // 44-char secret
  EXPECT_FALSE(ParseToken("cft_" + kId + "_" + kSecret + "AAAA"));    // 47: 35 bytes
}

TEST(TokenTest, ParseRejectsCharactersOutsideTheAlphabets) {
  EXPECT_FALSE(ParseToken("cft_0123456789ABCDEF_" + kSecret));  // upper-case hex
  EXPECT_FALSE(ParseToken("cft_0123456789abcdeg_" + kSecret));
  for (const char bad : {'+', '/', '=', ' ', '.', '\0', '\n'}) {
    std::string secret = kSecret;
    secret[10] = bad;
    EXPECT_FALSE(ParseToken("cft_" + kId + "_" + secret)) << static_cast<int>(bad);
  }
  // Standard base64 padding instead of the last character.
  EXPECT_FALSE(ParseToken("cft_" + kId + "_" + kSecret.substr(0, 42) + "="));
  // The last character carries 4 bits; 'B' would set an unused one.
  EXPECT_FALSE(ParseToken("cft_" + kId + "_" + kSecret.substr(0, 42) + "B"));
  EXPECT_TRUE(ParseToken("cft_" + kId + "_" + kSecret.substr(0, 42) + "E"));
}

TEST(TokenTest, ParseRejectsMissingOrExtraSeparators) {
  EXPECT_FALSE(ParseToken("cft" + kId + "_" + kSecret));
  EXPECT_FALSE(ParseToken("cft_" + kId + kSecret + "A"));  // right length, no 2nd separator
  EXPECT_FALSE(ParseToken("cft__" + kId + "_" + kSecret));
  EXPECT_FALSE(ParseToken("cft_" + kId + "__" + kSecret));
  EXPECT_FALSE(ParseToken("_cft_" + kId + "_" + kSecret));
  EXPECT_FALSE(ParseToken("cft_" + kId + "_" + kSecret + "_"));
  EXPECT_FALSE(ParseToken("cft-" + kId + "-" + kSecret));
  EXPECT_FALSE(ParseToken(" " + kGood));
  EXPECT_FALSE(ParseToken(kGood + "\n"));
}

TEST(TokenTest, HashTokenSecretIsSha256OfTheText) {
  // SHA-256("abc"), FIPS 180-2.
  EXPECT_EQ(ToHex(HashTokenSecret("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqualsTest, ComparesContentAndSize) {
  const std::vector<uint8_t> a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  EXPECT_TRUE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, c));
  EXPECT_FALSE(ConstantTimeEquals(a, d));
  EXPECT_FALSE(ConstantTimeEquals(d, a));
  EXPECT_TRUE(ConstantTimeEquals({}, {}));
}

TEST(Base64UrlTest, Rfc4648Vectors) {  // RFC 4648 section 10, without padding
  EXPECT_EQ(Encode(""), "");
  EXPECT_EQ(Encode("f"), "Zg");
  EXPECT_EQ(Encode("fo"), "Zm8");
  EXPECT_EQ(Encode("foo"), "Zm9v");
  EXPECT_EQ(Encode("foob"), "Zm9vYg");
  EXPECT_EQ(Encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Encode("foobar"), "Zm9vYmFy");
  for (const char* s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(DecodeToString(Encode(s)), s);
  }
}

TEST(Base64UrlTest, UsesTheUrlSafeAlphabet) {
  const Bytes bytes{std::byte{0xfb}, std::byte{0xff}, std::byte{0xbf}};
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");  // "+/+/" in standard base64
  EXPECT_EQ(Base64UrlEncode(Bytes{std::byte{0xfb}, std::byte{0xff}}), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_-_"), bytes);
}

TEST(Base64UrlTest, RoundTripsAllByteValues) {
  Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::byte>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    const ByteView view(all.data(), n);
    const auto decoded = Base64UrlDecode(Base64UrlEncode(view));
    ASSERT_TRUE(decoded) << n;
    EXPECT_EQ(*decoded, Bytes(view.begin(), view.end()));
  }
}

TEST(Base64UrlTest, DecodeRejectsNonCanonicalText) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));  // padding
  EXPECT_FALSE(Base64UrlDecode("Zm8="));
  EXPECT_FALSE(Base64UrlDecode("Z"));  // 6 bits cannot make a byte
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
  EXPECT_FALSE(Base64UrlDecode("Zh"));    // unused bits set ("Zg" is canonical)
  EXPECT_FALSE(Base64UrlDecode("Zm9"));   // ("Zm8" is canonical)
  EXPECT_FALSE(Base64UrlDecode("Zm+v"));  // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm/v"));
  EXPECT_FALSE(Base64UrlDecode("Zm 9v"));
}

}  // namespace
}  // namespace cf::crypto
