// SPDX-License-Identifier: Apache-2.0
#include "crypto/key_store.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "crypto/random.hpp"
#include "support/temp_dir.hpp"

namespace cf::crypto {
namespace {
namespace fs = std::filesystem;

std::unique_ptr<KeyProvider> Provider(uint8_t fill) {
  Bytes master(kAeadKeyBytes, std::byte{fill});
  return *MakeLocalKeyProvider(master, "test");
}

TEST(KeyStoreTest, ActiveKeyIsCreatedOnceAndFoundAgainByAnotherProcess) {
  cf::testing::TempDir dir;
  uint32_t id = 0;
  {
    auto ks = KeyStore::Open(dir.Path() / "keys", Provider(1));
    ASSERT_TRUE(ks);
    auto k = (*ks)->Active(kDefaultTenant);
    ASSERT_TRUE(k) << k.error().message;
    id = (*k)->id;
    EXPECT_NE(id, 0u);
    EXPECT_EQ((*k)->tenant, "default");
    auto again = (*ks)->Active(kDefaultTenant);
    EXPECT_EQ((*again)->id, id);
  }
  EXPECT_TRUE(fs::exists(dir.Path() / "keys" / ("default." + std::to_string(id) + ".wrapped")));
  EXPECT_TRUE(KeyStore::HasKeys(dir.Path() / "keys"));
  auto ks = KeyStore::Open(dir.Path() / "keys", Provider(1));
  auto k = (*ks)->Active(kDefaultTenant);
  ASSERT_TRUE(k);
  EXPECT_EQ((*k)->id, id);
  ASSERT_TRUE((*ks)->Find(id));
}

TEST(KeyStoreTest, AnotherMasterKeyCannotUnwrap) {
  cf::testing::TempDir dir;
  uint32_t id = 0;
  {
    auto ks = KeyStore::Open(dir.Path(), Provider(1));
    id = (*(*ks)->Active(kDefaultTenant))->id;
  }
  auto ks = KeyStore::Open(dir.Path(), Provider(2));
  auto k = (*ks)->Find(id);
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("cannot unwrap"), std::string::npos);
}

TEST(KeyStoreTest, AWrappedKeyRenamedToAnotherTenantDoesNotUnwrap) {
  cf::testing::TempDir dir;
  auto ks = KeyStore::Open(dir.Path(), Provider(1));
  const uint32_t id = (*(*ks)->Active(kDefaultTenant))->id;
  const std::string suffix = "." + std::to_string(id) + ".wrapped";
  // Renamed under the other tenant's name: the file's tenant no longer matches.
  fs::rename(dir.Path() / ("default" + suffix), dir.Path() / ("other" + suffix));
  auto fresh = KeyStore::Open(dir.Path(), Provider(1));
  EXPECT_FALSE((*fresh)->Find(id));
}

TEST(KeyStoreTest, ShreddedKeyIsNotFoundWithItsId) {
  cf::testing::TempDir dir;
  uint32_t id = 0;
  {
    auto ks = KeyStore::Open(dir.Path(), Provider(1));
    id = (*(*ks)->Active(kDefaultTenant))->id;
  }
  fs::remove(dir.Path() / ("default." + std::to_string(id) + ".wrapped"));
  auto ks = KeyStore::Open(dir.Path(), Provider(1));
  auto k = (*ks)->Find(id);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kNotFound);
  EXPECT_NE(k.error().message.find(std::to_string(id)), std::string::npos);
  // A new key for the tenant never takes the shredded id.
  auto fresh = (*ks)->Active(kDefaultTenant);
  ASSERT_TRUE(fresh);
  EXPECT_NE((*fresh)->id, id);
}

TEST(LocalKeyProviderTest, GeneratesAPrivateMasterKeyFileOnceAndReusesIt) {
  cf::testing::TempDir dir;
  ::unsetenv("CF_TEST_NO_SUCH_VAR");
  LocalMasterKeyOptions o{"CF_TEST_NO_SUCH_VAR", {}, dir.Path() / "keys" / "master.key"};
  auto p = OpenLocalKeyProvider(o);
  ASSERT_TRUE(p) << p.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(o.generated.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(fs::file_size(o.generated), 65u);
  auto wrapped = (*p)->Wrap(Bytes(32, std::byte{7}), "ctx", CryptoSuite::kDefault);
  ASSERT_TRUE(wrapped);
  auto again = OpenLocalKeyProvider(o);
  ASSERT_TRUE(again);
  auto key = (*again)->Unwrap(*wrapped, "ctx", CryptoSuite::kDefault);
  ASSERT_TRUE(key);
  EXPECT_EQ(Bytes(key->view().begin(), key->view().end()), Bytes(32, std::byte{7}));
  EXPECT_NE((*again)->Describe().find("generated"), std::string::npos);
}

TEST(LocalKeyProviderTest, EnvironmentWinsOverFilesAndBadKeysAreRefused) {
  cf::testing::TempDir dir;
  const std::string hex(64, 'a');
  ::setenv("CF_TEST_MASTER_KEY", hex.c_str(), 1);
  LocalMasterKeyOptions o{"CF_TEST_MASTER_KEY", dir.Path() / "absent", dir.Path() / "gen"};
  auto p = OpenLocalKeyProvider(o);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ((*p)->Describe(), "environment CF_TEST_MASTER_KEY");
  EXPECT_FALSE(fs::exists(dir.Path() / "gen"));
  // The description never holds the key.
  EXPECT_EQ((*p)->Describe().find(hex), std::string::npos);
  ::setenv("CF_TEST_MASTER_KEY", "abcd", 1);
  EXPECT_FALSE(OpenLocalKeyProvider(o));
  ::unsetenv("CF_TEST_MASTER_KEY");
  {
    std::ofstream f(dir.Path() / "file.key");
    f << std::string(64, 'b') << "\n";
  }
  o.file = dir.Path() / "file.key";
  auto from_file = OpenLocalKeyProvider(o);
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_NE((*from_file)->Describe().find("file.key"), std::string::npos);
  o.file = dir.Path() / "absent";
  EXPECT_FALSE(OpenLocalKeyProvider(o));
}

}  // namespace
}  // namespace cf::crypto
