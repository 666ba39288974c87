// SPDX-License-Identifier: Apache-2.0
#include "store/encrypting_blob_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "store/filesystem_blob_store.hpp"
#include "support/temp_dir.hpp"

namespace cf::store {
namespace {
namespace fs = std::filesystem;

const std::string kSecret = "PATIENT^MARKER^7f3a 李四 " + std::string(10000, 'q');

// One "process": the key store and the encrypting store over a folder.
struct Opened {
  std::unique_ptr<crypto::KeyStore> keys;
  std::unique_ptr<EncryptingBlobStore> store;
};

Opened Open(const fs::path& root, uint8_t master = 1) {
  Bytes m(crypto::kAeadKeyBytes, std::byte{master});
  Opened o;
  o.keys = *crypto::KeyStore::Open(root / "keys", *crypto::MakeLocalKeyProvider(m, "test"));
  auto inner = FilesystemBlobStore::Open({root, true});
  EXPECT_TRUE(inner);
  o.store = std::make_unique<EncryptingBlobStore>(std::move(*inner), *o.keys);
  return o;
}

std::string FileText(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST(EncryptingBlobStoreTest, RoundTripAndNothingPlainOnDisk) {
  cf::testing::TempDir dir;
  auto o = Open(dir.Path());
  ASSERT_TRUE(o.store->Put("2026/a.dcm", AsBytes(kSecret)));
  auto back = o.store->Get("2026/a.dcm");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(std::string(AsChars(*back)), kSecret);
  const std::string on_disk = FileText(dir.Path() / "blobs/2026/a.dcm");
  EXPECT_EQ(on_disk.size(), kSecret.size() + kSealedBlobOverhead);
  EXPECT_TRUE(on_disk.starts_with("CFX1"));
  EXPECT_EQ(on_disk.find("MARKER"), std::string::npos);
  EXPECT_EQ(on_disk.find("李四"), std::string::npos);
  EXPECT_EQ(*o.store->Size("2026/a.dcm"), on_disk.size());
  // An empty blob round-trips too.
  ASSERT_TRUE(o.store->Put("2026/empty.dcm", {}));
  auto empty = o.store->Get("2026/empty.dcm");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(EncryptingBlobStoreTest, ABlobCopiedToAnotherKeyDoesNotOpen) {
  cf::testing::TempDir dir;
  auto o = Open(dir.Path());
  ASSERT_TRUE(o.store->Put("2026/a.dcm", AsBytes(kSecret)));
  fs::copy_file(dir.Path() / "blobs/2026/a.dcm", dir.Path() / "blobs/2026/b.dcm");
  auto moved = o.store->Get("2026/b.dcm");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, ErrorCode::kInternal);
  EXPECT_NE(moved.error().message.find("cannot decrypt"), std::string::npos);
  EXPECT_TRUE(o.store->Get("2026/a.dcm"));
}

TEST(EncryptingBlobStoreTest, AlteredBlobDoesNotOpen) {
  cf::testing::TempDir dir;
  auto o = Open(dir.Path());
  ASSERT_TRUE(o.store->Put("k.dcm", AsBytes(kSecret)));
  const fs::path p = dir.Path() / "blobs/k.dcm";
  std::string bytes = FileText(p);
  bytes[100] ^= 1;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  auto r = o.store->Get("k.dcm");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot decrypt"), std::string::npos);
}

TEST(EncryptingBlobStoreTest, LegacyPlaintextBlobsStillRead) {
  cf::testing::TempDir dir;
  {
    auto plain = FilesystemBlobStore::Open({dir.Path(), true});
    ASSERT_TRUE((*plain)->Put("old/x.dcm", AsBytes(kSecret)));
  }
  auto o = Open(dir.Path());
  auto r = o.store->Get("old/x.dcm");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(std::string(AsChars(*r)), kSecret);
}

TEST(EncryptingBlobStoreTest, GetCheckedSaysWhichBlobsTheirTagProves) {
  cf::testing::TempDir dir;
  {
    auto plain = FilesystemBlobStore::Open({dir.Path(), true});
    ASSERT_TRUE((*plain)->Put("old/x.dcm", AsBytes(kSecret)));
    ASSERT_TRUE((*plain)->Put("old/tiny.dcm", AsBytes("CFX")));  // shorter than a header
    ASSERT_TRUE((*plain)->Put("old/empty.dcm", {}));
  }
  auto o = Open(dir.Path());
  ASSERT_TRUE(o.store->Put("new/a.dcm", AsBytes(kSecret)));
  ASSERT_TRUE(o.store->Put("new/empty.dcm", {}));
  auto sealed = o.store->GetChecked("new/a.dcm");
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_TRUE(sealed->authenticated);
  EXPECT_EQ(std::string(AsChars(sealed->bytes)), kSecret);
  auto sealed_empty = o.store->GetChecked("new/empty.dcm");
  ASSERT_TRUE(sealed_empty);
  EXPECT_TRUE(sealed_empty->authenticated);
  EXPECT_TRUE(sealed_empty->bytes.empty());
  auto plain = o.store->GetChecked("old/x.dcm");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->authenticated);
  EXPECT_EQ(std::string(AsChars(plain->bytes)), kSecret);
  auto tiny = o.store->GetChecked("old/tiny.dcm");
  ASSERT_TRUE(tiny) << tiny.error().message;
  EXPECT_FALSE(tiny->authenticated);
  EXPECT_EQ(AsChars(tiny->bytes), "CFX");
  auto empty = o.store->GetChecked("old/empty.dcm");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->bytes.empty());
  auto missing = o.store->GetChecked("new/none.dcm");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // Altered: an error, never bytes.
  const fs::path p = dir.Path() / "blobs/new/a.dcm";
  std::string bytes = FileText(p);
  bytes[bytes.size() - 1] ^= 0x80;  // in the tag
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  auto altered = o.store->GetChecked("new/a.dcm");
  ASSERT_FALSE(altered);
  EXPECT_EQ(altered.error().code, ErrorCode::kInternal);
}

TEST(EncryptingBlobStoreTest, WithWritesOffNewBlobsArePlainAndSealedOnesStillOpen) {
  cf::testing::TempDir dir;
  {
    auto o = Open(dir.Path());
    ASSERT_TRUE(o.store->Put("a.dcm", AsBytes(kSecret)));
  }
  Bytes m(crypto::kAeadKeyBytes, std::byte{1});
  auto keys = *crypto::KeyStore::Open(dir.Path() / "keys", *crypto::MakeLocalKeyProvider(m, "t"));
  EncryptingBlobStore off(*FilesystemBlobStore::Open({dir.Path(), true}), *keys, false);
  ASSERT_TRUE(off.Put("b.dcm", AsBytes(kSecret)));
  EXPECT_EQ(FileText(dir.Path() / "blobs/b.dcm"), kSecret);
  EXPECT_TRUE(off.Get("a.dcm"));
}

TEST(EncryptingBlobStoreTest, AnotherMasterKeyCannotRead) {
  cf::testing::TempDir dir;
  {
    auto o = Open(dir.Path(), 1);
    ASSERT_TRUE(o.store->Put("a.dcm", AsBytes(kSecret)));
  }
  auto o = Open(dir.Path(), 2);
  auto r = o.store->Get("a.dcm");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot unwrap"), std::string::npos);
}

TEST(EncryptingBlobStoreTest, CryptoShreddingMakesBlobsUnreadable) {
  cf::testing::TempDir dir;
  {
    auto o = Open(dir.Path());
    ASSERT_TRUE(o.store->Put("a.dcm", AsBytes(kSecret)));
    ASSERT_TRUE(o.store->Put("b.dcm", AsBytes(kSecret)));
  }
  // Delete the tenant's data key (every key file of "default").
  for (const auto& e : fs::directory_iterator(dir.Path() / "keys")) {
    if (e.path().filename().string().starts_with("default.")) fs::remove(e.path());
  }
  // A new process, same master key.
  auto o = Open(dir.Path());
  for (const char* key : {"a.dcm", "b.dcm"}) {
    auto r = o.store->Get(key);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, ErrorCode::kInternal);
    EXPECT_NE(r.error().message.find("cannot decrypt"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("crypto-shredded"), std::string::npos) << r.error().message;
  }
  // New blobs get a new key and read back.
  ASSERT_TRUE(o.store->Put("c.dcm", AsBytes(kSecret)));
  EXPECT_TRUE(o.store->Get("c.dcm"));
}

TEST(EncryptingBlobStoreTest, PutSealedFilesBytesSealedElsewhereAsTheyAre) {
  cf::testing::TempDir dir;
  auto o = Open(dir.Path());
  // Sealed by a writer of its own (the ingest journal does this) from the
  // format's public parts: the header and the associated data.
  auto dk = o.keys->Active("default");
  ASSERT_TRUE(dk);
  Bytes sealed(kSealedBlobOverhead + kSecret.size());
  crypto::AeadNonce nonce;
  crypto::AeadTag tag;
  ASSERT_TRUE((*dk)->aead->Seal(EncryptingBlobStore::AssociatedData("2026/a.dcm"), AsBytes(kSecret),
                                std::span(sealed).subspan(kSealedBlobHeader, kSecret.size()), nonce,
                                tag));
  const auto header = EncryptingBlobStore::Header((*dk)->id, nonce);
  std::copy(header.begin(), header.end(), sealed.begin());
  std::copy(tag.begin(), tag.end(), sealed.end() - static_cast<std::ptrdiff_t>(tag.size()));
  auto put = o.store->PutSealed("2026/a.dcm", sealed);
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(FileText(dir.Path() / "blobs/2026/a.dcm"), std::string(AsChars(sealed)));
  auto back = o.store->GetChecked("2026/a.dcm");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->authenticated);
  EXPECT_EQ(std::string(AsChars(back->bytes)), kSecret);

  // What Put seals is what PutSealed takes: byte for byte the same file.
  ASSERT_TRUE(o.store->Put("2026/b.dcm", AsBytes(kSecret)));
  const std::string by_put = FileText(dir.Path() / "blobs/2026/b.dcm");
  ASSERT_TRUE(o.store->Remove("2026/b.dcm"));
  ASSERT_TRUE(o.store->PutSealed("2026/b.dcm", AsBytes(by_put)));
  EXPECT_EQ(FileText(dir.Path() / "blobs/2026/b.dcm"), by_put);
  EXPECT_EQ(std::string(AsChars(*o.store->Get("2026/b.dcm"))), kSecret);
  EXPECT_EQ(o.store->PutSealed("2026/b.dcm", AsBytes(by_put)).error().code, ErrorCode::kConflict);

  // The tag is not checked on the way in; bytes sealed for another key go
  // in but never come out.
  ASSERT_TRUE(o.store->PutSealed("2026/c.dcm", sealed));
  auto moved = o.store->GetChecked("2026/c.dcm");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, ErrorCode::kInternal);
}

TEST(EncryptingBlobStoreTest, ASealedBlobInMemoryOpensOnlyForItsKeyAndDataKey) {
  cf::testing::TempDir dir;
  auto o = Open(dir.Path());
  ASSERT_TRUE(o.store->Put("2026/a.dcm", AsBytes(kSecret)));
  const std::string file = FileText(dir.Path() / "blobs/2026/a.dcm");
  const ByteView sealed = AsBytes(file);
  auto dk = o.keys->Active("default");
  ASSERT_TRUE(dk);
  auto opened = EncryptingBlobStore::OpenSealed(**dk, "2026/a.dcm", sealed);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(std::string(AsChars(*opened)), kSecret);
  // Under another blob key: the associated data differs.
  auto moved = EncryptingBlobStore::OpenSealed(**dk, "2026/b.dcm", sealed);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, ErrorCode::kInternal);
  // Altered ciphertext.
  std::string altered = file;
  altered[kSealedBlobHeader + 5] ^= 0x01;
  auto bad = EncryptingBlobStore::OpenSealed(**dk, "2026/a.dcm", AsBytes(altered));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  // Another data key than the one its header names; not a sealed blob.
  auto other = o.keys->Active("ruijin");
  ASSERT_TRUE(other);
  ASSERT_NE((*other)->id, (*dk)->id);
  EXPECT_EQ(EncryptingBlobStore::OpenSealed(**other, "2026/a.dcm", sealed).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncryptingBlobStore::OpenSealed(**dk, "2026/a.dcm", AsBytes(kSecret)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncryptingBlobStore::OpenSealed(**dk, "2026/a.dcm", sealed.first(kSealedBlobHeader))
                .error()
                .code,
            ErrorCode::kInvalidArgument);
}

TEST(EncryptingBlobStoreTest, PutSealedRefusesWhatPutWouldNotHaveWritten) {
  cf::testing::TempDir dir;
  auto o = Open(dir.Path());
  ASSERT_TRUE(o.store->Put("2026/a.dcm", AsBytes(kSecret)));
  const std::string sealed = FileText(dir.Path() / "blobs/2026/a.dcm");

  // A store that does not seal.
  auto plain = FilesystemBlobStore::Open({dir.Path() / "plain", true});
  ASSERT_TRUE(plain);
  EXPECT_EQ((*plain)->PutSealed("2026/x.dcm", AsBytes(sealed)).error().code,
            ErrorCode::kUnsupported);
  // Writes in plaintext (encryption turned off).
  EncryptingBlobStore off(*FilesystemBlobStore::Open({dir.Path() / "off", true}), *o.keys, false);
  EXPECT_EQ(off.PutSealed("2026/x.dcm", AsBytes(sealed)).error().code, ErrorCode::kUnsupported);
  // Not a sealed blob, or not a blob key.
  EXPECT_EQ(o.store->PutSealed("2026/x.dcm", AsBytes(kSecret)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(o.store->PutSealed("../x.dcm", AsBytes(sealed)).error().code,
            ErrorCode::kInvalidArgument);
  // Sealed under a key that is no longer the tenant's active one: Put seals
  // it under the new one instead.
  ASSERT_TRUE(o.keys->Rotate("default"));
  EXPECT_EQ(o.store->PutSealed("2026/x.dcm", AsBytes(sealed)).error().code,
            ErrorCode::kUnsupported);
  // Nothing was written by any refusal.
  EXPECT_EQ(o.store->Size("2026/x.dcm").error().code, ErrorCode::kNotFound);
  EXPECT_EQ((*plain)->Size("2026/x.dcm").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(off.Size("2026/x.dcm").error().code, ErrorCode::kNotFound);
  // Another tenant's key never seals this tenant's blob.
  auto other = o.keys->Active("ruijin");
  ASSERT_TRUE(other);
  ASSERT_TRUE(o.store->Put("ruijin/2026/a.dcm", AsBytes(kSecret)));
  const std::string sealed_for_ruijin = FileText(dir.Path() / "blobs/ruijin/2026/a.dcm");
  EXPECT_EQ(o.store->PutSealed("2026/y.dcm", AsBytes(sealed_for_ruijin)).error().code,
            ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace cf::store
