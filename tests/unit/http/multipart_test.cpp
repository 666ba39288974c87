// SPDX-License-Identifier: Apache-2.0
// The multipart reader and the media type parser: well-formed bodies as
// real clients write them (Orthanc, curl, Python), and every malformed case
// refused with a message that names the problem.
#include "http/multipart.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <string>
#include <vector>

namespace cf::http {
namespace {

struct Read {
  std::vector<std::string> bodies;
  std::vector<std::string> types;
  std::string error;  // empty when the whole body was read
};

// Pages a body placed in memory that is unreadable until paged: a reader
// that reads a byte it did not ask for crashes the test.
class GuardedPager final : public BodyPager {
 public:
  explicit GuardedPager(std::string_view body) : size_(body.size()) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (size_ / page_ + 1) * page_;
    data_ = static_cast<char*>(
        mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (data_ == MAP_FAILED) std::abort();
    std::memcpy(data_, body.data(), body.size());
    mprotect(data_, mapped_, PROT_NONE);
  }
  ~GuardedPager() override { munmap(data_, mapped_); }
  GuardedPager(const GuardedPager&) = delete;
  GuardedPager& operator=(const GuardedPager&) = delete;
  ByteView Bytes() const { return AsBytes(std::string_view(data_, size_)); }
  Result<size_t> Page(size_t end) override {
    // A page at a time, no read-ahead: the reader must ask for every byte.
    const size_t to = std::min(size_, (std::min(end, size_) + page_ - 1) / page_ * page_);
    if (to > readable_) mprotect(data_, to, PROT_READ);
    readable_ = std::max(readable_, to);
    return readable_;
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
  size_t page_ = 0;
  size_t readable_ = 0;
};

Read ReadAllOnce(std::string_view body, std::string_view boundary, bool paged) {
  Read out;
  GuardedPager pager(body);
  MultipartReader reader(paged ? pager.Bytes() : AsBytes(body), boundary, paged ? &pager : nullptr);
  for (;;) {
    auto part = reader.Next();
    if (!part) {
      out.error = part.error().message;
      EXPECT_EQ(part.error().code, ErrorCode::kInvalidArgument);
      return out;
    }
    if (!*part) return out;
    EXPECT_EQ((*part)->index, static_cast<int>(out.bodies.size()) + 1);
    out.bodies.emplace_back(AsChars((*part)->body));
    out.types.emplace_back((*part)->content_type);
  }
}

// Reads `body` in memory, and paged a page at a time: both must agree.
Read ReadAll(std::string_view body, std::string_view boundary) {
  Read in_memory = ReadAllOnce(body, boundary, false);
  Read paged = ReadAllOnce(body, boundary, true);
  EXPECT_EQ(paged.bodies, in_memory.bodies);
  EXPECT_EQ(paged.types, in_memory.types);
  EXPECT_EQ(paged.error, in_memory.error);
  return in_memory;
}

std::string Part(std::string_view boundary, std::string_view content,
                 std::string_view type = "application/dicom") {
  return "--" + std::string(boundary) + "\r\nContent-Type: " + std::string(type) + "\r\n\r\n" +
         std::string(content) + "\r\n";
}

std::string Close(std::string_view boundary) { return "--" + std::string(boundary) + "--"; }

// --- media types ---

TEST(MediaTypeTest, ParsesTypeAndParametersQuotedOrNot) {
  auto media = ParseMediaType(
      "Multipart/Related; type=\"application/dicom\";boundary=abc-123 ; start=\"<a\\\"b>\"");
  ASSERT_TRUE(media) << media.error().message;
  EXPECT_EQ(media->type, "multipart/related");
  EXPECT_EQ(media->Parameter("type"), "application/dicom");
  EXPECT_EQ(media->Parameter("boundary"), "abc-123");
  EXPECT_EQ(media->Parameter("start"), "<a\"b>");
  EXPECT_FALSE(media->Parameter("missing"));
}

TEST(MediaTypeTest, ParameterNamesAreCaseInsensitiveValuesKeepTheirCase) {
  auto media = ParseMediaType("multipart/related; BOUNDARY=AbC");
  ASSERT_TRUE(media);
  EXPECT_EQ(media->Parameter("boundary"), "AbC");
}

TEST(MediaTypeTest, RejectsMalformedValuesNamingTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"multipart", "no '/subtype'"},
      {"multipart/", "empty subtype"},
      {"multipart/related boundary=x", "unexpected character"},
      {"multipart/related; boundary", "no '=value'"},
      {"multipart/related; boundary=", "empty value"},
      {"multipart/related; boundary=\"abc", "unterminated quoted value"},
      {"multipart/related; boundary=a; Boundary=b", "repeated"},
      {"multipart/related; =x", "without a name"},
  };
  for (const auto& [value, problem] : cases) {
    auto media = ParseMediaType(value);
    ASSERT_FALSE(media) << value;
    EXPECT_EQ(media.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(media.error().message.find(problem), std::string::npos)
        << value << " -> " << media.error().message;
  }
}

TEST(MediaTypeTest, CapsTheNumberOfParameters) {
  std::string value = "a/b";
  for (size_t i = 0; i <= kMaxMediaTypeParameters; ++i) value += "; p" + std::to_string(i) + "=1";
  auto media = ParseMediaType(value);
  ASSERT_FALSE(media);
  EXPECT_NE(media.error().message.find("more than"), std::string::npos);
}

TEST(MediaTypeTest, IsMediaTypeIgnoresParametersAndCase) {
  EXPECT_TRUE(
      IsMediaType("Application/DICOM; transfer-syntax=1.2.840.10008.1.2.1", "application/dicom"));
  EXPECT_FALSE(IsMediaType("application/dicom+json", "application/dicom"));
  EXPECT_FALSE(IsMediaType("not a type", "application/dicom"));
}

TEST(BoundaryTest, FollowsRfc2046) {
  EXPECT_TRUE(ValidateBoundary("simple"));
  EXPECT_TRUE(ValidateBoundary("with space'()+_,-./:=?inside"));
  EXPECT_TRUE(ValidateBoundary(std::string(kMaxBoundaryLength, 'x')));
  EXPECT_NE(ValidateBoundary("").error().message.find("empty"), std::string::npos);
  EXPECT_NE(
      ValidateBoundary(std::string(kMaxBoundaryLength + 1, 'x')).error().message.find("longer"),
      std::string::npos);
  EXPECT_NE(ValidateBoundary("trailing ").error().message.find("ends with a space"),
            std::string::npos);
  EXPECT_NE(ValidateBoundary("semi;colon").error().message.find("not allowed"), std::string::npos);
}

// --- well-formed bodies ---

TEST(MultipartReaderTest, ReadsOnePart) {
  const Read r = ReadAll(Part("b", "DICM-bytes") + Close("b"), "b");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.bodies.size(), 1u);
  EXPECT_EQ(r.bodies[0], "DICM-bytes");
  EXPECT_EQ(r.types[0], "application/dicom");
}

TEST(MultipartReaderTest, ReadsManyPartsWithBinaryContent) {
  std::string body;
  std::vector<std::string> contents;
  for (int i = 0; i < 50; ++i) {
    // CR, LF, dashes and NULs inside content are fine as long as the
    // delimiter itself does not appear.
    std::string content = "\r\n-" + std::to_string(i) + std::string(1, '\0') + "--b-\r\n\r\n";
    content += std::string(static_cast<size_t>(i) * 37, static_cast<char>(i));
    contents.push_back(content);
    body += Part("b", content);
  }
  body += Close("b");
  const Read r = ReadAll(body, "b");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.bodies, contents);
}

TEST(MultipartReaderTest, SkipsPreambleAndEpilogue) {
  const std::string body = "This is a preamble.\r\nIt has lines.\r\n" + Part("xyz", "one") +
                           Part("xyz", "two") + Close("xyz") +
                           "\r\nAn epilogue, ignored. --xyz\r\n";
  const Read r = ReadAll(body, "xyz");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.bodies, (std::vector<std::string>{"one", "two"}));
}

TEST(MultipartReaderTest, AcceptsTransportPaddingAndATrailingCrlf) {
  const std::string body = "--b \t\r\nContent-Type: application/dicom\r\n\r\nx\r\n--b--  \r\n";
  const Read r = ReadAll(body, "b");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.bodies, (std::vector<std::string>{"x"}));
}

TEST(MultipartReaderTest, ReadsTheLayoutOrthancSends) {
  // Orthanc's STOW-RS client: headers with Content-Length, each part ends
  // in CRLF, the close delimiter ends the body (then CRLF).
  // Two UUIDs: 73 characters, more than RFC 2046's 70.
  const std::string boundary =
      "f69c73ee-5215-4e91-bea7-36b70c61da25-f69c73ee-5215-4e91-bea7-36b70c61da25";
  std::string body;
  for (const std::string content : {"first object", "second"}) {
    body += "--" + boundary + "\r\nContent-Type: application/dicom\r\nContent-Length: " +
            std::to_string(content.size()) + "\r\n\r\n" + content + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  ASSERT_TRUE(ValidateBoundary(boundary));
  const Read r = ReadAll(body, boundary);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.bodies, (std::vector<std::string>{"first object", "second"}));
}

TEST(MultipartReaderTest, ReportsHeadersAndContentLength) {
  const std::string body =
      "--b\r\ncontent-type:application/dicom\r\nContent-Length: 3\r\n"
      "Content-Transfer-Encoding: binary\r\nContent-ID: <x@y>\r\n\r\nabc\r\n--b--";
  MultipartReader reader(AsBytes(body), "b");
  auto part = reader.Next();
  ASSERT_TRUE(part && *part);
  EXPECT_EQ((*part)->content_type, "application/dicom");
  EXPECT_EQ((*part)->content_length, 3u);
  EXPECT_EQ((*part)->content_transfer_encoding, "binary");
  EXPECT_EQ(AsChars((*part)->body), "abc");
  auto end = reader.Next();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
  EXPECT_EQ(reader.PartsRead(), 1);
  auto again = reader.Next();  // stays at the end
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST(MultipartReaderTest, ReadsEmptyPartsWithOrWithoutHeaders) {
  const std::string body =
      "--b\r\n\r\n--b\r\nContent-Type: application/dicom\r\n\r\n--b\r\n\r\n\r\n--b--";
  const Read r = ReadAll(body, "b");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.bodies, (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(r.types, (std::vector<std::string>{"", "application/dicom", ""}));
}

TEST(MultipartReaderTest, NearMissesOfTheDelimiterAreContent) {
  // Megabytes of delimiters that fail on their last character.
  const std::string boundary(kMaxBoundaryLength, 'a');
  std::string near_miss = "\r\n--" + boundary;
  near_miss.back() = 'X';
  std::string content;
  while (content.size() < (8u << 20)) content += near_miss;
  const Read r = ReadAll(Part(boundary, content) + Close(boundary), boundary);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.bodies.size(), 1u);
  EXPECT_EQ(r.bodies[0].size(), content.size());
}

// --- malformed bodies: each refused with its message ---

struct Malformed {
  std::string name;
  std::string body;
  std::string message;  // a fragment of the expected error message
};

TEST(MultipartReaderTest, RejectsEachMalformedBodyNamingTheProblem) {
  const std::string dicom = "Content-Type: application/dicom\r\n\r\n";
  const std::vector<Malformed> cases = {
      {"empty body", "", "no boundary line"},
      {"wrong boundary", Part("other", "x") + Close("other"), "no boundary line"},
      {"no parts", "--b--\r\n", "no parts"},
      {"truncated after the first boundary", "--b", "ends after a boundary"},
      {"truncated in headers", "--b\r\nContent-Type: appl", "part 1: headers are incomplete"},
      {"truncated content", "--b\r\n" + dicom + "abc", "part 1: truncated body"},
      {"truncated before close", Part("b", "x") + "--b", "ends after a boundary"},
      {"truncated second part", Part("b", "x") + "--b\r\n" + dicom + "half",
       "part 2: truncated body"},
      {"no close delimiter", Part("b", "x"), "part 1: truncated body"},
      {"boundary inside content", "--b\r\n" + dicom + "a\r\n--bX\r\n" + Close("b"),
       "followed by unexpected bytes"},
      {"junk after close", Part("b", "x") + "--b--junk", "after the closing boundary"},
      {"boundary line junk", "--b junk\r\n" + dicom + "x\r\n" + Close("b"),
       "followed by unexpected bytes"},
      {"bare LF in header", "--b\r\nContent-Type: a/b\nX: y\r\n\r\nx\r\n" + Close("b"),
       "part 1: a header line has a bare CR or LF"},
      {"LF-only line ends", "--b\nContent-Type: a/b\n\nx\n--b--", "followed by unexpected bytes"},
      {"folded header", "--b\r\nContent-Type: a/b\r\n  continued\r\n\r\nx\r\n" + Close("b"),
       "part 1: folded header lines"},
      {"header without colon", "--b\r\nContent-Type application/dicom\r\n\r\nx\r\n" + Close("b"),
       "part 1: a header line has no ':'"},
      {"header name not a token", "--b\r\nBad Name: x\r\n\r\nx\r\n" + Close("b"),
       "part 1: a header name is not a token"},
      {"repeated Content-Type", "--b\r\nContent-Type: a/b\r\n" + dicom + "x\r\n" + Close("b"),
       "part 1: Content-Type is repeated"},
      {"repeated Content-Length",
       "--b\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx\r\n" + Close("b"),
       "part 1: Content-Length is repeated"},
      {"Content-Length not a number", "--b\r\nContent-Length: 1e3\r\n\r\nx\r\n" + Close("b"),
       "part 1: Content-Length is not a decimal number"},
      {"Content-Length too long",
       "--b\r\nContent-Length: 99999999999999999999\r\n\r\nx\r\n" + Close("b"),
       "part 1: Content-Length is not a decimal number"},
      {"Content-Length mismatch",
       Part("b", "x") + "--b\r\nContent-Length: 5\r\n\r\nabc\r\n" + Close("b"),
       "part 2: Content-Length is 5 but the content has 3 bytes"},
      {"headers without empty line", "--b\r\nContent-Type: a/b\r\n--b--", "part 1:"},
      {"huge headers",
       "--b\r\nX: " + std::string(kMaxPartHeaderBytes, 'x') + "\r\n\r\nx\r\n" + Close("b"),
       "part 1: headers are longer than"},
  };
  for (const Malformed& c : cases) {
    const Read r = ReadAll(c.body, "b");
    EXPECT_NE(r.error, "") << c.name;
    EXPECT_NE(r.error.find(c.message), std::string::npos)
        << c.name << ": got \"" << r.error << "\"";
  }
}

TEST(MultipartReaderTest, KeepsReturningTheSameErrorAfterOne) {
  const std::string body = Part("b", "good") + "--b\r\nbroken\r\n\r\nx\r\n" + Close("b");
  MultipartReader reader(AsBytes(body), "b");
  auto first = reader.Next();
  ASSERT_TRUE(first && *first);
  auto failed = reader.Next();
  ASSERT_FALSE(failed);
  auto again = reader.Next();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, failed.error().message);
  EXPECT_NE(failed.error().message.find("part 2"), std::string::npos);
}

}  // namespace
}  // namespace cf::http
