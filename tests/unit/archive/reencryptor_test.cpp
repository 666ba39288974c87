// SPDX-License-Identifier: Apache-2.0
// Re-encryption after a data-key rotation (reencryptor.hpp), retiring the
// old key (key_usage.hpp), and tenants of the national crypto suite.
#include "archive/reencryptor.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "archive/archive.hpp"
#include "archive/ingest_journal.hpp"
#include "archive/key_usage.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "crypto/key_store.hpp"
#include "crypto/sha256.hpp"
#include "store/encrypting_blob_store.hpp"
#include "store/filesystem_blob_store.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "sync_fails_once.hpp"

namespace cf::archive {
namespace {
namespace fs = std::filesystem;

const std::string kMarker = "CFMARKER^ROTATE^51c2";

struct Opened {
  std::unique_ptr<crypto::KeyStore> keys;
  testing::SyncFailsOnce* disk = nullptr;  // the store under the sealing one
  store::EncryptingBlobStore* sealed = nullptr;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<Archive> archive;
};

Opened OpenArchive(const fs::path& dir, bool encrypt = true, crypto::KeyStoreOptions ko = {}) {
  Opened o;
  Bytes master(crypto::kAeadKeyBytes, std::byte{9});
  o.keys = *crypto::KeyStore::Open(dir / "keys", *crypto::MakeLocalKeyProvider(master, "test"),
                                   std::move(ko));
  auto inner = std::make_unique<testing::SyncFailsOnce>(
      std::unique_ptr<store::BlobStore>(std::move(*store::FilesystemBlobStore::Open({dir, true}))));
  o.disk = inner.get();
  auto sealed = std::make_unique<store::EncryptingBlobStore>(std::move(inner), *o.keys, encrypt);
  o.sealed = sealed.get();
  o.blobs = std::move(sealed);
  o.catalog = std::move(*catalog::OpenSqliteCatalog({dir / "catalog.sqlite"}));
  ArchiveOptions options;
  options.compression = false;  // blobs as received: the marker is easy to look for
  options.keys = o.keys.get();
  auto a = Archive::Open(*o.catalog, *o.blobs, options);
  EXPECT_TRUE(a) << a.error().message;
  o.archive = std::move(*a);
  return o;
}

std::string SlurpAll(const fs::path& dir) {
  std::string all;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(f), {});
  }
  return all;
}

struct Object {
  std::string tenant;
  std::string sop;
  Bytes bytes;
};

std::vector<Object> Store(Archive& archive, const std::string& tenant, int n, int first = 0) {
  std::vector<Object> objects;
  for (int i = first; i < first + n; ++i) {
    Object o{tenant, "1.2.3.88." + std::to_string(i + 1), {}};
    o.bytes = cf::testing::DicomBuilder()
                  .Sop(o.sop)
                  .Patient("PID" + kMarker, kMarker)
                  .Pixels(16 + i, 16)
                  .Build();
    auto r = archive.Ingest(o.bytes, {"test", "", tenant});
    EXPECT_TRUE(r) << r.error().message;
    objects.push_back(std::move(o));
  }
  return objects;
}

void ExpectReadsBack(Archive& archive, const std::vector<Object>& objects) {
  for (const auto& o : objects) {
    auto back = archive.ReadInstance(catalog::Scope::Of(o.tenant), o.sop);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, o.bytes);
  }
}

// Every catalogued blob's data key id.
std::map<uint32_t, int> KeysInUse(Opened& o) {
  std::map<uint32_t, int> ids;
  auto usage = SurveyKeyUsage(*o.sealed, {});
  EXPECT_TRUE(usage);
  for (const auto& [id, n] : usage->blobs) ids[id] = static_cast<int>(n);
  return ids;
}

ReencryptReport RunPass(Reencryptor& r) {
  ReencryptReport total;
  for (;;) {
    auto step = r.RunOnce(4);
    EXPECT_TRUE(step) << step.error().message;
    if (!step) return total;
    total.examined += step->examined;
    total.reencrypted += step->reencrypted;
    total.skipped += step->skipped;
    if (step->pass_done) return total;
  }
}

TEST(ReencryptorTest, RewritesOldBlobsUnderTheNewKeyThenTheOldKeyCanBeRetired) {
  cf::testing::TempDir dir;
  Opened o = OpenArchive(dir.Path());
  auto objects = Store(*o.archive, "ruijin", 5);
  auto others = Store(*o.archive, "default", 2, 10);
  const uint32_t old_id = (*o.keys->Active("ruijin"))->id;
  const uint32_t default_id = (*o.keys->Active("default"))->id;
  const uint32_t new_id = (*o.keys->Rotate("ruijin"))->id;
  // New writes use the new key at once.
  auto later = Store(*o.archive, "ruijin", 1, 20);
  EXPECT_EQ((KeysInUse(o)[new_id]), 1);
  // Still in use: refused, and the key is still there.
  auto refused = RetireDataKey(*o.sealed, dir.Path() / "journal", old_id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_NE(refused.error().message.find("5 blob"), std::string::npos);
  ASSERT_TRUE(o.keys->Find(old_id));

  Reencryptor r(*o.catalog, *o.sealed, {dir.Path() / "keys" / "reencrypt.position"});
  const ReencryptReport report = RunPass(r);
  EXPECT_EQ(report.examined, 8);
  EXPECT_EQ(report.reencrypted, 5);
  EXPECT_EQ(report.skipped, 0);
  auto in_use = KeysInUse(o);
  EXPECT_EQ(in_use.size(), 2u);
  EXPECT_EQ(in_use[new_id], 6);
  EXPECT_EQ(in_use[default_id], 2);
  ExpectReadsBack(*o.archive, objects);
  ExpectReadsBack(*o.archive, others);
  ExpectReadsBack(*o.archive, later);
  auto fsck = o.archive->Fsck(false);
  ASSERT_TRUE(fsck);
  EXPECT_TRUE(fsck->Clean());
  EXPECT_EQ(fsck->orphan_blobs, 0);

  // The active key cannot go; the old one can, and everything still reads.
  EXPECT_EQ(RetireDataKey(*o.sealed, {}, new_id).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(RetireDataKey(*o.sealed, dir.Path() / "journal", old_id));
  EXPECT_FALSE(o.keys->Find(old_id));
  ExpectReadsBack(*o.archive, objects);
  // A second pass finds nothing to do.
  EXPECT_TRUE(r.RunOnce(4)->pass_done);
}

// The new blobs are useless when they cannot be made durable: nothing
// refers to them yet, and they must not stay behind as orphans.
TEST(ReencryptorTest, APassWhoseFlushFailsLeavesNoNewBlobs) {
  cf::testing::TempDir dir;
  Opened o = OpenArchive(dir.Path());
  auto objects = Store(*o.archive, "ruijin", 3);
  ASSERT_TRUE(o.keys->Rotate("ruijin"));
  Reencryptor r(*o.catalog, *o.sealed, {dir.Path() / "keys" / "reencrypt.position"});
  o.disk->fail_next_sync = true;
  EXPECT_FALSE(r.RunOnce(4));
  auto fsck = o.archive->Fsck(false);
  ASSERT_TRUE(fsck);
  EXPECT_EQ(fsck->orphan_blobs, 0);
  EXPECT_TRUE(fsck->Clean());
  ExpectReadsBack(*o.archive, objects);
}

TEST(ReencryptorTest, ResumesFromItsPersistedPositionAfterAnInterruption) {
  cf::testing::TempDir dir;
  Opened o = OpenArchive(dir.Path());
  auto objects = Store(*o.archive, "ruijin", 6);
  (void)o.keys->Rotate("ruijin");
  const fs::path position = dir.Path() / "keys" / "reencrypt.position";
  {
    Reencryptor first(*o.catalog, *o.sealed, {position});
    auto step = first.RunOnce(2);
    ASSERT_TRUE(step);
    EXPECT_EQ(step->reencrypted, 2);
  }  // "killed" here: a new process picks up the file
  Reencryptor second(*o.catalog, *o.sealed, {position});
  const ReencryptReport rest = RunPass(second);
  EXPECT_EQ(rest.examined, 4);
  EXPECT_EQ(rest.reencrypted, 4);
  ExpectReadsBack(*o.archive, objects);
  // A new rotation starts a new pass over everything.
  const uint32_t newest = (*o.keys->Rotate("ruijin"))->id;
  const ReencryptReport again = RunPass(second);
  EXPECT_EQ(again.examined, 6);
  EXPECT_EQ(again.reencrypted, 6);
  EXPECT_EQ((KeysInUse(o)[newest]), 6);
}

TEST(ReencryptorTest, SealsBlobsWrittenBeforeEncryptionWasOn) {
  cf::testing::TempDir dir;
  std::vector<Object> objects;
  {
    Opened plain = OpenArchive(dir.Path(), /*encrypt=*/false);
    objects = Store(*plain.archive, "default", 3);
  }
  EXPECT_NE(SlurpAll(dir.Path() / "blobs").find(kMarker), std::string::npos);
  Opened o = OpenArchive(dir.Path());
  EXPECT_EQ((KeysInUse(o)[0]), 3);
  Reencryptor r(*o.catalog, *o.sealed, {});
  EXPECT_EQ(RunPass(r).reencrypted, 3);
  EXPECT_EQ(SlurpAll(dir.Path() / "blobs").find(kMarker), std::string::npos);
  EXPECT_EQ((KeysInUse(o)[0]), 0);
  ExpectReadsBack(*o.archive, objects);
}

TEST(ReencryptorTest, APlaintextBlobAlteredBeforeItIsSealedIsLeftAlone) {
  // Reads of a sealed blob of received bytes trust its tag: a plaintext blob
  // that no longer matches its SHA-256 must not become one.
  cf::testing::TempDir dir;
  std::vector<Object> objects;
  {
    Opened plain = OpenArchive(dir.Path(), /*encrypt=*/false);
    objects = Store(*plain.archive, "default", 3);
  }
  Opened o = OpenArchive(dir.Path());
  auto rec = o.archive->GetInstanceVersion(catalog::Scope::Of("default"), objects[1].sop);
  ASSERT_TRUE(rec);
  {
    const fs::path p = dir.Path() / "blobs" / rec->blob_key;
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(fs::file_size(p) / 2));
    const char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(fs::file_size(p) / 2));
    f.put(static_cast<char>(c ^ 1));
  }
  Reencryptor r(*o.catalog, *o.sealed, {});
  const ReencryptReport report = RunPass(r);
  EXPECT_EQ(report.reencrypted, 2);
  EXPECT_GE(report.skipped, 1);  // tried again by a later pass, and skipped again
  auto altered = o.archive->ReadInstance(catalog::Scope::Of("default"), objects[1].sop);
  ASSERT_FALSE(altered);
  EXPECT_EQ(altered.error().code, ErrorCode::kInternal);
  ExpectReadsBack(*o.archive, {objects[0], objects[2]});
}

TEST(ArchiveSealedReadTest, AnEntryNamingAnotherObjectsSealedBlobIsRefused) {
  // Two objects of the same size: the tag opens either blob, the size
  // matches, the SOP Instance UID in the file meta does not, and the
  // SHA-256 then refuses it.
  cf::testing::TempDir dir;
  Opened o = OpenArchive(dir.Path());
  std::vector<Object> objects;
  for (const std::string sop : {"1.2.3.77.1", "1.2.3.77.2"}) {
    Object obj{"default", sop, cf::testing::DicomBuilder().Sop(sop).Pixels(16, 16).Build()};
    ASSERT_TRUE(o.archive->Ingest(obj.bytes, {"test", "", "default"}));
    objects.push_back(std::move(obj));
  }
  ASSERT_EQ(objects[0].bytes.size(), objects[1].bytes.size());
  ASSERT_TRUE(o.archive->Checkpoint());  // the blobs are filed
  ExpectReadsBack(*o.archive, objects);
  auto a = o.archive->GetInstanceVersion(catalog::Scope::Of("default"), objects[0].sop);
  auto b = o.archive->GetInstanceVersion(catalog::Scope::Of("default"), objects[1].sop);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(o.catalog->UpdateBlob(
      {a->blob_key, b->blob_key, b->stored_size, catalog::StoredForm::kUnexamined}));
  auto swapped = o.archive->ReadInstance(catalog::Scope::Of("default"), objects[0].sop);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().code, ErrorCode::kInternal);
  // The other entry still reads its own blob.
  auto other = o.archive->ReadInstance(catalog::Scope::Of("default"), objects[1].sop);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(*other, objects[1].bytes);
}

TEST(ArchiveSealedReadTest, ASealedBlobAlteredOnDiskIsRefused) {
  cf::testing::TempDir dir;
  Opened o = OpenArchive(dir.Path());
  std::vector<Object> objects = Store(*o.archive, "default", 2);
  ASSERT_TRUE(o.archive->Checkpoint());
  auto rec = o.archive->GetInstanceVersion(catalog::Scope::Of("default"), objects[0].sop);
  ASSERT_TRUE(rec);
  {
    const fs::path p = dir.Path() / "blobs" / rec->blob_key;
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(fs::file_size(p) / 2));
    const char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(fs::file_size(p) / 2));
    f.put(static_cast<char>(c ^ 1));
  }
  auto altered = o.archive->ReadInstance(catalog::Scope::Of("default"), objects[0].sop);
  ASSERT_FALSE(altered);
  EXPECT_EQ(altered.error().code, ErrorCode::kInternal);
  ExpectReadsBack(*o.archive, {objects[1]});
}

TEST(ReencryptorTest, AnSmTenantsBlobsAreSealedWithTheNationalSuiteAndMoveToIt) {
  cf::testing::TempDir dir;
  std::vector<Object> before;
  {
    Opened o = OpenArchive(dir.Path());
    before = Store(*o.archive, "xiehe", 2);
  }
  crypto::KeyStoreOptions sm;
  sm.suites["xiehe"] = crypto::CryptoSuite::kSm;
  Opened o = OpenArchive(dir.Path(), true, sm);
  ASSERT_TRUE(*o.keys->RotateIfSuiteChanged("xiehe"));
  auto key = *o.keys->Active("xiehe");
  ASSERT_EQ(key->suite, crypto::CryptoSuite::kSm);
  auto after = Store(*o.archive, "xiehe", 2, 5);
  EXPECT_EQ(SlurpAll(dir.Path() / "blobs").find(kMarker), std::string::npos);
  EXPECT_EQ((KeysInUse(o)[key->id]), 2);
  // Both suites read back; then re-encryption moves the old ones to SM.
  ExpectReadsBack(*o.archive, before);
  ExpectReadsBack(*o.archive, after);
  Reencryptor r(*o.catalog, *o.sealed, {});
  EXPECT_EQ(RunPass(r).reencrypted, 2);
  EXPECT_EQ((KeysInUse(o)[key->id]), 4);
  ExpectReadsBack(*o.archive, before);
  // Tampering with an SM-sealed blob is detected, not returned.
  std::string victim;
  (void)o.sealed->ForEach([&](std::string_view k, uint64_t) {
    victim = std::string(k);
    return false;
  });
  const fs::path file = dir.Path() / "blobs" / victim;
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(40);
  const char c = static_cast<char>(f.get());
  f.seekp(40);
  f.put(static_cast<char>(c ^ 1));
  f.close();
  auto tampered = o.sealed->Get(victim);
  ASSERT_FALSE(tampered);
  EXPECT_NE(tampered.error().message.find("cannot decrypt"), std::string::npos);
}

TEST(ReencryptorTest, JournalRecordsNotYetCheckpointedKeepTheirKeyFromRetirement) {
  cf::testing::TempDir dir;
  Opened o = OpenArchive(dir.Path());
  const uint32_t old_id = (*o.keys->Active("ruijin"))->id;
  IngestJournal::Options options{dir.Path() / "journal"};
  options.keys = o.keys.get();
  auto journal = IngestJournal::Open(options);
  ASSERT_TRUE(journal);
  const std::string data = "journal record " + kMarker;
  ASSERT_TRUE((*journal)->Append("ruijin/20261129/08/aa.dcm", AsBytes(data),
                                 crypto::Sha256(AsBytes(data))));
  const uint32_t new_id = (*o.keys->Rotate("ruijin"))->id;
  ASSERT_TRUE((*journal)->Append("ruijin/20261129/08/bb.dcm", AsBytes(data),
                                 crypto::Sha256(AsBytes(data))));
  auto in_use = IngestJournal::DataKeysInUse(dir.Path() / "journal");
  ASSERT_TRUE(in_use);
  EXPECT_EQ(*in_use, (std::set<uint32_t>{old_id, new_id}));
  auto refused = RetireDataKey(*o.sealed, dir.Path() / "journal", old_id);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("journal"), std::string::npos);
  // Once checkpointed (the segments removed), the key can go.
  (*journal)->Remove((*journal)->Seal());
  EXPECT_TRUE(RetireDataKey(*o.sealed, dir.Path() / "journal", old_id));
}

}  // namespace
}  // namespace cf::archive
