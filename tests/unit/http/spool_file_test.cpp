// SPDX-License-Identifier: Apache-2.0
// The spool file of STOW-RS uploads: nothing written through it is in clear
// in the file, every byte reads back through the decrypted window at any
// offset, the window stays bounded, and the multipart reader reads a
// spooled body's parts exactly as it reads one in memory. Bodies kept in
// memory instead (resident) read back the same, within their budget.
#include "http/spool_file.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/multipart.hpp"
#include "support/temp_dir.hpp"

namespace cf::http {
namespace {

std::string FileBytes(const SpoolFile& file) {
  std::string bytes(file.Size(), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = pread(file.Descriptor(), bytes.data() + done, bytes.size() - done,
                              static_cast<off_t>(done));
    if (got <= 0) break;
    done += static_cast<size_t>(got);
  }
  EXPECT_EQ(done, bytes.size());
  return bytes;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// Appends `data` in pieces of random sizes (odd ones: not block-aligned).
void AppendInPieces(SpoolFile& file, std::string_view data, uint32_t seed) {
  std::mt19937 rng(seed);
  while (!data.empty()) {
    const size_t step = std::min<size_t>(data.size(), 1 + rng() % 300000);
    ASSERT_TRUE(file.Append(AsBytes(data.substr(0, step))));
    data.remove_prefix(step);
  }
}

// Pages of [0, size) of `body` resident in memory.
size_t ResidentPages(ByteView body) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((body.size() + page - 1) / page);
  if (mincore(const_cast<std::byte*>(body.data()), body.size(), vec.data()) != 0) return SIZE_MAX;
  size_t resident = 0;
  for (const unsigned char v : vec) resident += v & 1;
  return resident;
}

TEST(SpoolFileTest, AMarkerWrittenThroughItIsNotInTheFile) {
  cf::testing::TempDir dir;
  auto file = SpoolFile::Create(dir.Path());
  ASSERT_TRUE(file) << file.error().message;
  const std::string marker = "CFSPOOLMARKER^Zhang San^张三";
  std::string plain;
  for (int i = 0; i < 2000; ++i) plain += "Patient " + marker + " " + std::to_string(i) + "\n";
  AppendInPieces(*file, plain, 1);
  ASSERT_EQ(file->Size(), plain.size());
  const std::string on_disk = FileBytes(*file);
  EXPECT_EQ(on_disk.find("CFSPOOLMARKER"), std::string::npos);
  EXPECT_EQ(on_disk.find("张三"), std::string::npos);
  EXPECT_EQ(on_disk.find("Patient"), std::string::npos);
  // Read back through the window, the marker is there.
  auto body = file->Map();
  ASSERT_TRUE(body) << body.error().message;
  ASSERT_EQ(body->Page(plain.size()).value_or(0), plain.size());
  EXPECT_EQ(AsChars(body->Bytes()), plain);
  // The same bytes in another spool file are encrypted under another key.
  auto other = SpoolFile::Create(dir.Path());
  ASSERT_TRUE(other);
  AppendInPieces(*other, plain, 2);
  EXPECT_NE(FileBytes(*other), on_disk);
  // Nothing named in the folder (an unnamed O_TMPFILE).
  EXPECT_TRUE(std::filesystem::is_empty(dir.Path()));
}

TEST(SpoolFileTest, EveryOffsetReadsBackAfterRandomAppends) {
  cf::testing::TempDir dir;
  auto file = SpoolFile::Create(dir.Path());
  ASSERT_TRUE(file);
  const std::string plain = RandomBytes(5 * MappedBody::kReadAhead + 12345, 3);
  AppendInPieces(*file, plain, 4);
  auto body = file->Map();
  ASSERT_TRUE(body);
  ASSERT_EQ(body->Bytes().size(), plain.size());
  const std::string_view bytes = AsChars(body->Bytes());
  std::mt19937 rng(5);
  for (int round = 0; round < 40; ++round) {
    // A random window [from, to): page up to `to` from a fresh start,
    // release what is before `from`, then compare.
    body->Rewind();
    const size_t a = rng() % plain.size();
    const size_t b = rng() % plain.size();
    const size_t from = std::min(a, b);
    const size_t to = std::max(a, b) + 1;
    auto paged = body->Page(to);
    ASSERT_TRUE(paged);
    ASSERT_GE(*paged, to);
    const size_t released = body->Release(0, from);
    ASSERT_LE(released, from);
    ASSERT_EQ(bytes.substr(released, to - released),
              std::string_view(plain).substr(released, to - released))
        << "window [" << released << ", " << to << ")";
  }
  // Paging past the end stops at the end.
  body->Rewind();
  EXPECT_EQ(body->Page(plain.size() * 2).value_or(0), plain.size());
  EXPECT_EQ(bytes, plain);
}

TEST(SpoolFileTest, ReadingFrontToBackKeepsTheWindowSmall) {
  cf::testing::TempDir dir;
  auto file = SpoolFile::Create(dir.Path());
  ASSERT_TRUE(file);
  const size_t size = 64 * MappedBody::kReadAhead;
  const std::string plain = RandomBytes(size, 6);
  AppendInPieces(*file, plain, 7);
  auto body = file->Map();
  ASSERT_TRUE(body);
  const std::string_view bytes = AsChars(body->Bytes());
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(ResidentPages(body->Bytes()), 0u) << "nothing is decrypted before it is asked for";
  size_t released = 0;
  size_t most_resident = 0;
  for (size_t at = 0; at < size; at += 100000) {
    const size_t end = std::min(size, at + 100000);
    ASSERT_TRUE(body->Page(end));
    ASSERT_EQ(bytes.substr(at, end - at), std::string_view(plain).substr(at, end - at));
    released = body->Release(released, end);
    most_resident = std::max(most_resident, ResidentPages(body->Bytes()));
  }
  // At most the read-ahead and the piece being read, not the 64 MiB body.
  EXPECT_LE(most_resident * page, 2 * MappedBody::kReadAhead + 2 * 100000);
  EXPECT_GT(most_resident, 0u);
}

TEST(SpoolFileTest, TheBodyOutlivesTheFile) {
  cf::testing::TempDir dir;
  MappedBody body;
  const std::string plain = RandomBytes(100000, 8);
  {
    auto file = SpoolFile::Create(dir.Path());
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->Append(AsBytes(plain)));
    auto mapped = file->Map();
    ASSERT_TRUE(mapped);
    body = std::move(*mapped);
  }
  ASSERT_TRUE(body.Page(plain.size()));
  EXPECT_EQ(AsChars(body.Bytes()), plain);
}

TEST(SpoolFileTest, AnEmptyFileMapsToAnEmptyBody) {
  cf::testing::TempDir dir;
  auto file = SpoolFile::Create(dir.Path());
  ASSERT_TRUE(file);
  auto body = file->Map();
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->Bytes().empty());
}

// A multipart body whose parts are sized around the read-ahead, so that
// delimiters fall on and next to window edges.
struct PartsAroundTheWindow {
  std::string boundary = "spool-boundary-0123456789";
  std::vector<std::string> parts;
  std::string body = "preamble\r\n";
  PartsAroundTheWindow() {
    std::mt19937 rng(9);
    for (int i = 0; i < 24; ++i) {
      const size_t size = i % 3 == 0 ? MappedBody::kReadAhead - 40 + rng() % 80
                                     : static_cast<size_t>(rng() % (3 * MappedBody::kReadAhead));
      parts.push_back(RandomBytes(size, 100 + i));
      // (Random bytes holding the 29-byte delimiter: no such luck.)
      body +=
          "--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n" + parts.back() + "\r\n";
    }
    body += "--" + boundary + "--\r\nepilogue";
  }
};

// Reads the parts of `file`'s body twice, as the STOW route does (the body
// as the reader's pager, releasing what was read), and compares them.
void ExpectTheParts(const SpoolFile& file, const PartsAroundTheWindow& expected) {
  auto mapped = file.Map();
  ASSERT_TRUE(mapped);
  for (int pass = 0; pass < 2; ++pass) {
    mapped->Rewind();
    MultipartReader reader(mapped->Bytes(), expected.boundary, &*mapped);
    size_t released = 0;
    for (size_t i = 0;; ++i) {
      auto part = reader.Next();
      ASSERT_TRUE(part) << part.error().message;
      if (!*part) {
        EXPECT_EQ(i, expected.parts.size());
        break;
      }
      ASSERT_LT(i, expected.parts.size());
      ASSERT_EQ((*part)->body.size(), expected.parts[i].size()) << "part " << i + 1;
      ASSERT_TRUE(AsChars((*part)->body) == expected.parts[i]) << "part " << i + 1;
      const auto* end = (*part)->body.data() + (*part)->body.size();
      released = mapped->Release(released, static_cast<size_t>(end - mapped->Bytes().data()));
    }
  }
}

// A multipart body spooled and read through the window: parts larger than
// the read-ahead, and delimiters across window edges, read as in memory.
TEST(SpoolFileTest, MultipartPartsReadThroughTheWindowAsInMemory) {
  cf::testing::TempDir dir;
  const PartsAroundTheWindow expected;
  auto file = SpoolFile::Create(dir.Path());
  ASSERT_TRUE(file);
  AppendInPieces(*file, expected.body, 10);
  ExpectTheParts(*file, expected);
}

// A body of declared size within the budget stays in memory: no file, the
// bytes read straight into it (Unfilled/Filled) or appended read back
// whole, its budget share given back when the last of file and body goes.
TEST(SpoolFileTest, AResidentBodyReadsBackAndGivesItsMemoryBack) {
  auto memory = std::make_shared<UploadMemory>(8 << 20, 4 << 20);
  const std::string plain = RandomBytes(3 * MappedBody::kReadAhead / 2 + 77, 11);
  MappedBody body;
  {
    auto file = SpoolFile::Resident(plain.size(), memory);
    ASSERT_TRUE(file);
    EXPECT_TRUE(file->IsResident());
    EXPECT_EQ(file->Descriptor(), -1);
    EXPECT_EQ(memory->Left(), (8u << 20) - plain.size());
    // Half as a socket read would put it, half appended in pieces.
    const size_t half = plain.size() / 2;
    std::span<std::byte> room = file->Unfilled();
    ASSERT_EQ(room.size(), plain.size());
    std::memcpy(room.data(), plain.data(), half);
    file->Filled(half);
    AppendInPieces(*file, std::string_view(plain).substr(half), 12);
    EXPECT_EQ(file->Size(), plain.size());
    EXPECT_TRUE(file->Unfilled().empty());
    auto extra = file->Append(AsBytes(std::string_view("x")));
    ASSERT_FALSE(extra);
    EXPECT_EQ(extra.error().code, ErrorCode::kTooLarge);
    auto mapped = file->Map();
    ASSERT_TRUE(mapped);
    body = std::move(*mapped);
  }
  // Everything readable at once; releasing drops nothing.
  auto readable = body.Page(1);
  ASSERT_TRUE(readable);
  EXPECT_EQ(*readable, plain.size());
  EXPECT_EQ(body.Release(0, MappedBody::kReadAhead + 5), MappedBody::kReadAhead);
  EXPECT_EQ(AsChars(body.Bytes()), plain);
  EXPECT_EQ(memory->Left(), (8u << 20) - plain.size()) << "held while the body is read";
  body = MappedBody{};
  // Kept for the next body (its whole 2 MiB chunks), within the budget,
  // until the idle trim gives it back.
  EXPECT_EQ(memory->Kept(), 2 * MappedBody::kReadAhead);
  EXPECT_EQ(memory->Left(), (8u << 20) - 2 * MappedBody::kReadAhead);
  memory->TrimIdle(std::chrono::hours(1));
  EXPECT_EQ(memory->Kept(), 2 * MappedBody::kReadAhead) << "not idle for an hour yet";
  memory->TrimIdle(std::chrono::seconds(0));
  EXPECT_EQ(memory->Kept(), 0u);
  EXPECT_EQ(memory->Left(), 8u << 20);
}

// The next body takes the memory a finished one left (no fresh pages to
// fault in and zero), sees only its own bytes, and leaves it kept again.
TEST(SpoolFileTest, AFinishedBodysMemoryIsReusedByTheNext) {
  auto memory = std::make_shared<UploadMemory>(16 << 20, 8 << 20);
  const std::string first = RandomBytes(3 << 20, 21);
  const std::string second = RandomBytes(1 << 20, 22);
  const std::byte* first_memory = nullptr;
  {
    auto file = SpoolFile::Resident(first.size(), memory);
    ASSERT_TRUE(file);
    first_memory = file->Unfilled().data();
    AppendInPieces(*file, first, 5);
  }
  EXPECT_EQ(memory->Kept(), 4u << 20);
  auto file = SpoolFile::Resident(second.size(), memory);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->Unfilled().data(), first_memory) << "the kept mapping, not a new one";
  EXPECT_EQ(file->Unfilled().size(), second.size());
  EXPECT_EQ(memory->Kept(), 0u);
  EXPECT_EQ(memory->Left(), (16u << 20) - second.size());
  AppendInPieces(*file, second, 6);
  auto mapped = file->Map();
  ASSERT_TRUE(mapped);
  EXPECT_EQ(AsChars(mapped->Bytes()), second) << "none of the first body's bytes";
  *mapped = MappedBody{};
  file.reset();
  EXPECT_EQ(memory->Kept(), 4u << 20);
  EXPECT_EQ(memory->Left(), 12u << 20);
}

// Kept memory never stands in the way of a body: what a new body needs
// and the budget has not is taken from the kept mappings, oldest first.
TEST(SpoolFileTest, KeptMemoryMakesRoomForABodyThatNeedsIt) {
  auto memory = std::make_shared<UploadMemory>(12 << 20, 8 << 20);
  SpoolFile::Resident(2 << 20, memory).reset();
  SpoolFile::Resident(6 << 20, memory);  // the 2 MiB mapping is too small: a new one
  EXPECT_EQ(memory->Kept(), 8u << 20);
  EXPECT_EQ(memory->Left(), 4u << 20);
  auto big = SpoolFile::Resident(8 << 20, memory);
  ASSERT_TRUE(big) << "the kept mappings give way";
  EXPECT_EQ(memory->Kept(), 0u) << "the 2 MiB one first, then still short: the 6 MiB one";
  EXPECT_EQ(memory->Left(), 4u << 20);
  big.reset();
  memory->TrimIdle(std::chrono::seconds(0));
  EXPECT_EQ(memory->Kept(), 0u);
  EXPECT_EQ(memory->Left(), 12u << 20);
}

// Over the per-body cap, or past what is left: a spool file instead.
TEST(SpoolFileTest, ResidentBodiesStayWithinTheBudget) {
  auto memory = std::make_shared<UploadMemory>(10 << 20, 4 << 20);
  EXPECT_FALSE(SpoolFile::Resident((4 << 20) + 1, memory)) << "over the per-body cap";
  EXPECT_FALSE(SpoolFile::Resident(0, memory)) << "an empty body needs no memory";
  EXPECT_FALSE(SpoolFile::Resident(100, nullptr));
  auto a = SpoolFile::Resident(4 << 20, memory);
  auto b = SpoolFile::Resident(4 << 20, memory);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(SpoolFile::Resident(3 << 20, memory)) << "2 MiB left";
  auto c = SpoolFile::Resident(2 << 20, memory);
  ASSERT_TRUE(c);
  EXPECT_EQ(memory->Left(), 0u);
  a.reset();
  EXPECT_EQ(memory->Left() + memory->Kept(), 4u << 20) << "given back, or kept for reuse";
  EXPECT_TRUE(SpoolFile::Resident(3 << 20, memory));
  EXPECT_EQ(memory->Left() + memory->Kept(), 4u << 20) << "given back with the file";
  memory->TrimIdle(std::chrono::seconds(0));
  EXPECT_EQ(memory->Left(), 4u << 20);
}

// The multipart reader reads a resident body's parts as it reads a
// spooled one's (the STOW route passes either as its pager).
TEST(SpoolFileTest, MultipartPartsOfAResidentBody) {
  const PartsAroundTheWindow expected;
  auto memory = std::make_shared<UploadMemory>(512 << 20, 128 << 20);
  auto file = SpoolFile::Resident(expected.body.size(), memory);
  ASSERT_TRUE(file);
  AppendInPieces(*file, expected.body, 13);
  ExpectTheParts(*file, expected);
}

}  // namespace
}  // namespace cf::http
