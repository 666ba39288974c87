// SPDX-License-Identifier: Apache-2.0
// ZIP64 in the film package's ZIP stream: a member past 4 GiB, and an
// archive past 4 GiB (a member whose local header starts beyond 4 GiB),
// streamed from bytes made on the fly into a sparse file (runs of zeros
// are seeked over, not written), then checked by two readers that do not
// share code with libarchive:
//  - `unzip -t` (Info-ZIP 6, what a patient's computer is likely to use):
//    reads the zip64 end records and checks every member's CRC-32 over its
//    whole content;
//  - Python's zipfile: a second parser that exposes what unzip only
//    prints, so that the exact sizes, the local header offsets past 4 GiB
//    and the bytes of the members after the big one are asserted.
// Memory stays at one slice: the stream is taken after each write.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "crypto/sha256.hpp"
#include "film/zip_stream.hpp"
#include "support/temp_dir.hpp"

namespace cf::film {
namespace {

constexpr uint64_t kFourGiB = uint64_t{1} << 32;

// Writes what a ZipStream produces to a file, seeking over 64 KiB blocks
// of zeros so that a stored archive of zeros takes no disk space.
class SparseSink {
 public:
  explicit SparseSink(const std::filesystem::path& path)
      : fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {}
  ~SparseSink() {
    if (fd_ >= 0) close(fd_);
  }
  SparseSink(const SparseSink&) = delete;
  SparseSink& operator=(const SparseSink&) = delete;

  bool Put(const Bytes& piece) {
    constexpr size_t kBlock = 64 * 1024;
    size_t at = 0;
    while (at < piece.size()) {
      const size_t n = std::min(kBlock, piece.size() - at);
      const std::byte* p = piece.data() + at;
      bool zero = p[0] == std::byte{0} && std::memcmp(p, p + 1, n - 1) == 0;
      if (!zero) {
        size_t done = 0;
        while (done < n) {
          const ssize_t w = pwrite(fd_, p + done, n - done, static_cast<off_t>(size_ + done));
          if (w <= 0) return false;
          done += static_cast<size_t>(w);
        }
      }
      size_ += n;
      at += n;
    }
    return true;
  }
  bool Finish() {
    return ftruncate(fd_, static_cast<off_t>(size_)) == 0 && close(std::exchange(fd_, -1)) == 0;
  }
  uint64_t size() const { return size_; }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Streams `size` zero bytes as member `name`, a slice at a time.
void AddZeros(ZipStream& zip, SparseSink& sink, const std::string& name, uint64_t size) {
  static const std::vector<std::byte> zeros(4 << 20);
  ASSERT_TRUE(zip.Begin(name, size));
  for (uint64_t left = size; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
    auto ok = zip.Write(ByteView(zeros.data(), n));
    ASSERT_TRUE(ok) << ok.error().message;
    ASSERT_TRUE(sink.Put(zip.Take()));
    left -= n;
  }
  ASSERT_TRUE(zip.End());
  ASSERT_TRUE(sink.Put(zip.Take()));
}

void AddText(ZipStream& zip, SparseSink& sink, const std::string& name, const std::string& text) {
  ASSERT_TRUE(zip.AddBytes(name, AsBytes(text)));
  ASSERT_TRUE(sink.Put(zip.Take()));
}

// Runs `command`; its exit status, and its output in `out`.
int RunCommand(const std::string& command, std::string& out) {
  out.clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The Python check: prints "name size header_offset" per member, then the
// content of every member smaller than 1 KiB as "name=content".
constexpr const char* kPythonCheck = R"PY(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for i in z.infolist():
        print(i.filename, i.file_size, i.header_offset, i.compress_type)
    for i in z.infolist():
        if i.file_size < 1024:
            print(i.filename + "=" + z.read(i).decode())
)PY";

std::string PythonCheck(const std::filesystem::path& dir, const std::filesystem::path& zip) {
  const auto script = dir / "check.py";
  std::ofstream(script) << kPythonCheck;
  std::string out;
  EXPECT_EQ(RunCommand("python3 '" + script.string() + "' '" + zip.string() + "'", out), 0) << out;
  return out;
}

// The members as libarchive's streaming reader sees them (the second
// reading of `cloudfilm verify`, which must agree with the central
// directory): "name size sha256" per member, in file order.
std::vector<std::string> StreamedMembers(const std::filesystem::path& zip) {
  std::vector<std::string> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_zip_streamable(a);
  EXPECT_EQ(archive_read_open_filename(a, zip.c_str(), 1 << 16), ARCHIVE_OK);
  struct archive_entry* entry = nullptr;
  std::vector<char> buf(1 << 20);
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    crypto::Sha256Hasher hasher;
    uint64_t size = 0;
    for (la_ssize_t n; (n = archive_read_data(a, buf.data(), buf.size())) > 0;) {
      hasher.Update(ByteView(reinterpret_cast<const std::byte*>(buf.data()), size_t(n)));
      size += static_cast<uint64_t>(n);
    }
    out.push_back(std::string(archive_entry_pathname(entry)) + " " + std::to_string(size) + " " +
                  crypto::ToHex(hasher.Finish()));
  }
  EXPECT_EQ(rc, ARCHIVE_EOF) << archive_error_string(a);
  archive_read_free(a);
  return out;
}

std::vector<std::string> Expected(const ZipStream& zip) {
  std::vector<std::string> out;
  for (const auto& m : zip.members()) {
    out.push_back(m.name + " " + std::to_string(m.size) + " " + m.sha256);
  }
  return out;
}

bool HaveTools() {
  std::string out;
  return RunCommand("command -v unzip && command -v python3", out) == 0;
}

// Stored members: the archive itself passes 4 GiB, so the member written
// after the big one has a local header offset that needs zip64, and so do
// the central directory's offset and the end records.
TEST(Zip64Test, AStoredArchivePastFourGiBReadsInUnzipAndPython) {
  if (!HaveTools()) GTEST_SKIP() << "unzip or python3 missing";
  cf::testing::TempDir dir;
  const auto path = dir.Path() / "big-stored.zip";
  SparseSink sink(path);
  auto zip = ZipStream::Create(1700000000, ZipStream::Compression::kStore);
  ASSERT_TRUE(zip);
  const uint64_t big = kFourGiB + 4097;
  AddText(**zip, sink, "first.txt", "before the big one");
  AddZeros(**zip, sink, "big.bin", big);
  AddText(**zip, sink, "after.txt", "after the big one");
  AddZeros(**zip, sink, "small-zeros.bin", 1000);
  ASSERT_TRUE((*zip)->Close());
  ASSERT_TRUE(sink.Put((*zip)->Take()));
  ASSERT_TRUE(sink.Finish());
  EXPECT_GT(sink.size(), big);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, uint64_t{64} << 20) << "the file is sparse";

  const auto& members = (*zip)->members();
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[1].size, big);
  EXPECT_EQ(members[2].sha256,
            crypto::ToHex(crypto::Sha256(AsBytes(std::string("after the big one")))));

  std::string out;
  EXPECT_EQ(RunCommand("unzip -t '" + path.string() + "'", out), 0) << out;
  EXPECT_NE(out.find("No errors detected"), std::string::npos) << out;
  EXPECT_NE(out.find("testing: big.bin"), std::string::npos) << out;

  const std::string py = PythonCheck(dir.Path(), path);
  EXPECT_NE(py.find("big.bin " + std::to_string(big) + " "), std::string::npos) << py;
  // after.txt's local header is past 4 GiB; compress_type 0 = stored.
  const auto at = py.find("after.txt 17 ");
  ASSERT_NE(at, std::string::npos) << py;
  const uint64_t offset = std::stoull(py.substr(at + 13));
  EXPECT_GT(offset, kFourGiB) << py;
  EXPECT_NE(py.find("first.txt=before the big one"), std::string::npos) << py;
  EXPECT_NE(py.find("after.txt=after the big one"), std::string::npos) << py;
  EXPECT_EQ(StreamedMembers(path), Expected(**zip));
}

// Deflated (the package's own setting): a member whose size passes 4 GiB,
// in an archive that stays small (zeros deflate at level 1 about 230:1).
TEST(Zip64Test, ADeflatedMemberPastFourGiBReadsInUnzipAndPython) {
  if (!HaveTools()) GTEST_SKIP() << "unzip or python3 missing";
  cf::testing::TempDir dir;
  const auto path = dir.Path() / "big-deflated.zip";
  SparseSink sink(path);
  auto zip = ZipStream::Create(1700000000);
  ASSERT_TRUE(zip);
  const uint64_t big = kFourGiB + 1;
  AddZeros(**zip, sink, "big.bin", big);
  AddText(**zip, sink, "after.txt", "after the big one");
  ASSERT_TRUE((*zip)->Close());
  ASSERT_TRUE(sink.Put((*zip)->Take()));
  ASSERT_TRUE(sink.Finish());
  EXPECT_LT(sink.size(), uint64_t{64} << 20);  // about 19 MB

  std::string out;
  EXPECT_EQ(RunCommand("unzip -t '" + path.string() + "'", out), 0) << out;
  EXPECT_NE(out.find("No errors detected"), std::string::npos) << out;

  const std::string py = PythonCheck(dir.Path(), path);
  EXPECT_NE(py.find("big.bin " + std::to_string(big) + " 0 8"), std::string::npos) << py;
  EXPECT_NE(py.find("after.txt=after the big one"), std::string::npos) << py;
  EXPECT_EQ(StreamedMembers(path), Expected(**zip));
}

}  // namespace
}  // namespace cf::film
