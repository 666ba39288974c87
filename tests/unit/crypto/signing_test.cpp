// SPDX-License-Identifier: Apache-2.0
#include "crypto/signing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cf::crypto {
namespace {

Bytes Hex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string ToHexString(ByteView b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    s.push_back(kHex[static_cast<unsigned>(x) >> 4]);
    s.push_back(kHex[static_cast<unsigned>(x) & 15]);
  }
  return s;
}

// RFC 8032 section 7.1, TEST 1 to 3 (Ed25519).
struct Rfc8032Vector {
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};
constexpr Rfc8032Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(SigningTest, Ed25519MatchesRfc8032Vectors) {
  for (const auto& v : kRfc8032) {
    SCOPED_TRACE(v.public_key);
    auto key = SigningKey::FromEd25519Seed(Hex(v.secret));
    ASSERT_TRUE(key) << key.error().message;
    // The SPKI DER of an Ed25519 key is a fixed 12-byte prefix and the raw key.
    EXPECT_EQ(ToHexString(key->public_key().ToDer()),
              std::string("302a300506032b6570032100") + v.public_key);
    auto sig = key->Sign(Hex(v.message));
    ASSERT_TRUE(sig) << sig.error().message;
    EXPECT_EQ(ToHexString(*sig), v.signature);
    auto pub = VerifyingKey::FromEd25519Raw(Hex(v.public_key));
    ASSERT_TRUE(pub);
    EXPECT_TRUE(pub->Verify(Hex(v.message), Hex(v.signature)));
    EXPECT_EQ(pub->key_id(), key->key_id());
  }
}

TEST(SigningTest, Ed25519RejectsAlteredMessageOrSignature) {
  const auto& v = kRfc8032[2];
  auto pub = VerifyingKey::FromEd25519Raw(Hex(v.public_key));
  ASSERT_TRUE(pub);
  Bytes message = Hex(v.message);
  Bytes sig = Hex(v.signature);
  message[0] ^= std::byte{1};
  auto r = pub->Verify(message, sig);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  message[0] ^= std::byte{1};
  for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    Bytes bad = sig;
    bad[i] ^= std::byte{0x40};
    EXPECT_FALSE(pub->Verify(message, bad)) << "byte " << i;
  }
  EXPECT_FALSE(pub->Verify(message, ByteView(sig).first(63)));
  EXPECT_FALSE(pub->Verify(message, Bytes{}));
  auto other = VerifyingKey::FromEd25519Raw(Hex(kRfc8032[0].public_key));
  EXPECT_FALSE(other->Verify(message, sig));
}

class SigningSuiteTest : public ::testing::TestWithParam<SignatureSuite> {};

TEST_P(SigningSuiteTest, SignVerifyRoundTripAndTamperChecks) {
  auto key = SigningKey::Generate(GetParam());
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->suite(), GetParam());
  const std::string message = "{\"film\":\"1\",\"sha256\":\"abc\"}";
  auto sig = key->Sign(AsBytes(message));
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_TRUE(key->public_key().Verify(AsBytes(message), *sig));

  std::string altered = message;
  altered[3] = 'g';
  EXPECT_FALSE(key->public_key().Verify(AsBytes(altered), *sig));
  Bytes bad = *sig;
  bad[bad.size() / 2] ^= std::byte{1};
  EXPECT_FALSE(key->public_key().Verify(AsBytes(message), bad));
  Bytes truncated(sig->begin(), sig->end() - 1);
  EXPECT_FALSE(key->public_key().Verify(AsBytes(message), truncated));

  auto other = SigningKey::Generate(GetParam());
  ASSERT_TRUE(other);
  EXPECT_NE(other->key_id(), key->key_id());
  EXPECT_FALSE(other->public_key().Verify(AsBytes(message), *sig));
}

TEST_P(SigningSuiteTest, PublicKeyPemRoundTripKeepsKeyIdAndSuite) {
  auto key = SigningKey::Generate(GetParam());
  ASSERT_TRUE(key);
  const std::string pem = key->public_key().ToPem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pem;
  auto pub = VerifyingKey::FromPem(pem);
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->suite(), GetParam());
  EXPECT_EQ(pub->key_id(), key->key_id());
  EXPECT_EQ(pub->key_id().size(), 64u);
  auto sig = key->Sign(AsBytes("x"));
  EXPECT_TRUE(pub->Verify(AsBytes("x"), *sig));
  auto der = VerifyingKey::FromDer(pub->ToDer());
  ASSERT_TRUE(der);
  EXPECT_EQ(der->key_id(), key->key_id());
}

TEST_P(SigningSuiteTest, PrivateKeyPkcs8RoundTripSignsForTheSamePublicKey) {
  auto key = SigningKey::Generate(GetParam());
  ASSERT_TRUE(key);
  auto der = key->ExportPkcs8();
  ASSERT_TRUE(der) << der.error().message;
  auto back = SigningKey::FromPkcs8(der->view());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->suite(), GetParam());
  EXPECT_EQ(back->key_id(), key->key_id());
  auto sig = back->Sign(AsBytes("entry"));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->public_key().Verify(AsBytes("entry"), *sig));
}

INSTANTIATE_TEST_SUITE_P(Suites, SigningSuiteTest,
                         ::testing::Values(SignatureSuite::kEd25519, SignatureSuite::kSm2Sm3),
                         [](const auto& suite) { return std::string(SuiteName(suite.param)); });

TEST(SigningTest, Sm2SignaturesAreRandomizedDerAndBoundToTheSuite) {
  auto key = SigningKey::Generate(SignatureSuite::kSm2Sm3);
  ASSERT_TRUE(key);
  auto a = key->Sign(AsBytes("same"));
  auto b = key->Sign(AsBytes("same"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ((*a)[0], std::byte{0x30});  // DER SEQUENCE of r and s
  EXPECT_TRUE(key->public_key().Verify(AsBytes("same"), *a));
  EXPECT_TRUE(key->public_key().Verify(AsBytes("same"), *b));
}

// Made with OpenSSL's command line, which any verifier of the national
// suite can repeat: `openssl pkeyutl -sign -rawin -digest sm3
// -pkeyopt distid:1234567812345678 -inkey k.pem -in msg` over "hello sm2".
// It verifies only if Z is computed with the standard distinguishing ID.
TEST(SigningTest, Sm2VerifiesAnOpensslSignatureMadeWithTheStandardId) {
  const std::string pem =
      "-----BEGIN PUBLIC KEY-----\n"
      "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE2sEGV/h1yakXdt20sY4PKnt48QEf\n"
      "fsurQAN7WdgmMaF7/XRkeo8OvvuNaARGvDAn99R4AiYxjVb32DB2QCt6NA==\n"
      "-----END PUBLIC KEY-----\n";
  const Bytes sig =
      Hex("3045022100c8922db8c6d1cf53985d9efb019aab6ad1a6e238432810442c9c50fade492553"
          "02205b877b12ad1ecf8b645bc99ded02b8d212abd17bc3905eb32b0c8e76fda131b3");
  auto key = VerifyingKey::FromPem(pem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->suite(), SignatureSuite::kSm2Sm3);
  EXPECT_TRUE(key->Verify(AsBytes("hello sm2"), sig));
  EXPECT_FALSE(key->Verify(AsBytes("hello sm3"), sig));
}

TEST(SigningTest, ForeignOrMalformedKeysAreRefused) {
  // A P-256 public key: valid PEM, but not a suite we sign with.
  const std::string p256 =
      "-----BEGIN PUBLIC KEY-----\n"
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2Ll529X/Q8wzRqP2r22ZFngIZrVn\n"
      "N5ylrSqjuCGBp5bmbHnSfiBv+mYyK5pBIvOIwctcN2iNKIz1HtNXOwKd3w==\n"
      "-----END PUBLIC KEY-----\n";
  auto r = VerifyingKey::FromPem(p256);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(VerifyingKey::FromPem("not a key"));
  EXPECT_FALSE(VerifyingKey::FromDer(AsBytes("garbage")));
  EXPECT_FALSE(SigningKey::FromPkcs8(AsBytes("garbage")));
  EXPECT_FALSE(SigningKey::FromEd25519Seed(Bytes(31)));
  EXPECT_EQ(ParseSignatureSuite("sm2"), SignatureSuite::kSm2Sm3);
  EXPECT_EQ(ParseSignatureSuite("ed25519"), SignatureSuite::kEd25519);
  EXPECT_FALSE(ParseSignatureSuite("rsa"));
}

}  // namespace
}  // namespace cf::crypto
