// SPDX-License-Identifier: Apache-2.0
#include "crypto/aead.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/random.hpp"

namespace cf::crypto {
namespace {

Aes256Gcm RandomKey() {
  Bytes key(kAeadKeyBytes);
  RandomBytes(key);
  return *Aes256Gcm::FromKey(key);
}

struct Sealed {
  Bytes ciphertext;
  AeadNonce nonce;
  AeadTag tag;
};

Sealed SealText(const Aes256Gcm& k, std::string_view aad, std::string_view text) {
  Sealed s;
  s.ciphertext.resize(text.size());
  EXPECT_TRUE(k.Seal(AsBytes(aad), AsBytes(text), s.ciphertext, s.nonce, s.tag));
  return s;
}

Result<std::string> OpenText(const Aes256Gcm& k, std::string_view aad, const Sealed& s) {
  Bytes out(s.ciphertext.size());
  auto r = k.Open(AsBytes(aad), s.nonce, s.ciphertext, s.tag, out);
  if (!r) return std::unexpected(r.error());
  return std::string(AsChars(out));
}

const std::string kText = "patient 张三 ^ ID 0042 " + std::string(5000, 'p');

TEST(AeadTest, RoundTripAndCiphertextHidesThePlaintext) {
  const Aes256Gcm k = RandomKey();
  const Sealed s = SealText(k, "blob/1", kText);
  EXPECT_EQ(std::string(AsChars(s.ciphertext)).find("张三"), std::string::npos);
  EXPECT_NE(std::string(AsChars(s.ciphertext)), kText);
  auto opened = OpenText(k, "blob/1", s);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, kText);
}

TEST(AeadTest, EachSealUsesAFreshNonce) {
  const Aes256Gcm k = RandomKey();
  const Sealed a = SealText(k, "x", kText);
  const Sealed b = SealText(k, "x", kText);
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.ciphertext, b.ciphertext);
}

TEST(AeadTest, EmptyPlaintextRoundTrips) {
  const Aes256Gcm k = RandomKey();
  const Sealed s = SealText(k, "aad", "");
  auto opened = OpenText(k, "aad", s);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "");
  EXPECT_FALSE(OpenText(k, "other", s));
}

TEST(AeadTest, TamperedCiphertextFails) {
  const Aes256Gcm k = RandomKey();
  Sealed s = SealText(k, "a", kText);
  s.ciphertext[100] ^= std::byte{1};
  auto r = OpenText(k, "a", s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_NE(r.error().message.find("cannot decrypt"), std::string::npos);
}

TEST(AeadTest, TamperedTagFails) {
  const Aes256Gcm k = RandomKey();
  Sealed s = SealText(k, "a", kText);
  s.tag[15] ^= std::byte{0x80};
  EXPECT_FALSE(OpenText(k, "a", s));
}

TEST(AeadTest, TamperedNonceFails) {
  const Aes256Gcm k = RandomKey();
  Sealed s = SealText(k, "a", kText);
  s.nonce[0] ^= std::byte{1};
  EXPECT_FALSE(OpenText(k, "a", s));
}

TEST(AeadTest, OtherAssociatedDataFails) {
  const Aes256Gcm k = RandomKey();
  const Sealed s = SealText(k, "20261128/17/aaaa.dcm", kText);
  EXPECT_TRUE(OpenText(k, "20261128/17/aaaa.dcm", s));
  EXPECT_FALSE(OpenText(k, "20261128/17/aaab.dcm", s));
  EXPECT_FALSE(OpenText(k, "", s));
}

TEST(AeadTest, WrongKeyFails) {
  const Sealed s = SealText(RandomKey(), "a", kText);
  EXPECT_FALSE(OpenText(RandomKey(), "a", s));
}

TEST(AeadTest, TruncatedCiphertextFails) {
  const Aes256Gcm k = RandomKey();
  Sealed s = SealText(k, "a", kText);
  s.ciphertext.pop_back();
  EXPECT_FALSE(OpenText(k, "a", s));
}

TEST(AeadTest, PackedRoundTripAndTamper) {
  const Aes256Gcm k = RandomKey();
  auto packed = k.SealPacked(AsBytes("ctx"), AsBytes(kText));
  ASSERT_TRUE(packed);
  ASSERT_EQ(packed->size(), kText.size() + kAeadOverhead);
  Bytes out(kText.size());
  ASSERT_TRUE(k.OpenPacked(AsBytes("ctx"), *packed, out));
  EXPECT_EQ(std::string(AsChars(out)), kText);
  EXPECT_FALSE(k.OpenPacked(AsBytes("ctx2"), *packed, out));
  (*packed)[0] ^= std::byte{1};  // the nonce
  EXPECT_FALSE(k.OpenPacked(AsBytes("ctx"), *packed, out));
}

TEST(AeadTest, KeysMustBe32Bytes) {
  Bytes short_key(16);
  auto k = Aes256Gcm::FromKey(short_key);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kInvalidArgument);
}

// Known answer: NIST GCM test vector (gcmEncryptExtIV256.rsp, Count 0 with
// PT and AAD empty is too weak; this is the McGrew-Viega test case 16).
TEST(AeadTest, MatchesAKnownAnswer) {
  auto hex = [](std::string_view h) {
    Bytes b;
    for (size_t i = 0; i + 1 < h.size(); i += 2) {
      b.push_back(static_cast<std::byte>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    }
    return b;
  };
  const Bytes key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const Bytes iv = hex("cafebabefacedbaddecaf888");
  const Bytes pt = hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449"
      "a6b525b16aedf5aa0de657ba637b39");
  const Bytes aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const Bytes ct = hex(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056"
      "828838c5f61e6393ba7a0abcc9f662");
  const Bytes tag = hex("76fc6ece0f4e1768cddf8853bb2d551b");
  auto k = Aes256Gcm::FromKey(key);
  ASSERT_TRUE(k);
  AeadNonce nonce;
  AeadTag t;
  std::copy(iv.begin(), iv.end(), nonce.begin());
  std::copy(tag.begin(), tag.end(), t.begin());
  Bytes out(ct.size());
  ASSERT_TRUE(k->Open(aad, nonce, ct, t, out));
  EXPECT_EQ(out, pt);
}

}  // namespace
}  // namespace cf::crypto
