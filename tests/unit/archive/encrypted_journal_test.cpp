// SPDX-License-Identifier: Apache-2.0
// Encryption at rest of the ingest journal (format v5, and v4 and v3
// segments left by earlier versions) and of the archive as `cloudfilm serve` runs it:
// sealed journal records, sealed blobs, and the blobs made from the
// records without sealing the objects again.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include "archive/archive.hpp"
#include "archive/ingest_journal.hpp"
#include "archive/materializer.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "crypto/key_store.hpp"
#include "crypto/sha256.hpp"
#include "journal_files.hpp"
#include "store/encrypting_blob_store.hpp"
#include "store/filesystem_blob_store.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"

namespace cf::archive {
namespace {
namespace fs = std::filesystem;

const std::string kMarker = "CFMARKER^SECRET^9d41";

std::unique_ptr<crypto::KeyStore> Keys(const fs::path& dir) {
  Bytes master(crypto::kAeadKeyBytes, std::byte{5});
  return *crypto::KeyStore::Open(dir / "keys", *crypto::MakeLocalKeyProvider(master, "test"));
}

using journal_test::Slurp;
// Every file under `dir` concatenated.
std::string SlurpAll(const fs::path& dir) {
  std::string all;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) all += Slurp(e.path());
  }
  return all;
}

using journal_test::AppendText;

Result<std::vector<std::pair<std::string, std::string>>> Replay(const fs::path& dir,
                                                                crypto::KeyStore* keys) {
  std::vector<std::pair<std::string, std::string>> out;
  auto r = IngestJournal::ReplayOrphans(
      dir,
      [&](std::string_view k, ByteView d) -> Result<void> {
        out.emplace_back(std::string(k), std::string(AsChars(d)));
        return {};
      },
      keys);
  if (!r) return std::unexpected(r.error());
  return out;
}

// The one segment file in `dir`.
fs::path SegmentIn(const fs::path& dir) {
  const auto segments = journal_test::JournalFiles(dir, "seg-");
  return segments.empty() ? fs::path() : segments.back();
}

// A sealed record's header check, from docs/storage-format.md: the first 4
// bytes (little endian) of SHA-256 of the header's first 48 bytes, the
// record's u64 offset (from version 4), the segment's salt (from version 5:
// the 16 bytes after its magic) and the key.
uint32_t HeaderCheck(int version, const std::byte* header, uint64_t offset, std::string_view key,
                     std::string_view salt = {}) {
  crypto::Sha256Hasher h;
  h.Update(ByteView(header, 48));
  if (version >= 4) {
    std::byte le[8];
    StoreLe(le, offset, 8);
    h.Update(ByteView(le, 8));
  }
  if (version >= 5) h.Update(AsBytes(salt));
  h.Update(AsBytes(key));
  return static_cast<uint32_t>(LoadLe(reinterpret_cast<const std::byte*>(h.Finish().data()), 4));
}

TEST(EncryptedJournalTest, RecordsAreSealedReadBackAndReplayed) {
  cf::testing::TempDir dir;
  auto keys = Keys(dir.Path());
  const std::string big = kMarker + std::string(70000, 'z') + kMarker;
  {
    IngestJournal::Options options{dir.Path() / "journal"};
    options.keys = keys.get();
    auto j = IngestJournal::Open(options);
    ASSERT_TRUE(j);
    auto a = AppendText(**j, "a/1", kMarker);
    ASSERT_TRUE(a) << a.error().message;
    auto b = AppendText(**j, "a/2", big);
    ASSERT_TRUE(b);
    ASSERT_TRUE(AppendText(**j, "a/3", ""));
    auto read = IngestJournal::Read(*b);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(std::string(AsChars(*read)), big);
    const std::string disk = SlurpAll(dir.Path() / "journal");
    EXPECT_TRUE(disk.starts_with("CFJRNL05"));
    EXPECT_EQ(disk.find("CFMARKER"), std::string::npos);
    EXPECT_EQ(disk.find("zzzzzzzz"), std::string::npos);
  }  // a crash: no seal, no remove
  // Without the keys the segment is refused and kept.
  auto refused = Replay(dir.Path() / "journal", nullptr);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("encrypted"), std::string::npos);
  auto records = Replay(dir.Path() / "journal", keys.get());
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0], (std::pair<std::string, std::string>{"a/1", kMarker}));
  EXPECT_EQ((*records)[1].second, big);
  EXPECT_EQ((*records)[2], (std::pair<std::string, std::string>{"a/3", ""}));
}

TEST(EncryptedJournalTest, ARecordCopiedToAnotherPositionIsNotReplayed) {
  cf::testing::TempDir dir;
  auto keys = Keys(dir.Path());
  fs::path segment;
  {
    IngestJournal::Options options{dir.Path()};
    options.keys = keys.get();
    auto j = IngestJournal::Open(options);
    ASSERT_TRUE(AppendText(**j, "k/1", "one"));
    ASSERT_TRUE(AppendText(**j, "k/1", "two"));  // same key: only the position differs
    for (const auto& e : fs::directory_iterator(dir.Path())) {
      if (e.path().filename().string().starts_with("seg-")) segment = e.path();
    }
  }
  ASSERT_FALSE(segment.empty());
  // Record 1 (offset 4096) copied over record 2 (offset 8192).
  std::string bytes = Slurp(segment);
  bytes.replace(8192, 4096, bytes.substr(4096, 4096));
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
  auto records = Replay(dir.Path(), keys.get());
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].second, "one");
}

TEST(EncryptedJournalTest, ARecordMovedToAnotherKeyDoesNotOpen) {
  cf::testing::TempDir dir;
  auto keys = Keys(dir.Path());
  {
    IngestJournal::Options options{dir.Path()};
    options.keys = keys.get();
    auto j = IngestJournal::Open(options);
    ASSERT_TRUE(AppendText(**j, "k/1", "one"));
    ASSERT_TRUE(AppendText(**j, "k/2", "two"));
  }
  const fs::path segment = SegmentIn(dir.Path());
  ASSERT_FALSE(segment.empty());
  const std::string original = Slurp(segment);
  // Record 2 (offset 8192) renamed to key "k/3", with a header check made
  // again for it: only the tag can tell. As a control, the same rewrite
  // with the key kept must replay, or the check would be what failed.
  for (const std::string new_key : {"k/2", "k/3"}) {
    std::string bytes = original;
    auto* header = reinterpret_cast<std::byte*>(bytes.data() + 8192);
    ASSERT_EQ(LoadLe(header + 4, 4), 3u);
    bytes.replace(8192 + 52, 3, new_key);
    StoreLe(header + 48, HeaderCheck(5, header, 8192, new_key, original.substr(8, 16)), 4);
    std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
    auto records = Replay(dir.Path(), keys.get());
    ASSERT_TRUE(records) << records.error().message;
    if (new_key == "k/2") {
      ASSERT_EQ(records->size(), 2u);
      EXPECT_EQ((*records)[1], (std::pair<std::string, std::string>{"k/2", "two"}));
    } else {
      ASSERT_EQ(records->size(), 1u);
      EXPECT_EQ((*records)[0].first, "k/1");
    }
  }
}

TEST(EncryptedJournalTest, ASealedRecordIsTheBlobOfItsKeyByteForByte) {
  cf::testing::TempDir dir;
  auto keys = Keys(dir.Path());
  const std::string key = "default/20261129/08/0a1b2c.dcm";
  const std::string data = kMarker + std::string(70001, 'z') + kMarker;
  IngestJournal::Options options{dir.Path() / "journal"};
  options.keys = keys.get();
  auto j = IngestJournal::Open(options);
  ASSERT_TRUE(j);
  auto appended =
      (*j)->Append(key, AsBytes(data), crypto::Sha256(AsBytes(data)), /*blob_buffer=*/Bytes{});
  ASSERT_TRUE(appended) << appended.error().message;
  const Bytes& blob = appended->sealed_blob;
  ASSERT_EQ(blob.size(), data.size() + store::kSealedBlobOverhead);
  EXPECT_EQ(AsChars(ByteView(blob).first(4)), "CFX1");
  EXPECT_EQ(AsChars(blob).find("CFMARKER"), std::string::npos);
  // The record on disk holds that blob's nonce, ciphertext and tag.
  const std::string segment = Slurp(SegmentIn(dir.Path() / "journal"));
  const std::string_view ciphertext =
      AsChars(ByteView(blob).subspan(store::kSealedBlobHeader, data.size()));
  EXPECT_NE(segment.find(ciphertext), std::string::npos);
  EXPECT_EQ(segment.substr(4096 + 20, 12), AsChars(ByteView(blob).subspan(8, 12)));
  EXPECT_EQ(segment.substr(4096 + 32, 16), AsChars(ByteView(blob).last(16)));
  // Read back from the segment without decrypting: the same bytes.
  auto read_back = IngestJournal::ReadSealedBlob(appended->ref);
  ASSERT_TRUE(read_back) << read_back.error().message;
  EXPECT_EQ(*read_back, blob);
  auto opened = IngestJournal::OpenSealedBlob(appended->ref, blob);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(AsChars(*opened), data);
  auto plain = IngestJournal::Read(appended->ref);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(AsChars(*plain), data);

  // The blob store files it as it is, and opens it as one of its own.
  auto inner = store::FilesystemBlobStore::Open({dir.Path(), false});
  ASSERT_TRUE(inner);
  store::EncryptingBlobStore blobs(std::move(*inner), *keys);
  auto put = blobs.PutSealed(key, blob);
  ASSERT_TRUE(put) << put.error().message;
  auto checked = blobs.GetChecked(key);
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_TRUE(checked->authenticated);
  EXPECT_EQ(crypto::Sha256(checked->bytes), crypto::Sha256(AsBytes(data)));
  // Under another key it does not open.
  const std::string other = "default/20261129/08/0a1b2d.dcm";
  ASSERT_TRUE(blobs.PutSealed(other, blob));
  auto moved = blobs.GetChecked(other);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, ErrorCode::kInternal);
  // A plaintext journal has no sealed blob to give.
  auto plain_journal = IngestJournal::Open({dir.Path() / "plain"});
  auto unsealed =
      (*plain_journal)
          ->Append(key, AsBytes(data), crypto::Sha256(AsBytes(data)), /*blob_buffer=*/Bytes{});
  ASSERT_TRUE(unsealed);
  EXPECT_TRUE(unsealed->sealed_blob.empty());
  EXPECT_EQ(IngestJournal::ReadSealedBlob(unsealed->ref).error().code, ErrorCode::kInvalidArgument);

  // Into a buffer handed in (a spare from the materializer), whatever it
  // held: the same blob, in that buffer's memory.
  Bytes spare(blob.size() + 4096, std::byte{0x5a});
  const std::byte* spare_memory = spare.data();
  auto again = (*j)->Append("default/20261129/08/0a1b2e.dcm", AsBytes(data),
                            crypto::Sha256(AsBytes(data)), std::move(spare));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->sealed_blob.data(), spare_memory);
  ASSERT_EQ(again->sealed_blob.size(), blob.size());
  auto reopened = IngestJournal::OpenSealedBlob(again->ref, again->sealed_blob);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(AsChars(*reopened), data);
}

// A version 3 segment, as the previous version wrote it, from the format
// in docs/storage-format.md: records sealed with "cloudfilm-journal-v3\0",
// the record's offset and its key as associated data.
void WriteV3Segment(const fs::path& path, crypto::KeyStore& keys,
                    const std::vector<std::pair<std::string, std::string>>& records) {
  auto dk = keys.Active("default");
  ASSERT_TRUE(dk);
  std::string file = "CFJRNL03";
  file.resize(4096, '\0');
  for (const auto& [key, data] : records) {
    const uint64_t offset = file.size();
    static constexpr std::string_view kLabel{"cloudfilm-journal-v3", 21};
    Bytes aad(kLabel.size() + 8 + key.size());
    std::memcpy(aad.data(), kLabel.data(), kLabel.size());
    StoreLe(aad.data() + kLabel.size(), offset, 8);
    std::memcpy(aad.data() + kLabel.size() + 8, key.data(), key.size());
    Bytes ciphertext(data.size());
    crypto::AeadNonce nonce;
    crypto::AeadTag tag;
    ASSERT_TRUE((*dk)->aead->Seal(aad, AsBytes(data), ciphertext, nonce, tag));
    std::byte header[52];
    StoreLe(header, 0x454a4643, 4);
    StoreLe(header + 4, key.size(), 4);
    StoreLe(header + 8, data.size(), 8);
    StoreLe(header + 16, (*dk)->id, 4);
    std::memcpy(header + 20, nonce.data(), nonce.size());
    std::memcpy(header + 32, tag.data(), tag.size());
    StoreLe(header + 48, HeaderCheck(3, header, offset, key), 4);
    file += AsChars(ByteView(header, 52));
    file += key;
    file += AsChars(ciphertext);
    file.resize((file.size() + 4095) / 4096 * 4096, '\0');
  }
  file.resize(file.size() + 8192, '\0');  // the preallocated rest
  std::ofstream(path, std::ios::binary) << file;
}

TEST(EncryptedJournalTest, Version3SegmentsOfAnEarlierVersionStillReplay) {
  cf::testing::TempDir dir;
  auto keys = Keys(dir.Path());
  const fs::path journal = dir.Path() / "journal";
  fs::create_directories(journal);
  const std::string big = kMarker + std::string(5000, 'v');
  WriteV3Segment(journal / "seg-4194301-1.log", *keys,
                 {{"default/a/1.dcm", kMarker}, {"default/a/2.dcm", big}});
  auto dk = keys->Active("default");
  auto in_use = IngestJournal::DataKeysInUse(journal);
  ASSERT_TRUE(in_use) << in_use.error().message;
  EXPECT_EQ(*in_use, std::set<uint32_t>{(*dk)->id});
  // A new journal in the same folder writes version 4 beside it.
  {
    IngestJournal::Options options{journal};
    options.keys = keys.get();
    auto j = IngestJournal::Open(options);
    ASSERT_TRUE(AppendText(**j, "default/b/1.dcm", "v4 record"));
  }
  auto records = Replay(journal, keys.get());
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 3u);
  std::sort(records->begin(), records->end());
  EXPECT_EQ((*records)[0], (std::pair<std::string, std::string>{"default/a/1.dcm", kMarker}));
  EXPECT_EQ((*records)[1], (std::pair<std::string, std::string>{"default/a/2.dcm", big}));
  EXPECT_EQ((*records)[2], (std::pair<std::string, std::string>{"default/b/1.dcm", "v4 record"}));
  // A v3 record keeps the v3 rules: copied to another offset, where its
  // header still checks (the v3 check leaves the offset out), it does not
  // open: its associated data binds the offset.
  const fs::path other = dir.Path() / "journal-moved";
  fs::create_directories(other);
  const fs::path moved = other / "seg-4194301-2.log";
  WriteV3Segment(moved, *keys, {{"default/c/1.dcm", "first"}, {"default/c/2.dcm", "second"}});
  std::string bytes = Slurp(moved);
  bytes.replace(8192, 4096, bytes.substr(4096, 4096));
  std::ofstream(moved, std::ios::binary | std::ios::trunc) << bytes;
  auto replayed = Replay(other, keys.get());
  ASSERT_TRUE(replayed) << replayed.error().message;
  ASSERT_EQ(replayed->size(), 1u);
  EXPECT_EQ((*replayed)[0].second, "first");
}

// The offsets of the records of a sealed segment image, walked as replay
// does.
std::vector<uint64_t> SealedRecordOffsets(const std::string& bytes) {
  std::vector<uint64_t> offsets;
  for (uint64_t off = 4096; off + 52 <= bytes.size();) {
    const auto* header = reinterpret_cast<const std::byte*>(bytes.data() + off);
    if (LoadLe(header, 4) != 0x454a4643) break;
    offsets.push_back(off);
    off += (52 + LoadLe(header + 4, 4) + LoadLe(header + 8, 8) + 4095) / 4096 * 4096;
  }
  return offsets;
}

TEST(EncryptedJournalTest, Version4SegmentsOfAnEarlierVersionStillReplay) {
  cf::testing::TempDir dir;
  auto keys = Keys(dir.Path());
  const fs::path journal = dir.Path() / "journal";
  {
    IngestJournal::Options options{journal};
    options.keys = keys.get();
    auto j = IngestJournal::Open(options);
    ASSERT_TRUE(AppendText(**j, "default/a/1.dcm", kMarker));
    ASSERT_TRUE(AppendText(**j, "default/a/2.dcm", std::string(9000, 'w')));
  }
  // What the previous version wrote for the same records: magic CFJRNL04,
  // no salt, header checks without it (docs/storage-format.md).
  const fs::path segment = SegmentIn(journal);
  std::string bytes = Slurp(segment);
  ASSERT_TRUE(bytes.starts_with("CFJRNL05"));
  const std::vector<uint64_t> offsets = SealedRecordOffsets(bytes);
  ASSERT_EQ(offsets.size(), 2u);
  bytes.replace(0, 24, std::string("CFJRNL04") + std::string(16, '\0'));
  for (const uint64_t off : offsets) {
    auto* header = reinterpret_cast<std::byte*>(bytes.data() + off);
    const std::string key = bytes.substr(off + 52, LoadLe(header + 4, 4));
    StoreLe(header + 48, HeaderCheck(4, header, off, key), 4);
  }
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
  auto in_use = IngestJournal::DataKeysInUse(journal);
  ASSERT_TRUE(in_use) << in_use.error().message;
  EXPECT_EQ(in_use->size(), 1u);
  auto records = Replay(journal, keys.get());
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0], (std::pair<std::string, std::string>{"default/a/1.dcm", kMarker}));
  EXPECT_EQ((*records)[1].second, std::string(9000, 'w'));
}

// A checkpointed segment is reused with a new salt; the records of its
// earlier use, still in the file past the new ones and each well formed
// for its old salt, are not replayed.
TEST(EncryptedJournalTest, AReusedSegmentReplaysOnlyItsNewRecords) {
  cf::testing::TempDir dir;
  auto keys = Keys(dir.Path());
  const fs::path journal = dir.Path() / "journal";
  IngestJournal::Options options{journal, 64 * 1024};
  options.keys = keys.get();
  const std::string bytes = journal_test::ReuseASegmentThenCrash(options, "default/");
  EXPECT_TRUE(bytes.starts_with("CFJRNL05"));
  EXPECT_EQ(SealedRecordOffsets(bytes).size(), 5u)
      << "the earlier records should still be in the file, or this test proves nothing";
  auto records = Replay(journal, keys.get());
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0],
            (std::pair<std::string, std::string>{"default/new/0", std::string(3000, 'n')}));
}

TEST(EncryptedJournalTest, ReplayWithoutTheDataKeyFailsAndNamesIt) {
  cf::testing::TempDir dir;
  {
    auto keys = Keys(dir.Path());
    IngestJournal::Options options{dir.Path() / "journal"};
    options.keys = keys.get();
    auto j = IngestJournal::Open(options);
    ASSERT_TRUE(AppendText(**j, "k", kMarker));
  }
  for (const auto& e : fs::directory_iterator(dir.Path() / "keys")) {
    if (e.path().extension() == ".wrapped") fs::remove(e.path());
  }
  auto keys = Keys(dir.Path());
  auto r = Replay(dir.Path() / "journal", keys.get());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("crypto-shredded"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::is_empty(dir.Path() / "journal"));
}

TEST(EncryptedJournalTest, PlaintextSegmentsOfEarlierVersionsStillReplay) {
  cf::testing::TempDir dir;
  {
    auto j = IngestJournal::Open({dir.Path()});
    ASSERT_TRUE(AppendText(**j, "old", "v2 record"));
  }
  auto keys = Keys(dir.Path() / "k");
  auto records = Replay(dir.Path(), keys.get());
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].second, "v2 record");
}

// The materializer hands the filing function the sealed blob it kept (or
// read back beyond its budget) and serves reads of the pending object from it.
TEST(MaterializerTest, FilesTheSealedBlobAndServesPendingReadsFromIt) {
  for (const uint64_t budget : {uint64_t{1} << 20, uint64_t{0}}) {
    SCOPED_TRACE(budget == 0 ? "read back" : "in memory");
    cf::testing::TempDir dir;
    auto keys = Keys(dir.Path());
    IngestJournal::Options options{dir.Path() / "journal"};
    options.keys = keys.get();
    auto j = IngestJournal::Open(options);
    ASSERT_TRUE(j);
    const std::string key = "default/20261129/08/77.dcm";
    const std::string data = kMarker + std::string(9000, 'm');
    auto appended =
        (*j)->Append(key, AsBytes(data), crypto::Sha256(AsBytes(data)), /*blob_buffer=*/Bytes{});
    ASSERT_TRUE(appended) << appended.error().message;
    const Bytes sealed_blob = appended->sealed_blob;
    std::mutex mutex;
    std::condition_variable cv;
    bool release = false;
    Bytes filed;
    bool filed_sealed = false;
    Materializer m(
        [&](const std::string&, const Materializer::Object& object,
            Materializer::Pace) -> Result<void> {
          std::unique_lock lock(mutex);
          cv.wait(lock, [&] { return release; });
          filed.assign(object.bytes.begin(), object.bytes.end());
          filed_sealed = object.sealed;
          return {};
        },
        budget);
    // Lets the filing go on however the test ends (the destructor waits for it).
    struct Release {
      std::function<void()> fn;
      ~Release() { fn(); }
    } releaser{[&] {
      {
        std::lock_guard lock(mutex);
        release = true;
      }
      cv.notify_all();
    }};
    EXPECT_EQ(m.TakeCopyBuffer(sealed_blob.size()).has_value(), budget != 0);
    const uint64_t ticket =
        m.Enqueue(key, appended->ref, AsBytes(data), std::move(appended->sealed_blob));
    auto pending = m.ReadPending(key);
    ASSERT_TRUE(pending.has_value());
    ASSERT_TRUE(*pending) << pending->error().message;
    EXPECT_EQ(AsChars(**pending), data);
    releaser.fn();
    ASSERT_TRUE(m.WaitFor(ticket, std::chrono::seconds(10)));
    EXPECT_TRUE(filed_sealed);
    EXPECT_EQ(filed, sealed_blob);
    EXPECT_EQ(m.ReadBack(), budget == 0 ? 1 : 0);
    EXPECT_FALSE(m.ReadPending(key).has_value());
  }
}

struct Opened {
  std::unique_ptr<crypto::KeyStore> keys;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<Archive> archive;
};

struct EncryptedOptions {
  uint64_t memory_budget = ArchiveOptions{}.materializer_memory_budget;
  std::chrono::seconds compress_after{0};
  bool seal_blobs = true;  // false: blobs go to the filesystem store as they are
};

// As runtime.cpp opens it with encryption on.
Opened OpenEncrypted(const fs::path& dir, const EncryptedOptions& how = {}) {
  Opened o;
  o.keys = Keys(dir);
  auto b = store::FilesystemBlobStore::Open({dir, false});
  if (how.seal_blobs) {
    o.blobs = std::make_unique<store::EncryptingBlobStore>(std::move(*b), *o.keys);
  } else {
    o.blobs = std::move(*b);
  }
  o.catalog = std::move(*catalog::OpenSqliteCatalog({dir / "catalog.sqlite"}));
  ArchiveOptions options;
  options.journal_dir = dir / "journal";
  options.checkpoint_interval = std::chrono::hours(1);
  options.keys = o.keys.get();
  options.encrypt_journal = true;
  options.materializer_memory_budget = how.memory_budget;
  options.compress_after = how.compress_after;
  auto a = Archive::Open(*o.catalog, *o.blobs, options);
  EXPECT_TRUE(a) << a.error().message;
  if (a) o.archive = std::move(*a);
  return o;
}

// `count` objects <sop_root>.1, .2, ... whose patient name and ID carry
// the marker that must never appear in clear on disk, each of its own
// size (`rows` + i rows of `columns`).
std::vector<Bytes> MarkedObjects(const std::string& sop_root, int count, int rows, int columns) {
  std::vector<Bytes> objects;
  for (int i = 0; i < count; ++i) {
    objects.push_back(cf::testing::DicomBuilder()
                          .Sop(sop_root + "." + std::to_string(i + 1))
                          .Patient("PID" + kMarker, kMarker)
                          .Pixels(rows + i, columns)
                          .Build());
  }
  return objects;
}

TEST(EncryptedArchiveTest, AProcessThatDiesLosesNothingAndLeavesNoPlaintext) {
  cf::testing::TempDir dir;
  const std::vector<Bytes> objects = MarkedObjects("1.2.3.77", 8, 32, 32);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Opened o = OpenEncrypted(dir.Path());
    if (!o.archive) ::_exit(2);
    for (const auto& bytes : objects) {
      if (!o.archive->Ingest(bytes, {"test", "", "default"})) ::_exit(3);
    }
    ::_exit(0);  // like SIGKILL after the acknowledgements
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  // Before recovery: the journal (and any blob written) holds no plaintext.
  EXPECT_EQ(SlurpAll(dir.Path() / "journal").find(kMarker), std::string::npos);
  EXPECT_EQ(SlurpAll(dir.Path() / "blobs").find(kMarker), std::string::npos);

  {
    Opened o = OpenEncrypted(dir.Path());
    ASSERT_TRUE(o.archive);
    for (size_t i = 0; i < objects.size(); ++i) {
      auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                          "1.2.3.77." + std::to_string(i + 1));
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, objects[i]);
    }
    auto report = o.archive->Fsck(false);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->Clean());
  }
  EXPECT_EQ(SlurpAll(dir.Path() / "blobs").find(kMarker), std::string::npos);
  EXPECT_EQ(SlurpAll(dir.Path() / "journal").find(kMarker), std::string::npos);
}

// Waits until the materializer has filed every object acknowledged.
bool WaitFiled(Archive& archive) {
  for (int i = 0; i < 1000; ++i) {
    if (archive.Storage().backlog == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::vector<Bytes> SealOnceObjects() { return MarkedObjects("1.2.3.78", 4, 40, 33); }

struct SealOnceCase {
  const char* name;
  // 0: no room at all; kBelowASealedBlob: room for the smallest object's
  // plaintext but not for its sealed blob (a plaintext copy kept instead
  // would be sealed again when filed).
  uint64_t memory_budget;
  static constexpr uint64_t kBelowASealedBlob = 1;
};

void PrintTo(const SealOnceCase& c, std::ostream* os) { *os << c.name; }

class SealOnceTest : public ::testing::TestWithParam<SealOnceCase> {};

// With the server's default (objects filed as received, compressed a day
// later), the materializer files each blob from the journal's sealed
// record: the blob file holds the record's nonce and ciphertext, and opens
// as any blob the store sealed. Whether the sealed blob was kept in memory
// or read back from the journal beyond the memory budget.
TEST_P(SealOnceTest, BlobsFiledAsReceivedAreTheJournalRecordsSealedOnce) {
  cf::testing::TempDir dir;
  const auto objects = SealOnceObjects();
  uint64_t budget = GetParam().memory_budget;
  if (budget == SealOnceCase::kBelowASealedBlob) budget = objects[0].size();
  Opened o = OpenEncrypted(dir.Path(),
                           {.memory_budget = budget, .compress_after = std::chrono::hours(24)});
  ASSERT_TRUE(o.archive);
  for (const auto& bytes : objects) {
    auto r = o.archive->Ingest(bytes, {"test", "", "default"});
    ASSERT_TRUE(r) << r.error().message;
    // At once, most likely before the blob is filed: from the sealed copy
    // in memory, or the journal.
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"), r->sop_instance_uid);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, bytes);
  }
  ASSERT_TRUE(WaitFiled(*o.archive));
  EXPECT_EQ(o.archive->Storage().read_back, budget < objects[0].size() + store::kSealedBlobOverhead
                                                ? static_cast<int64_t>(objects.size())
                                                : 0);
  const std::string journal = SlurpAll(dir.Path() / "journal");
  auto inner = store::FilesystemBlobStore::Open({dir.Path(), false});
  ASSERT_TRUE(inner);
  store::EncryptingBlobStore check(std::move(*inner), *o.keys);
  for (size_t i = 0; i < objects.size(); ++i) {
    auto rec = o.archive->GetInstanceVersion(cf::catalog::Scope::Of("default"),
                                             "1.2.3.78." + std::to_string(i + 1));
    ASSERT_TRUE(rec) << rec.error().message;
    const std::string blob = Slurp(dir.Path() / "blobs" / rec->blob_key);
    ASSERT_EQ(blob.size(), objects[i].size() + store::kSealedBlobOverhead);
    EXPECT_TRUE(blob.starts_with("CFX1"));
    EXPECT_EQ(blob.find(kMarker), std::string::npos);
    // Sealed once: the nonce, ciphertext and tag are the journal record's.
    EXPECT_NE(journal.find(blob.substr(8, 12)), std::string::npos);
    EXPECT_NE(journal.find(blob.substr(20, objects[i].size())), std::string::npos);
    EXPECT_NE(journal.find(blob.substr(blob.size() - 16)), std::string::npos);
    auto checked = check.GetChecked(rec->blob_key);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_TRUE(checked->authenticated);
    EXPECT_EQ(crypto::Sha256(checked->bytes), crypto::Sha256(objects[i]));
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                        "1.2.3.78." + std::to_string(i + 1));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(crypto::Sha256(*back), crypto::Sha256(objects[i]));
  }
  auto report = o.archive->Fsck(false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->Clean());
}

INSTANTIATE_TEST_SUITE_P(MemoryBudget, SealOnceTest,
                         ::testing::Values(SealOnceCase{"KeptInMemory", 128ull << 20},
                                           SealOnceCase{"ReadBackFromTheJournal", 0},
                                           SealOnceCase{"NoRoomForASealedBlob",
                                                        SealOnceCase::kBelowASealedBlob}),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

// Where the blob is not filed as received, the sealed record is opened
// first: compressed right after the acknowledgement, or a blob store that
// does not take sealed blobs (here one that does not seal at all).
TEST(EncryptedArchiveTest, ObjectsNotFiledAsSealedRecordsStillReadBackExact) {
  for (const bool seal_blobs : {true, false}) {
    SCOPED_TRACE(seal_blobs ? "compressed when filed" : "a store that does not seal");
    cf::testing::TempDir dir;
    const auto objects = SealOnceObjects();
    // Budget 0: every record is read back from the journal as a sealed blob,
    // which the filing function has to open.
    Opened o =
        OpenEncrypted(dir.Path(), {.memory_budget = 0,
                                   .compress_after = std::chrono::seconds(seal_blobs ? 0 : 86400),
                                   .seal_blobs = seal_blobs});
    ASSERT_TRUE(o.archive);
    for (const auto& bytes : objects) {
      auto r = o.archive->Ingest(bytes, {"test", "", "default"});
      ASSERT_TRUE(r) << r.error().message;
    }
    ASSERT_TRUE(WaitFiled(*o.archive));
    const auto stats = o.archive->Storage();
    EXPECT_EQ(stats.read_back, static_cast<int64_t>(objects.size()));
    if (seal_blobs) {
      EXPECT_EQ(stats.compressed + stats.as_received, 4);
    }
    for (size_t i = 0; i < objects.size(); ++i) {
      auto rec = o.archive->GetInstanceVersion(cf::catalog::Scope::Of("default"),
                                               "1.2.3.78." + std::to_string(i + 1));
      ASSERT_TRUE(rec);
      const std::string blob = Slurp(dir.Path() / "blobs" / rec->blob_key);
      if (!seal_blobs) {
        EXPECT_EQ(blob, std::string(AsChars(objects[i])));
      }
      auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                          "1.2.3.78." + std::to_string(i + 1));
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, objects[i]);
    }
  }
}

}  // namespace
}  // namespace cf::archive
