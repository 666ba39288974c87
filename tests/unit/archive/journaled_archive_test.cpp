// SPDX-License-Identifier: Apache-2.0
// The archive as `cloudfilm serve` runs it: durable by its ingest journal,
// blob files written afterwards by the materializer.
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <utility>

#include <gtest/gtest.h>
#include "archive/archive.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "journal_files.hpp"
#include "store/filesystem_blob_store.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "sync_fails_once.hpp"

namespace cf::archive {
namespace {

namespace fs = std::filesystem;
using cf::testing::DicomBuilder;
const IngestSource kTest{"test", "", "default"};

struct Opened {
  std::unique_ptr<store::FilesystemBlobStore> blobs;
  // With `flaky`: over `blobs`, what the archive writes to.
  std::unique_ptr<testing::SyncFailsOnce> flaky;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<Archive> archive;
};

// As runtime.cpp opens it: unsynced blobs and catalog, synced journal. The
// background checkpoint is slowed down so that the test decides when.
Opened OpenJournaled(const fs::path& dir, bool compress_after_ack = true, bool flaky = false) {
  Opened o;
  auto b = store::FilesystemBlobStore::Open({dir, false});
  EXPECT_TRUE(b);
  o.blobs = std::move(*b);
  if (flaky) o.flaky = std::make_unique<testing::SyncFailsOnce>(*o.blobs);
  auto c = catalog::OpenSqliteCatalog({dir / "catalog.sqlite"});
  EXPECT_TRUE(c);
  o.catalog = std::move(*c);
  ArchiveOptions options;
  options.journal_dir = dir / "journal";
  options.checkpoint_interval = std::chrono::hours(1);
  options.compress_after_ack = compress_after_ack;
  store::BlobStore& blobs = flaky ? static_cast<store::BlobStore&>(*o.flaky) : *o.blobs;
  auto a = Archive::Open(*o.catalog, blobs, options);
  EXPECT_TRUE(a) << a.error().message;
  o.archive = std::move(*a);
  return o;
}

std::vector<Bytes> MakeObjects(int n) {
  std::vector<Bytes> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(DicomBuilder()
                      .Sop("1.2.3.9." + std::to_string(i + 1))
                      .Pixels(32 + i, 32)  // distinct sizes, odd ones too
                      .Build());
  }
  return out;
}

int CountFiles(const fs::path& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

TEST(StagedIngestTest, ObjectsReadBackExactBeforeAndAfterTheirBlobsAreWritten) {
  cf::testing::TempDir dir;
  Opened o = OpenJournaled(dir.Path());
  const auto objects = MakeObjects(20);
  for (const auto& bytes : objects) {
    auto r = o.archive->Ingest(bytes, kTest);
    ASSERT_TRUE(r) << r.error().message;
    // At once, whether the blob is written yet or not.
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"), r->sop_instance_uid);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, bytes);
  }
  ASSERT_TRUE(o.archive->Checkpoint());
  EXPECT_EQ(journal_test::JournalFiles(dir.Path() / "journal", "seg-").size(), 0u)
      << "checkpoint keeps no segment";
  EXPECT_EQ(CountFiles(dir.Path() / "blobs"), 20);
  for (size_t i = 0; i < objects.size(); ++i) {
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                        "1.2.3.9." + std::to_string(i + 1));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, objects[i]);
  }
  auto report = o.archive->Fsck(false);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->Clean());
  EXPECT_EQ(report->instances_checked, 20);
}

TEST(StagedIngestTest, AProcessThatDiesBeforeWritingBlobsLosesNothing) {
  cf::testing::TempDir dir;
  const auto objects = MakeObjects(12);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Acknowledged (Ingest returned), then the process is gone without a
    // checkpoint or a destructor: like SIGKILL after the response.
    Opened o = OpenJournaled(dir.Path());
    for (const auto& bytes : objects) {
      if (!o.archive->Ingest(bytes, kTest)) ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  Opened o = OpenJournaled(dir.Path());  // replays the dead process's journal
  for (size_t i = 0; i < objects.size(); ++i) {
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                        "1.2.3.9." + std::to_string(i + 1));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, objects[i]);
  }
  EXPECT_EQ(journal_test::JournalFiles(dir.Path() / "journal", "seg-").size(), 0u);
  auto report = o.archive->Fsck(false);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->Clean());
}

void ExpectAllReadBackAndFsckClean(const fs::path& dir, const std::vector<Bytes>& objects) {
  Opened o = OpenJournaled(dir);  // replays the journal, rewrites lost blobs
  for (size_t i = 0; i < objects.size(); ++i) {
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                        "1.2.3.9." + std::to_string(i + 1));
    ASSERT_TRUE(back) << i << ": " << back.error().message;
    EXPECT_EQ(*back, objects[i]) << i;
  }
  auto report = o.archive->Fsck(false);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->Clean());
}

// A flush that failed may have lost blobs that a later flush, succeeding,
// does not bring back: the journal records of those objects must outlive
// the process, for the next start to write their blobs again.
TEST(StagedIngestTest, AfterAFailedFlushTheJournalIsKeptForTheNextStart) {
  cf::testing::TempDir dir;
  const auto objects = MakeObjects(8);
  {
    Opened o = OpenJournaled(dir.Path(), /*compress_after_ack=*/true, /*flaky=*/true);
    for (size_t i = 0; i < 6; ++i) ASSERT_TRUE(o.archive->Ingest(objects[i], kTest));
    o.flaky->fail_next_sync = true;
    EXPECT_FALSE(o.archive->Checkpoint());
    for (size_t i = 6; i < objects.size(); ++i) ASSERT_TRUE(o.archive->Ingest(objects[i], kTest));
    auto again = o.archive->Checkpoint();
    ASSERT_FALSE(again) << "a checkpoint went on after a failed flush";
    EXPECT_NE(again.error().message.find("earlier flush"), std::string::npos)
        << again.error().message;
    EXPECT_FALSE(o.archive->CompactOnce(16)) << "a compaction went on after a failed flush";
    EXPECT_FALSE(journal_test::JournalFiles(dir.Path() / "journal", "seg-").empty());
    // What the failed flush lost: a blob reads as zeros.
    bool damaged = false;
    for (const auto& e : fs::recursive_directory_iterator(dir.Path() / "blobs")) {
      if (!e.is_regular_file()) continue;
      const auto size = static_cast<std::streamsize>(e.file_size());
      std::ofstream(e.path(), std::ios::binary | std::ios::trunc) << std::string(size, '\0');
      damaged = true;
      break;
    }
    ASSERT_TRUE(damaged);
    o.archive.reset();  // a clean stop: its final checkpoint must not drop the journal either
    EXPECT_FALSE(journal_test::JournalFiles(dir.Path() / "journal", "seg-").empty());
  }
  ExpectAllReadBackAndFsckClean(dir.Path(), objects);
}

// The compactor's flush is the same flush: when it fails, the new blobs it
// made go, and the journal is kept from then on.
TEST(StagedIngestTest, AFailedFlushOfTheCompactorStopsCheckpoints) {
  cf::testing::TempDir dir;
  const auto objects = MakeObjects(8);
  {
    Opened o = OpenJournaled(dir.Path(), /*compress_after_ack=*/false, /*flaky=*/true);
    for (size_t i = 0; i < 7; ++i) ASSERT_TRUE(o.archive->Ingest(objects[i], kTest));
    ASSERT_TRUE(o.archive->Checkpoint());  // every blob filed, as received
    const int files = CountFiles(dir.Path() / "blobs");
    ASSERT_EQ(files, 7);
    o.flaky->fail_next_sync = true;
    auto compacted = o.archive->CompactOnce(16);
    ASSERT_FALSE(compacted) << "the flush did not run: nothing to compact?";
    EXPECT_EQ(CountFiles(dir.Path() / "blobs"), files) << "new blobs left behind";
    ASSERT_TRUE(o.archive->Ingest(objects[7], kTest));
    EXPECT_FALSE(o.archive->Checkpoint()) << "a checkpoint went on after a failed flush";
    EXPECT_FALSE(journal_test::JournalFiles(dir.Path() / "journal", "seg-").empty());
  }
  ExpectAllReadBackAndFsckClean(dir.Path(), objects);
}

bool IsStoredFormFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char head[4] = {};
  in.read(head, 4);
  return std::memcmp(head,
                     "\x89"
                     "CFZ",
                     4) == 0;
}

int CountStoredForms(const fs::path& blobs) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(blobs)) {
    n += e.is_regular_file() && IsStoredFormFile(e.path()) ? 1 : 0;
  }
  return n;
}

TEST(StagedIngestTest, ObjectsAreCompressedAfterTheAcknowledgement) {
  cf::testing::TempDir dir;
  Opened o = OpenJournaled(dir.Path());
  const auto objects = MakeObjects(6);
  for (const auto& bytes : objects) ASSERT_TRUE(o.archive->Ingest(bytes, kTest));
  ASSERT_TRUE(o.archive->Checkpoint());  // waits for the materializer
  EXPECT_EQ(CountStoredForms(dir.Path() / "blobs"), 6);
  auto totals = o.archive->Totals();
  ASSERT_TRUE(totals);
  EXPECT_LT(totals->bytes_stored, totals->bytes_received);
  for (size_t i = 0; i < objects.size(); ++i) {
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                        "1.2.3.9." + std::to_string(i + 1));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, objects[i]);
  }
}

TEST(StagedIngestTest, CompactionGivesBlobsFiledAsReceivedTheirStoredForm) {
  cf::testing::TempDir dir;
  const auto objects = MakeObjects(10);
  {
    Opened o = OpenJournaled(dir.Path(), /*compress_after_ack=*/false);  // as an import
    for (const auto& bytes : objects) ASSERT_TRUE(o.archive->Ingest(bytes, kTest));
  }
  Opened o = OpenJournaled(dir.Path());
  EXPECT_EQ(CountStoredForms(dir.Path() / "blobs"), 0);
  auto before = o.archive->Totals();
  ASSERT_TRUE(before);
  EXPECT_EQ(before->bytes_stored, before->bytes_received);

  auto report = o.archive->CompactOnce(4);  // in batches, as the idle loop does
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->examined, 4);
  while (report->examined > 0) {
    report = o.archive->CompactOnce(4);
    ASSERT_TRUE(report);
  }
  EXPECT_EQ(CountStoredForms(dir.Path() / "blobs"), 10);
  EXPECT_EQ(CountFiles(dir.Path() / "blobs"), 10) << "old blobs are removed";
  auto after = o.archive->Totals();
  ASSERT_TRUE(after);
  EXPECT_LT(after->bytes_stored, before->bytes_stored);
  for (size_t i = 0; i < objects.size(); ++i) {
    auto back = o.archive->ReadInstance(cf::catalog::Scope::Of("default"),
                                        "1.2.3.9." + std::to_string(i + 1));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, objects[i]);
  }
  auto again = o.archive->CompactOnce(100);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->examined, 0) << "nothing is examined twice";
  auto fsck = o.archive->Fsck(false);
  ASSERT_TRUE(fsck);
  EXPECT_TRUE(fsck->Clean());
}

}  // namespace
}  // namespace cf::archive
