// SPDX-License-Identifier: Apache-2.0
// Encryption at rest of the ingest journal (format v3) and of the archive
// as `cloudfilm serve` runs it: sealed journal records, sealed blobs.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include "archive/archive.hpp"
#include "archive/ingest_journal.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "crypto/key_store.hpp"
#include "crypto/sha256.hpp"
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

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// Every file under `dir` concatenated.
std::string SlurpAll(const fs::path& dir) {
  std::string all;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) all += Slurp(e.path());
  }
  return all;
}

Result<IngestJournal::RecordRef> AppendText(IngestJournal& j, const std::string& key,
                                            const std::string& data) {
  return j.Append(key, AsBytes(data), crypto::Sha256(AsBytes(data)));
}

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
    EXPECT_TRUE(disk.starts_with("CFJRNL03"));
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
      if (e.path().extension() == ".log") segment = e.path();
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

struct Opened {
  std::unique_ptr<crypto::KeyStore> keys;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<Archive> archive;
};

// As runtime.cpp opens it with encryption on.
Opened OpenEncrypted(const fs::path& dir) {
  Opened o;
  o.keys = Keys(dir);
  auto b = store::FilesystemBlobStore::Open({dir, false});
  o.blobs = std::make_unique<store::EncryptingBlobStore>(std::move(*b), *o.keys);
  o.catalog = std::move(*catalog::OpenSqliteCatalog({dir / "catalog.sqlite"}));
  ArchiveOptions options;
  options.journal_dir = dir / "journal";
  options.checkpoint_interval = std::chrono::hours(1);
  options.keys = o.keys.get();
  options.encrypt_journal = true;
  auto a = Archive::Open(*o.catalog, *o.blobs, options);
  EXPECT_TRUE(a) << a.error().message;
  if (a) o.archive = std::move(*a);
  return o;
}

TEST(EncryptedArchiveTest, AProcessThatDiesLosesNothingAndLeavesNoPlaintext) {
  cf::testing::TempDir dir;
  std::vector<Bytes> objects;
  for (int i = 0; i < 8; ++i) {
    objects.push_back(cf::testing::DicomBuilder()
                          .Sop("1.2.3.77." + std::to_string(i + 1))
                          .Patient("PID" + kMarker, kMarker)
                          .Pixels(32 + i, 32)
                          .Build());
  }
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

}  // namespace
}  // namespace cf::archive
