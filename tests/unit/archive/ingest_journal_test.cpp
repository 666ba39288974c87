// SPDX-License-Identifier: Apache-2.0
#include "archive/ingest_journal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "archive_fixture.hpp"
#include "crypto/sha256.hpp"
#include "journal_files.hpp"
#include "support/dicom_builder.hpp"

namespace cf::archive {
namespace {
namespace fs = std::filesystem;

using journal_test::AppendText;

std::vector<std::pair<std::string, std::string>> ReplayAll(const fs::path& dir,
                                                           size_t* segments = nullptr) {
  std::vector<std::pair<std::string, std::string>> out;
  auto replayed =
      IngestJournal::ReplayOrphans(dir, [&](std::string_view k, ByteView d) -> Result<void> {
        out.emplace_back(std::string(k), std::string(AsChars(d)));
        return {};
      });
  EXPECT_TRUE(replayed);
  if (segments) *segments = replayed ? replayed->size() : 0;
  return out;
}

TEST(IngestJournalTest, RecordsOfACrashedWriterAreReplayedInOrder) {
  cf::testing::TempDir dir;
  {
    auto j = IngestJournal::Open({dir.Path()});
    ASSERT_TRUE(j);
    ASSERT_TRUE(AppendText(**j, "a/1", "first"));
    ASSERT_TRUE(AppendText(**j, "a/2", std::string(100000, 'x')));
    ASSERT_TRUE(AppendText(**j, "a/3", ""));
    // Going away without Seal/Remove is what a crash leaves.
  }
  const auto records = ReplayAll(dir.Path());
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], (std::pair<std::string, std::string>{"a/1", "first"}));
  EXPECT_EQ(records[1].second, std::string(100000, 'x'));
  EXPECT_EQ(records[2].first, "a/3");
}

TEST(IngestJournalTest, SegmentsOfALiveWriterAreLeftAlone) {
  cf::testing::TempDir dir;
  auto j = IngestJournal::Open({dir.Path()});
  ASSERT_TRUE(AppendText(**j, "k", "v"));
  size_t segments = 9;
  EXPECT_TRUE(ReplayAll(dir.Path(), &segments).empty());
  EXPECT_EQ(segments, 0u);
}

TEST(IngestJournalTest, ATornTailEndsReplay) {
  cf::testing::TempDir dir;
  {
    auto j = IngestJournal::Open({dir.Path()});
    ASSERT_TRUE(AppendText(**j, "k1", "one"));
    ASSERT_TRUE(AppendText(**j, "k2", "two"));
    ASSERT_TRUE(AppendText(**j, "k3", "three"));
  }
  // Damage the last record's data, as a power cut mid-write would.
  fs::path seg = fs::directory_iterator(dir.Path())->path();
  std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(f)), {});
  const size_t pos = content.find("three");
  ASSERT_NE(pos, std::string::npos);
  f.seekp(static_cast<std::streamoff>(pos));
  f.put('T');
  f.close();
  const auto records = ReplayAll(dir.Path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].second, "two");
}

TEST(IngestJournalTest, SealedSegmentsAreRemovedAndNewAppendsStartANewOne) {
  cf::testing::TempDir dir;
  auto j = IngestJournal::Open({dir.Path()});
  ASSERT_TRUE(AppendText(**j, "k1", "one"));
  EXPECT_TRUE((*j)->Dirty());
  const auto sealed = (*j)->Seal();
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_FALSE((*j)->Dirty());
  ASSERT_TRUE(AppendText(**j, "k2", "two"));
  (*j)->Remove(sealed);
  EXPECT_FALSE(fs::exists(sealed[0]));
  j->reset();
  const auto records = ReplayAll(dir.Path());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, "k2");
}

TEST(IngestJournalTest, ConcurrentAppendsAcrossSegmentRotationAllSurvive) {
  cf::testing::TempDir dir;
  {
    // Small segments force rotations while other threads append.
    auto j = IngestJournal::Open({dir.Path(), 64 * 1024});
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 40; ++i) {
          ASSERT_TRUE(AppendText(**j, std::to_string(t) + "/" + std::to_string(i),
                                 std::string(5000, 'a' + t)));
          if (i % 13 == 0) (void)(*j)->Seal();
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const auto records = ReplayAll(dir.Path());
  EXPECT_EQ(records.size(), 240u);
}

// Holds the writer of one key back after its slot is reserved and before
// a byte of it is written, until Release (or the end of the scope).
class HeldWriter {
 public:
  HeldWriter(IngestJournal& journal, std::string key) : key_(std::move(key)) {
    journal.SetBeforeWriteHook([this](std::string_view writing) {
      if (writing != key_) return;
      std::unique_lock lock(mutex_);
      reserved_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    });
  }
  ~HeldWriter() { Release(); }
  void WaitUntilReserved() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return reserved_; });
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  const std::string key_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool reserved_ = false;
  bool released_ = false;
};

// What a SIGKILL leaves is the segment as it is at that moment; a replay
// stops at the first slot that holds no record. So a record may not be
// acknowledged while an earlier one is still being written: the crash test
// lost such an object once (it was acknowledged, catalogued, and not
// replayed because the slot before it was still empty).
TEST(IngestJournalTest, ARecordIsNotAcknowledgedBeforeTheRecordsAheadOfIt) {
  cf::testing::TempDir dir;
  auto j = IngestJournal::Open({dir.Path() / "journal"});
  ASSERT_TRUE(j);
  HeldWriter held(**j, "k/first");
  ASSERT_TRUE(AppendText(**j, "k/zero", "before both"));
  std::atomic<bool> first_acked = false, second_acked = false;
  std::thread first([&] { first_acked = AppendText(**j, "k/first", "held back").has_value(); });
  held.WaitUntilReserved();
  std::thread second(
      [&] { second_acked = AppendText(**j, "k/second", "written first").has_value(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // A crash now: copy the segment as it is and replay the copy.
  fs::create_directories(dir.Path() / "crash");
  for (const auto& e : fs::directory_iterator(dir.Path() / "journal")) {
    fs::copy_file(e.path(), dir.Path() / "crash" / e.path().filename());
  }
  EXPECT_FALSE(second_acked) << "acknowledged while the record ahead of it was not written";
  std::set<std::string> replayed;
  for (const auto& [key, data] : ReplayAll(dir.Path() / "crash")) replayed.insert(key);
  EXPECT_TRUE(replayed.contains("k/zero"));
  if (second_acked) {
    EXPECT_TRUE(replayed.contains("k/second")) << "an acknowledged record is lost";
  }

  held.Release();
  first.join();
  second.join();
  EXPECT_TRUE(first_acked);
  EXPECT_TRUE(second_acked);
}

// Linux reports a writeback error to one fdatasync, and the pages it could
// not write are clean afterwards: the next fdatasync of the file succeeds
// without having written them. So a record waiting for a sync that failed
// must fail, although the next sync, started by another waiting writer,
// succeeds.
TEST(IngestJournalTest, EveryRecordWaitingForAFailedSyncFails) {
  cf::testing::TempDir dir;
  std::atomic<int> syncs = 0;
  auto j = IngestJournal::Open({dir.Path()});
  ASSERT_TRUE(j);
  HeldWriter held(**j, "k/first");
  // The first sync after "k/zero"'s fails.
  (*j)->SetSyncHook(
      [&](int fd) { return ++syncs == 2 ? EIO : (::fdatasync(fd) == 0 ? 0 : errno); });
  ASSERT_TRUE(AppendText(**j, "k/zero", "before the failure"));
  std::optional<Result<IngestJournal::RecordRef>> first, second;
  std::thread t1([&] { first = AppendText(**j, "k/first", "held back"); });
  held.WaitUntilReserved();
  // "k/second" is written and waits for "k/first"; both then wait for one sync.
  std::thread t2([&] { second = AppendText(**j, "k/second", "written first"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  held.Release();
  t1.join();
  t2.join();
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(*first) << "acknowledged after its sync failed";
  EXPECT_FALSE(*second) << "acknowledged after its sync failed";
  if (!*second) {
    EXPECT_EQ(second->error().code, ErrorCode::kStorageUnavailable);
  }
  // The journal goes on in a new segment.
  auto third = AppendText(**j, "k/third", "after the failure");
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(journal_test::JournalFiles(dir.Path(), "seg-").size(), 2u);
}

// A seal's sync covers the records that wait for one while another writer's
// sync is in flight: when it fails, they fail too.
TEST(IngestJournalTest, ARecordWaitingWhenASealsSyncFailsFails) {
  cf::testing::TempDir dir;
  std::mutex mutex;
  std::condition_variable cv;
  bool in_first_sync = false;
  bool first_sync_may_end = false;
  std::atomic<int> syncs = 0;
  auto j = IngestJournal::Open({dir.Path()});
  ASSERT_TRUE(j);
  // Sync 1 ("k/first"'s) waits until released and succeeds; sync 2 (the
  // seal's) fails.
  (*j)->SetSyncHook([&](int fd) {
    const int n = ++syncs;
    if (n == 1) {
      std::unique_lock lock(mutex);
      in_first_sync = true;
      cv.notify_all();
      cv.wait(lock, [&] { return first_sync_may_end; });
    }
    if (n == 2) return EIO;
    return ::fdatasync(fd) == 0 ? 0 : errno;
  });
  std::optional<Result<IngestJournal::RecordRef>> first, second;
  std::thread t1([&] { first = AppendText(**j, "k/first", "synced"); });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return in_first_sync; });
  }
  std::thread t2([&] { second = AppendText(**j, "k/second", "waits for the seal"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::thread sealer([&] { (void)(*j)->Seal(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    std::lock_guard lock(mutex);
    first_sync_may_end = true;
  }
  cv.notify_all();
  t1.join();
  t2.join();
  sealer.join();
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second) << "acknowledged by a seal whose sync failed";
  auto third = AppendText(**j, "k/third", "after the failure");
  EXPECT_TRUE(third) << third.error().message;
}

// A checkpointed segment is reused with a new salt; the records of its
// earlier use, still in the file past the new ones and each well formed
// for its old salt, are not replayed.
TEST(IngestJournalTest, AReusedSegmentReplaysOnlyItsNewRecords) {
  cf::testing::TempDir dir;
  const std::string bytes = journal_test::ReuseASegmentThenCrash({dir.Path(), 64 * 1024}, "");
  EXPECT_TRUE(bytes.starts_with("CFJRNL06"));
  EXPECT_NE(bytes.find("old/4"), std::string::npos)
      << "the earlier records should still be in the file, or this test proves nothing";
  const auto records = ReplayAll(dir.Path());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], (std::pair<std::string, std::string>{"new/0", std::string(3000, 'n')}));
}

TEST(IngestJournalTest, Version2SegmentsOfAnEarlierVersionStillReplay) {
  cf::testing::TempDir dir;
  {
    auto j = IngestJournal::Open({dir.Path()});
    ASSERT_TRUE(AppendText(**j, "a/1", "first"));
    ASSERT_TRUE(AppendText(**j, "a/2", std::string(6000, 'x')));
  }
  // What the previous version wrote for the same records: magic CFJRNL02,
  // no salt, each digest SHA-256(key, SHA-256(data)) (docs/storage-format.md).
  const auto segments = journal_test::JournalFiles(dir.Path(), "seg-");
  ASSERT_EQ(segments.size(), 1u);
  const fs::path segment = segments[0];
  std::string bytes = journal_test::Slurp(segment);
  bytes.replace(0, 24, std::string("CFJRNL02") + std::string(16, '\0'));
  for (uint64_t off = 4096; off + 48 <= bytes.size();) {
    auto* header = reinterpret_cast<std::byte*>(bytes.data() + off);
    if (LoadLe(header, 4) != 0x524a4643) break;
    const uint64_t key_len = LoadLe(header + 4, 4), data_len = LoadLe(header + 8, 8);
    const std::string key = bytes.substr(off + 48, key_len);
    const auto data_sha = crypto::Sha256(AsBytes(bytes.substr(off + 48 + key_len, data_len)));
    crypto::Sha256Hasher h;
    h.Update(AsBytes(key));
    h.Update(ByteView(reinterpret_cast<const std::byte*>(data_sha.data()), data_sha.size()));
    const auto digest = h.Finish();
    std::memcpy(header + 16, digest.data(), digest.size());
    off += (48 + key_len + data_len + 4095) / 4096 * 4096;
  }
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
  const auto records = ReplayAll(dir.Path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], (std::pair<std::string, std::string>{"a/1", "first"}));
  EXPECT_EQ(records[1].second, std::string(6000, 'x'));
}

TEST(IngestJournalTest, SparesOfProcessesThatAreGoneAreRemovedAtOpen) {
  cf::testing::TempDir dir;
  std::ofstream(dir.Path() / "spare-4194301-3.log") << std::string(8192, 'x');
  auto live = IngestJournal::Open({dir.Path(), 64 * 1024});
  ASSERT_TRUE(live);
  EXPECT_TRUE(journal_test::JournalFiles(dir.Path(), "spare-").empty());
  // A live journal's spare (it holds its flock) stays when another opens.
  ASSERT_TRUE(AppendText(**live, "k", "v"));
  (*live)->Remove((*live)->Seal());
  ASSERT_EQ(journal_test::JournalFiles(dir.Path(), "spare-").size(), 1u);
  auto other = IngestJournal::Open({dir.Path(), 64 * 1024});
  ASSERT_TRUE(other);
  EXPECT_EQ(journal_test::JournalFiles(dir.Path(), "spare-").size(), 1u);
  // Spares hold nothing to replay, and go with their journal.
  EXPECT_TRUE(ReplayAll(dir.Path()).empty());
  live->reset();
  EXPECT_TRUE(journal_test::JournalFiles(dir.Path(), "spare-").empty());
}

class JournaledArchiveTest : public ArchiveFixture {};

TEST_F(JournaledArchiveTest, LostBlobsAndCatalogAreRebuiltFromTheJournalAtOpen) {
  const fs::path journal = dir_.Path() / "journal";
  const fs::path saved = dir_.Path() / "saved";
  std::vector<Bytes> objects;
  for (int i = 0; i < 5; ++i)
    objects.push_back(cf::testing::DicomBuilder().Sop("1.9.5." + std::to_string(i)).Build());
  {
    ArchiveOptions options;
    options.journal_dir = journal;
    options.checkpoint_interval = std::chrono::hours(1);  // no checkpoint during the test
    auto archive = Archive::Open(*catalog_, *blobs_, options);
    ASSERT_TRUE(archive) << archive.error().message;
    for (const auto& o : objects) ASSERT_TRUE((*archive)->Ingest(o, {"test", "", "default"}));
    // What a power cut leaves: the journal (fdatasync'ed), not the page cache.
    fs::copy(journal, saved);
  }
  archive_.reset();
  catalog_.reset();
  fs::remove_all(journal);
  fs::rename(saved, journal);
  fs::remove_all(dir_.Path() / "blobs");
  for (const char* f : {"catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"})
    fs::remove(dir_.Path() / f);
  Open();
  ArchiveOptions options;
  options.journal_dir = journal;
  auto archive = Archive::Open(*catalog_, *blobs_, options);
  ASSERT_TRUE(archive) << archive.error().message;
  for (int i = 0; i < 5; ++i) {
    auto back =
        (*archive)->ReadInstance(cf::catalog::Scope::Of("default"), "1.9.5." + std::to_string(i));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, objects[static_cast<size_t>(i)]);
  }
  EXPECT_TRUE(fs::is_empty(journal)) << "replayed segments are removed once flushed";
  EXPECT_TRUE((*archive)->Fsck(false)->Clean());
}

}  // namespace
}  // namespace cf::archive
