// SPDX-License-Identifier: Apache-2.0
#include "store/filesystem_blob_store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace cf::store {
namespace {

class FilesystemBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = FilesystemBlobStore::Open({dir_.Path(), true});
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  cf::testing::TempDir dir_;
  std::unique_ptr<FilesystemBlobStore> store_;
};

TEST_F(FilesystemBlobStoreTest, PutThenGetReturnsSameBytes) {
  ASSERT_TRUE(store_->Put("20260101/10/a.dcm", AsBytes("hello")));
  auto got = store_->Get("20260101/10/a.dcm");
  ASSERT_TRUE(got);
  EXPECT_EQ(AsChars(*got), "hello");
  EXPECT_EQ(*store_->Size("20260101/10/a.dcm"), 5u);
}

TEST_F(FilesystemBlobStoreTest, GetSplitReadsTheHeadApartFromTheRest) {
  std::string text(300000, 'x');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(store_->Put("s/a.dcm", AsBytes(text)));
  std::array<std::byte, 20> head{};
  auto rest = store_->GetSplit("s/a.dcm", head);
  ASSERT_TRUE(rest) << rest.error().message;
  EXPECT_EQ(std::string(AsChars(ByteView(head))), text.substr(0, 20));
  EXPECT_EQ(std::string(AsChars(*rest)), text.substr(20));
  ASSERT_TRUE(store_->Put("s/exact.dcm", AsBytes(text.substr(0, 20))));
  auto none = store_->GetSplit("s/exact.dcm", head);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(store_->Put("s/short.dcm", AsBytes("abc")));
  auto shorter = store_->GetSplit("s/short.dcm", head);
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().code, ErrorCode::kInvalidArgument);
  auto missing = store_->GetSplit("s/none.dcm", head);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// Pages of `path` in the page cache, and pages in all.
std::pair<size_t, size_t> ResidentPages(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  struct stat st {};
  ::fstat(fd, &st);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t pages = (static_cast<size_t>(st.st_size) + page - 1) / page;
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  EXPECT_NE(map, MAP_FAILED);
  std::vector<unsigned char> in_core(pages);
  EXPECT_EQ(::mincore(map, static_cast<size_t>(st.st_size), in_core.data()), 0);
  ::munmap(map, static_cast<size_t>(st.st_size));
  size_t resident = 0;
  for (unsigned char c : in_core) resident += c & 1;
  return {resident, pages};
}

TEST_F(FilesystemBlobStoreTest, ReadSoonKeepsTheBlobInThePageCacheAndReadLaterDoesNot) {
  std::string text(1 << 20, 'x');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 23);
  ASSERT_TRUE(store_->Put("s/soon.dcm", AsBytes(text), WriteHint::kReadSoon));
  EXPECT_EQ(ResidentPages(dir_.Path() / "blobs/s/soon.dcm"),
            std::make_pair(size_t{256}, size_t{256}));

  const auto probe = dir_.Path() / "probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) GTEST_SKIP() << "the test folder's filesystem refuses O_DIRECT";
  ::close(fd);
  ASSERT_TRUE(store_->Put("s/later.dcm", AsBytes(text), WriteHint::kReadLater));
  EXPECT_EQ(ResidentPages(dir_.Path() / "blobs/s/later.dcm"),
            std::make_pair(size_t{0}, size_t{256}));
  auto got = store_->Get("s/later.dcm");
  ASSERT_TRUE(got);
  EXPECT_EQ(AsChars(*got), text);
}

TEST_F(FilesystemBlobStoreTest, PutTwiceFailsWithConflictAndKeepsFirst) {
  ASSERT_TRUE(store_->Put("k/a", AsBytes("first")));
  auto second = store_->Put("k/a", AsBytes("second"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  EXPECT_EQ(AsChars(*store_->Get("k/a")), "first");
  // The losing writer's temporary file is gone.
  EXPECT_TRUE(std::filesystem::is_empty(dir_.Path() / "tmp"));
}

TEST_F(FilesystemBlobStoreTest, UnknownKeyIsNotFound) {
  auto got = store_->Get("nope/x");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->Remove("nope/x").error().code, ErrorCode::kNotFound);
}

TEST_F(FilesystemBlobStoreTest, KeysThatEscapeTheRootAreRefused) {
  for (const char* key : {"../x", "a/../../x", "/abs", "a//b", ".hidden", "a/.tmp", "", "a b"}) {
    auto r = store_->Put(key, AsBytes("x"));
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << key;
  }
}

TEST_F(FilesystemBlobStoreTest, ForEachListsEveryBlobWithItsSize) {
  ASSERT_TRUE(store_->Put("a/1", AsBytes("1")));
  ASSERT_TRUE(store_->Put("a/2", AsBytes("22")));
  ASSERT_TRUE(store_->Put("b/c/3", AsBytes("333")));
  std::set<std::pair<std::string, uint64_t>> seen;
  ASSERT_TRUE(store_->ForEach([&](std::string_view k, uint64_t size) {
    seen.emplace(std::string(k), size);
    return true;
  }));
  EXPECT_EQ(seen,
            (std::set<std::pair<std::string, uint64_t>>{{"a/1", 1}, {"a/2", 2}, {"b/c/3", 3}}));
}

TEST_F(FilesystemBlobStoreTest, RemoveDeletesTheBlob) {
  ASSERT_TRUE(store_->Put("a/1", AsBytes("1")));
  ASSERT_TRUE(store_->Remove("a/1"));
  EXPECT_EQ(store_->Get("a/1").error().code, ErrorCode::kNotFound);
}

TEST_F(FilesystemBlobStoreTest, ConcurrentPutsIntoOneFolderAllLand) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string key = "same/" + std::to_string(t) + "-" + std::to_string(i);
        ASSERT_TRUE(store_->Put(key, AsBytes(key)));
      }
    });
  }
  for (auto& t : threads) t.join();
  int n = 0;
  ASSERT_TRUE(store_->ForEach([&](std::string_view k, uint64_t) {
    EXPECT_EQ(AsChars(*store_->Get(k)), k);
    ++n;
    return true;
  }));
  EXPECT_EQ(n, 200);
}

TEST_F(FilesystemBlobStoreTest, AfterAFailedFolderFsyncNoPutSucceeds) {
  ASSERT_TRUE(store_->Put("x/1", AsBytes("1")));
  // The next folder fsync fails as a failing disk's does; those after it
  // succeed, as Linux's do once it has reported the error.
  std::atomic<int> failures_left = 1;
  store_->SetFolderFsyncHook([&](int fd) {
    if (failures_left.fetch_sub(1) > 0) return EIO;
    return ::fsync(fd) == 0 ? 0 : errno;
  });
  auto failed = store_->Put("x/2", AsBytes("2"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kStorageUnavailable);
  // The failed fsync may have lost any rename since the one before it, so
  // nothing written after it is acknowledged, in that folder or another.
  for (const char* key : {"x/3", "y/1"}) {
    auto later = store_->Put(key, AsBytes(key));
    ASSERT_FALSE(later) << key;
    EXPECT_EQ(later.error().code, ErrorCode::kStorageUnavailable) << key;
    EXPECT_NE(later.error().message.find("earlier folder fsync"), std::string::npos)
        << later.error().message;
  }
  EXPECT_EQ(AsChars(*store_->Get("x/1")), "1");  // what was durable stays
}

TEST_F(FilesystemBlobStoreTest, StaleTemporariesOfDeadWritersAreRemoved) {
  // pid 2^22+1 is above the default pid_max, so no process has it.
  std::ofstream(dir_.Path() / "tmp" / "put-4194305-0") << "half";
  std::ofstream(dir_.Path() / "tmp" / ("put-" + std::to_string(::getpid()) + "-99")) << "mine";
  auto removed = store_->RemoveStaleTemporaries();
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1);
  EXPECT_TRUE(
      std::filesystem::exists(dir_.Path() / "tmp" / ("put-" + std::to_string(::getpid()) + "-99")));
}

TEST(FilesystemBlobStoreFullDiskTest, FullDiskIsStorageUnavailableAndLeavesNothing) {
  cf::testing::TempDir dir;
  const std::string cmd =
      "mount -t tmpfs -o size=256k tmpfs " + dir.Path().string() + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "cannot mount a small tmpfs (not root?)";
  {
    auto s = FilesystemBlobStore::Open({dir.Path(), true});
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->Put("a/small", AsBytes("kept")));
    const std::string big(1 << 20, 'x');
    auto r = (*s)->Put("a/big", AsBytes(big));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kStorageUnavailable);
    EXPECT_TRUE(std::filesystem::is_empty(dir.Path() / "tmp"));
    EXPECT_EQ(AsChars(*(*s)->Get("a/small")), "kept");
  }
  std::system(("umount " + dir.Path().string()).c_str());
}

}  // namespace
}  // namespace cf::store
