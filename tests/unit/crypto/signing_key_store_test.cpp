// SPDX-License-Identifier: Apache-2.0
#include "crypto/signing_key_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace cf::crypto {
namespace {
namespace fs = std::filesystem;

std::unique_ptr<KeyProvider> Provider(uint8_t fill) {
  Bytes master(kAeadKeyBytes, std::byte{fill});
  return *MakeLocalKeyProvider(master, "test");
}

TEST(SigningKeyStoreTest, ActiveKeyIsCreatedOnceWrappedAndFoundAgainLater) {
  cf::testing::TempDir dir;
  std::string id;
  Bytes sig;
  {
    auto store = SigningKeyStore::Open(dir.Path(), Provider(1));
    ASSERT_TRUE(store);
    auto key = (*store)->Active(kLedgerKeyOwner, SignatureSuite::kEd25519);
    ASSERT_TRUE(key) << key.error().message;
    id = (*key)->key_id();
    auto again = (*store)->Active(kLedgerKeyOwner, SignatureSuite::kEd25519);
    EXPECT_EQ((*again)->key_id(), id);
    sig = *(*key)->Sign(AsBytes("tree head"));
  }
  const fs::path wrapped = dir.Path() / ("_ledger.sign." + id + ".wrapped");
  const fs::path pub = dir.Path() / ("_ledger.sign." + id + ".pub.pem");
  ASSERT_TRUE(fs::exists(wrapped));
  ASSERT_TRUE(fs::exists(pub));
  struct stat st {};
  ASSERT_EQ(::stat(wrapped.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The data-key store does not take it for one of its own.
  EXPECT_FALSE(KeyStore::HasKeys(dir.Path()));

  auto store = SigningKeyStore::Open(dir.Path(), Provider(1));
  auto key = (*store)->Active(kLedgerKeyOwner, SignatureSuite::kEd25519);
  ASSERT_TRUE(key);
  EXPECT_EQ((*key)->key_id(), id);
  auto found = (*store)->Find(id);
  ASSERT_TRUE(found);
  // Without the master key, the public key still verifies what it signed.
  auto public_key = ReadPublicSigningKey(dir.Path(), id);
  ASSERT_TRUE(public_key) << public_key.error().message;
  EXPECT_TRUE(public_key->Verify(AsBytes("tree head"), sig));
  auto listed = ListPublicSigningKeys(dir.Path(), kLedgerKeyOwner);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key_id(), id);
}

TEST(SigningKeyStoreTest, EachOwnerAndSuiteHasItsOwnKey) {
  cf::testing::TempDir dir;
  auto store = SigningKeyStore::Open(dir.Path(), Provider(1));
  auto a = (*store)->Active("ruijin", SignatureSuite::kEd25519);
  auto b = (*store)->Active("huashan", SignatureSuite::kEd25519);
  auto c = (*store)->Active("ruijin", SignatureSuite::kSm2Sm3);
  ASSERT_TRUE(a && b && c) << (c ? "" : c.error().message);
  EXPECT_NE((*a)->key_id(), (*b)->key_id());
  EXPECT_NE((*a)->key_id(), (*c)->key_id());
  EXPECT_EQ((*c)->suite(), SignatureSuite::kSm2Sm3);
  // An SM2 key survives wrapping and unwrapping too.
  auto reopened = SigningKeyStore::Open(dir.Path(), Provider(1));
  auto c2 = (*reopened)->Find((*c)->key_id());
  ASSERT_TRUE(c2) << c2.error().message;
  EXPECT_EQ((*c2)->suite(), SignatureSuite::kSm2Sm3);
  auto sig = (*c2)->Sign(AsBytes("manifest"));
  EXPECT_TRUE((*c)->public_key().Verify(AsBytes("manifest"), *sig));
  EXPECT_FALSE((*store)->Active("Bad Owner", SignatureSuite::kEd25519));
}

TEST(SigningKeyStoreTest, AnotherMasterKeyOrARenamedFileCannotUnwrap) {
  cf::testing::TempDir dir;
  std::string id;
  {
    auto store = SigningKeyStore::Open(dir.Path(), Provider(1));
    id = (*(*store)->Active("ruijin", SignatureSuite::kEd25519))->key_id();
  }
  auto other = SigningKeyStore::Open(dir.Path(), Provider(2));
  auto r = (*other)->Find(id);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot unwrap"), std::string::npos) << r.error().message;

  fs::rename(dir.Path() / ("ruijin.sign." + id + ".wrapped"),
             dir.Path() / ("huashan.sign." + id + ".wrapped"));
  auto store = SigningKeyStore::Open(dir.Path(), Provider(1));
  EXPECT_FALSE((*store)->Find(id));
}

TEST(SigningKeyStoreTest, APublicKeyFileHoldingAnotherKeyIsRefused) {
  cf::testing::TempDir dir;
  auto store = SigningKeyStore::Open(dir.Path(), Provider(1));
  auto a = (*store)->Active("ruijin", SignatureSuite::kEd25519);
  auto b = (*store)->Active("huashan", SignatureSuite::kEd25519);
  ASSERT_TRUE(a && b);
  // Swap in huashan's public key under ruijin's key id.
  const fs::path pub = dir.Path() / ("ruijin.sign." + (*a)->key_id() + ".pub.pem");
  fs::remove(pub);
  std::ofstream(pub) << (*b)->public_key().ToPem();
  auto r = ReadPublicSigningKey(dir.Path(), (*a)->key_id());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  auto missing = ReadPublicSigningKey(dir.Path(), std::string(64, '0'));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cf::crypto
