// SPDX-License-Identifier: Apache-2.0
#include "ledger/tree_head.hpp"

#include <gtest/gtest.h>

namespace cf::ledger {
namespace {

TreeHead Head() {
  return TreeHead{
      8, 1764390000123,
      *crypto::Sha256FromHex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")};
}

TEST(TreeHeadTest, SignedInputIsRfc6962TreeHeadSignature) {
  const Bytes in = TreeHeadSignatureInput(Head());
  ASSERT_EQ(in.size(), 50u);
  EXPECT_EQ(HexOf(ByteView(in).first(18)),
            "0001"                // v1, tree_hash
            "0000019acdd6d5fb"    // timestamp 1764390000123, big endian
            "0000000000000008");  // tree size
  EXPECT_EQ(HexOf(ByteView(in).subspan(18)),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
}

class TreeHeadSuiteTest : public ::testing::TestWithParam<crypto::SignatureSuite> {};

TEST_P(TreeHeadSuiteTest, SignVerifyAndJsonRoundTrip) {
  auto key = crypto::SigningKey::Generate(GetParam());
  ASSERT_TRUE(key);
  auto sth = SignTreeHead(Head(), *key);
  ASSERT_TRUE(sth) << sth.error().message;
  EXPECT_TRUE(VerifyTreeHead(*sth, key->public_key()));

  const std::string json = ToJson(*sth);
  EXPECT_NE(json.find("\"time\": \"2025-11-29T04:20:00.123Z\""), std::string::npos) << json;
  auto back = SignedTreeHeadFromJson(json);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->head.tree_size, 8u);
  EXPECT_EQ(back->head.timestamp_ms, 1764390000123);
  EXPECT_EQ(back->head.root_hash, Head().root_hash);
  EXPECT_EQ(back->key_id, key->key_id());
  EXPECT_EQ(back->suite, GetParam());
  EXPECT_TRUE(VerifyTreeHead(*back, key->public_key()));
}

TEST_P(TreeHeadSuiteTest, AnyChangedFieldFailsVerification) {
  auto key = crypto::SigningKey::Generate(GetParam());
  const SignedTreeHead good = *SignTreeHead(Head(), *key);
  auto changed = [&](auto&& change) {
    SignedTreeHead s = good;
    change(s);
    return VerifyTreeHead(s, key->public_key());
  };
  EXPECT_FALSE(changed([](SignedTreeHead& s) { s.head.tree_size = 7; }));
  EXPECT_FALSE(changed([](SignedTreeHead& s) { s.head.timestamp_ms += 1; }));
  EXPECT_FALSE(changed([](SignedTreeHead& s) { s.head.root_hash[31] ^= 1; }));
  EXPECT_FALSE(changed([](SignedTreeHead& s) { s.signature[10] ^= std::byte{1}; }));
  EXPECT_FALSE(changed([](SignedTreeHead& s) { s.key_id[0] = s.key_id[0] == 'a' ? 'b' : 'a'; }));
  auto other = crypto::SigningKey::Generate(GetParam());
  EXPECT_FALSE(VerifyTreeHead(good, other->public_key()));
}

INSTANTIATE_TEST_SUITE_P(Suites, TreeHeadSuiteTest,
                         ::testing::Values(crypto::SignatureSuite::kEd25519,
                                           crypto::SignatureSuite::kSm2Sm3),
                         [](const auto& suite) {
                           return std::string(crypto::SuiteName(suite.param));
                         });

TEST(TreeHeadTest, MalformedJsonNamesTheField) {
  auto key = crypto::SigningKey::Generate(crypto::SignatureSuite::kEd25519);
  const std::string json = ToJson(*SignTreeHead(Head(), *key));
  EXPECT_FALSE(SignedTreeHeadFromJson("[]"));
  EXPECT_FALSE(SignedTreeHeadFromJson("{"));
  for (const char* field :
       {"tree_size", "timestamp", "sha256_root_hash", "signature_suite", "key_id", "signature"}) {
    std::string broken = json;
    const auto at = broken.find(std::string("\"") + field + "\"");
    ASSERT_NE(at, std::string::npos);
    broken.replace(at + 1, 1, "X");
    auto r = SignedTreeHeadFromJson(broken);
    ASSERT_FALSE(r) << field;
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace cf::ledger
