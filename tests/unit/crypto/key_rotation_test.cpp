// SPDX-License-Identifier: Apache-2.0
// Data-key rotation, suites per tenant, retiring keys and master-key
// rotation (re-wrapping), including a re-wrap interrupted half-way.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "crypto/key_store.hpp"
#include "crypto/signing_key_store.hpp"
#include "support/temp_dir.hpp"

namespace cf::crypto {
namespace {
namespace fs = std::filesystem;

std::unique_ptr<KeyProvider> Provider(uint8_t fill) {
  Bytes master(kAeadKeyBytes, std::byte{fill});
  return *MakeLocalKeyProvider(master, "test");
}

std::unique_ptr<KeyStore> Open(const fs::path& dir, uint8_t master = 1,
                               KeyStoreOptions options = {}) {
  auto ks = KeyStore::Open(dir, Provider(master), std::move(options));
  EXPECT_TRUE(ks);
  return std::move(*ks);
}

Bytes Seal(const DataKey& k, std::string_view text) {
  return *k.aead->SealPacked(AsBytes("aad"), AsBytes(text));
}

bool Opens(const DataKey& k, const Bytes& packed) {
  Bytes out(packed.size() - kAeadOverhead);
  return k.aead->OpenPacked(AsBytes("aad"), packed, out).has_value();
}

TEST(KeyRotationTest, RotateMakesANewActiveKeyAndOldOnesStayReadable) {
  cf::testing::TempDir dir;
  auto ks = Open(dir.Path());
  auto first = *ks->Active("ruijin");
  const Bytes sealed = Seal(*first, "old object");
  auto second = ks->Rotate("ruijin");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_NE((*second)->id, first->id);
  EXPECT_EQ((*ks->Active("ruijin"))->id, (*second)->id);
  EXPECT_EQ((*ks->Active("default"))->tenant, "default");  // others untouched
  // A fresh process agrees, and still reads what the old key sealed.
  auto other = Open(dir.Path());
  EXPECT_EQ((*other->Active("ruijin"))->id, (*second)->id);
  auto old = other->Find(first->id);
  ASSERT_TRUE(old);
  EXPECT_TRUE(Opens(**old, sealed));
}

TEST(KeyRotationTest, ARunningProcessNoticesAKeyAnotherProcessCreated) {
  cf::testing::TempDir dir;
  KeyStoreOptions slow;
  slow.refresh_interval = std::chrono::hours(1);  // only the folder's change tells
  auto server = Open(dir.Path(), 1, slow);
  const uint32_t before = (*server->Active("ruijin"))->id;
  auto cli = Open(dir.Path());
  const uint32_t rotated = (*cli->Rotate("ruijin"))->id;
  EXPECT_EQ((*server->Active("ruijin"))->id, rotated);
  EXPECT_NE(before, rotated);
}

TEST(KeyRotationTest, ListShowsKeysPerTenantWithoutMaterial) {
  cf::testing::TempDir dir;
  auto ks = Open(dir.Path());
  const uint32_t a = (*ks->Active("ruijin"))->id;
  const uint32_t b = (*ks->Rotate("ruijin"))->id;
  (void)ks->Active("default");
  auto list = ks->List();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  int active = 0;
  for (const KeyInfo& k : *list) {
    if (k.id == a) {
      EXPECT_FALSE(k.active);
    }
    if (k.id == b) {
      EXPECT_TRUE(k.active);
    }
    active += k.active ? 1 : 0;
    EXPECT_GT(k.created_ms, 0u);
  }
  EXPECT_EQ(active, 2);
}

TEST(KeyRotationTest, RemoveRefusesTheActiveKeyAndForgetsARetiredOne) {
  cf::testing::TempDir dir;
  auto ks = Open(dir.Path());
  const uint32_t old_id = (*ks->Active("ruijin"))->id;
  EXPECT_EQ(ks->Remove(old_id).error().code, ErrorCode::kConflict);
  (void)ks->Rotate("ruijin");
  auto server = Open(dir.Path());
  ASSERT_TRUE(server->Find(old_id));
  ASSERT_TRUE(ks->Remove(old_id));
  EXPECT_FALSE(fs::exists(dir.Path() / ("ruijin." + std::to_string(old_id) + ".wrapped")));
  EXPECT_EQ(ks->Remove(old_id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ks->Find(old_id).error().code, ErrorCode::kNotFound);
  // Another process forgets it too once it looks at the folder again.
  (void)server->Active("ruijin");
  EXPECT_EQ(server->Find(old_id).error().code, ErrorCode::kNotFound);
}

TEST(KeyRotationTest, TenantsKeepTheirSuiteAndAChangedSettingRotatesOnce) {
  cf::testing::TempDir dir;
  {
    auto ks = Open(dir.Path());
    EXPECT_EQ((*ks->Active("xiehe"))->suite, CryptoSuite::kDefault);
  }
  KeyStoreOptions sm;
  sm.suites["xiehe"] = CryptoSuite::kSm;
  auto a = Open(dir.Path(), 1, sm);
  auto b = Open(dir.Path(), 1, sm);
  EXPECT_EQ(*a->RotateIfSuiteChanged("xiehe"), true);
  EXPECT_EQ(*b->RotateIfSuiteChanged("xiehe"), false);  // the other process did it
  auto key = *a->Active("xiehe");
  EXPECT_EQ(key->suite, CryptoSuite::kSm);
  EXPECT_EQ(key->aead->suite(), CryptoSuite::kSm);
  EXPECT_EQ((*a->Active("default"))->suite, CryptoSuite::kDefault);
  // The suite is in the key file: a process without the setting reads it.
  const Bytes sealed = Seal(*key, "sm sealed");
  auto plain = Open(dir.Path());
  auto found = plain->Find(key->id);
  ASSERT_TRUE(found);
  EXPECT_EQ((*found)->suite, CryptoSuite::kSm);
  EXPECT_TRUE(Opens(**found, sealed));
  // A rotation by a process without the setting keeps the tenant's suite.
  EXPECT_EQ((*plain->Rotate("xiehe"))->suite, CryptoSuite::kSm);
  EXPECT_FALSE(*plain->RotateIfSuiteChanged("xiehe"));
}

TEST(KeyRotationTest, SmKeysAreWrappedWithTheNationalSuite) {
  cf::testing::TempDir dir;
  KeyStoreOptions sm;
  sm.suites["xiehe"] = CryptoSuite::kSm;
  auto ks = Open(dir.Path(), 1, sm);
  const uint32_t id = (*ks->Active("xiehe"))->id;
  const fs::path file = dir.Path() / ("xiehe." + std::to_string(id) + ".wrapped");
  std::ifstream in(file, std::ios::binary);
  std::string magic(4, '\0');
  in.read(magic.data(), 4);
  EXPECT_EQ(magic, "CFK2");
  // Flipping the recorded suite makes the key unreadable, not misread.
  std::ifstream whole(file, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(whole)), std::istreambuf_iterator<char>());
  all[0] = 'C';
  all[16] = 0;  // suite byte -> default: refused as damaged (CFK2 never says default)
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << all;
  EXPECT_FALSE(Open(dir.Path())->Find(id));
}

TEST(KeyRotationTest, MasterRotationRewrapsEveryKeyAndCanBeResumed) {
  cf::testing::TempDir dir;
  KeyStoreOptions sm;
  sm.suites["xiehe"] = CryptoSuite::kSm;
  std::vector<std::pair<uint32_t, Bytes>> sealed;
  {
    auto ks = Open(dir.Path(), 1, sm);
    for (const char* t : {"default", "ruijin", "xiehe"}) {
      auto k = *ks->Active(t);
      sealed.emplace_back(k->id, Seal(*k, t));
    }
    auto r = *ks->Rotate("ruijin");
    sealed.emplace_back(r->id, Seal(*r, "rotated"));
  }
  auto old_master = Provider(1);
  auto new_master = Provider(2);
  const fs::path db = dir.Path() / "databases.wrapped";
  auto db_key = OpenOrCreateWrappedKey(*old_master, db, "ctx");
  ASSERT_TRUE(db_key);
  const std::vector<WrappedKeyFile> others = {{db, "ctx"}};

  // Interrupted after two files: some keys under each master.
  auto partial = RewrapKeyFolder(dir.Path(), *old_master, *new_master, others, 2);
  ASSERT_TRUE(partial) << partial.error().message;
  EXPECT_EQ(partial->rewrapped, 2);
  // Run again: the two are recognised, the rest finished.
  auto done = RewrapKeyFolder(dir.Path(), *old_master, *new_master, others);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->already, 2);
  EXPECT_EQ(done->rewrapped, 3);  // 4 data keys + the databases key, 2 done before
  auto again = RewrapKeyFolder(dir.Path(), *old_master, *new_master, others);
  EXPECT_EQ(again->rewrapped, 0);

  auto fresh = Open(dir.Path(), 2, sm);
  for (const auto& [id, bytes] : sealed) {
    auto k = fresh->Find(id);
    ASSERT_TRUE(k) << k.error().message;
    EXPECT_TRUE(Opens(**k, bytes));
  }
  auto db_again = OpenOrCreateWrappedKey(*new_master, db, "ctx");
  ASSERT_TRUE(db_again);
  EXPECT_TRUE(std::equal(db_key->view().begin(), db_key->view().end(), db_again->view().begin(),
                         db_again->view().end()));
  // The old master key opens nothing any more.
  EXPECT_FALSE(Open(dir.Path(), 1)->Find(sealed.front().first));
  // Neither key: refused, nothing changed.
  auto third = Provider(3);
  EXPECT_FALSE(RewrapKeyFolder(dir.Path(), *third, *Provider(4), others));
  EXPECT_TRUE(Open(dir.Path(), 2)->Find(sealed.front().first));
}

TEST(KeyRotationTest, AProcessWithTheOldMasterKeyCannotCreateKeysAfterARotation) {
  cf::testing::TempDir dir;
  auto stale = Open(dir.Path(), 1);
  const uint32_t id = (*stale->Active("ruijin"))->id;
  ASSERT_TRUE(RewrapKeyFolder(dir.Path(), *Provider(1), *Provider(2), {}));
  // It keeps working with the keys it holds...
  EXPECT_EQ((*stale->Active("ruijin"))->id, id);
  // ...but cannot add one nobody else could read.
  auto r = stale->Rotate("ruijin");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("another master key"), std::string::npos);
  // A key made under the new master key is passed over by the stale process.
  const uint32_t made = (*Open(dir.Path(), 2)->Rotate("ruijin"))->id;
  EXPECT_NE(made, id);
  auto still = stale->Active("ruijin");
  ASSERT_TRUE(still);
  EXPECT_EQ((*still)->id, id);
}

// The hospitals' and the log's signing keys live in the same folder under
// the same master key: a master rotation that left them behind would make
// the next start fail to open the log.
TEST(KeyRotationTest, AMasterRotationReWrapsSigningKeysToo) {
  cf::testing::TempDir dir;
  const Bytes message = {std::byte{'f'}, std::byte{'i'}, std::byte{'l'}, std::byte{'m'}};
  std::string ed_id, sm_id;
  Bytes ed_signature;
  {
    auto keys = *SigningKeyStore::Open(dir.Path(), Provider(1));
    auto ed = keys->Active("ruijin", SignatureSuite::kEd25519);
    auto sm = keys->Active(kLedgerKeyOwner, SignatureSuite::kSm2Sm3);
    ASSERT_TRUE(ed && sm);
    ed_id = (*ed)->key_id();
    sm_id = (*sm)->key_id();
    ed_signature = *(*ed)->Sign(message);
  }
  auto report = RewrapKeyFolder(dir.Path(), *Provider(1), *Provider(2), {});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rewrapped, 2);
  EXPECT_EQ(RewrapKeyFolder(dir.Path(), *Provider(1), *Provider(2), {})->already, 2);

  auto after = *SigningKeyStore::Open(dir.Path(), Provider(2));
  auto ed = after->Find(ed_id);
  ASSERT_TRUE(ed) << ed.error().message;
  EXPECT_TRUE((*ed)->public_key().Verify(message, ed_signature)) << "the same key, re-wrapped";
  EXPECT_EQ((*ed)->Sign(message).value(), ed_signature) << "Ed25519 signs deterministically";
  auto sm = after->Find(sm_id);
  ASSERT_TRUE(sm) << sm.error().message;
  EXPECT_TRUE((*sm)->public_key().Verify(message, *(*sm)->Sign(message)));
  EXPECT_FALSE((*SigningKeyStore::Open(dir.Path(), Provider(1)))->Find(ed_id))
      << "the old master key opens nothing any more";
}

}  // namespace
}  // namespace cf::crypto
