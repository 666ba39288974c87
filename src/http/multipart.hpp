// SPDX-License-Identifier: Apache-2.0
// A strict reader of multipart bodies (RFC 2046 5.1.1, used as
// multipart/related by STOW-RS, PS3.18 8.6.1.2) and of the media type in a
// Content-Type header (RFC 9110 8.3.1). The body may be gigabytes mapped
// from a spool file, and every byte of it comes from the client: the reader
// never copies a part, allocates nothing per part and nothing whose size
// the client chooses, and finds delimiters in linear time. Anything that is
// not well formed is an error whose message names the problem (and the
// part, counted from 1), so that a client can fix its request.
// Internal to cf::http; no Asio/Beast. Pure code: thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::http {

// RFC 2046 5.1.1 allows 1 to 70 characters, but real clients send longer
// ones (Orthanc's STOW-RS client: two UUIDs, 73 characters). Any bound
// keeps the delimiter search linear; this one is generous.
inline constexpr size_t kMaxBoundaryLength = 200;
// The header block of one part (Content-Type, Content-Length, ...) must fit
// in this many bytes; real parts carry a few short headers.
inline constexpr size_t kMaxPartHeaderBytes = 16 * 1024;
// More parameters than this in one Content-Type is not a real client.
inline constexpr size_t kMaxMediaTypeParameters = 16;

// A media type with its parameters.
struct MediaType {
  std::string type;  // "multipart/related": type "/" subtype, lower case
  // Parameter names in lower case; values unquoted (quoted-pairs resolved),
  // case kept. Order as received.
  std::vector<std::pair<std::string, std::string>> parameters;

  // The value of parameter `name` (lower case); nullopt when absent.
  std::optional<std::string_view> Parameter(std::string_view name) const;
};

// Parses `value` as `type "/" subtype *( OWS ";" OWS name "=" value )` where
// value is a token or a quoted-string. Fails with kInvalidArgument naming
// the problem (empty, missing subtype, bad character, unterminated quote,
// repeated parameter, too many parameters).
Result<MediaType> ParseMediaType(std::string_view value);

// True when the media type `value` (a Content-Type header value, possibly
// with parameters) names `type` ("application/dicom"), case-insensitively.
// False for anything that does not parse.
bool IsMediaType(std::string_view value, std::string_view type);

// Checks a boundary parameter: 1 to kMaxBoundaryLength characters from RFC
// 2046's bchars, not ending in a space. kInvalidArgument naming the problem
// otherwise.
Result<void> ValidateBoundary(std::string_view boundary);

// One part of a multipart body; views into the body given to the reader.
struct MultipartPart {
  int index = 0;                               // position in the body, from 1
  std::string_view content_type;               // trimmed; empty when the part has none
  std::string_view content_transfer_encoding;  // trimmed; empty when absent
  std::optional<uint64_t> content_length;      // when the part declares one (then checked)
  ByteView body;                               // the part's content, never copied
};

// Makes a body readable as it is read, for a body that is not in memory
// whole: a spool file decrypted a window at a time (see spool_file.hpp).
class BodyPager {
 public:
  virtual ~BodyPager() = default;
  // Makes the body's bytes from where the reader is up to `end` (clamped to
  // the body's size) readable; returns how far they are readable now (at
  // least `end`, when the body is that long).
  virtual Result<size_t> Page(size_t end) = 0;
};

// Reads the parts of a multipart body one at a time:
//
//   [preamble CRLF] "--" boundary *LWSP CRLF part
//   *( CRLF "--" boundary *LWSP CRLF part )
//   CRLF "--" boundary "--" *LWSP [CRLF epilogue]
//
// where a part is header lines (each ending in CRLF), an empty line, then
// the content up to the next delimiter. Headers are "Name: value" lines;
// folded lines, bare CR or LF, a repeated Content-Type or Content-Length,
// and a Content-Length that differs from the content's size are errors. A
// delimiter followed by anything other than padding and CRLF (or "--") is
// an error too: RFC 2046 forbids the delimiter inside a part's content.
class MultipartReader {
 public:
  // Borrows `body`, which must outlive the reader and every part it returns.
  // With a `pager`, the reader reads no byte of `body` that the pager has
  // not made readable, front to back (a pager's error is the reader's); the
  // caller may release the bytes of the parts it is done with.
  // REQUIRES: ValidateBoundary(boundary) succeeded.
  MultipartReader(ByteView body, std::string_view boundary, BodyPager* pager = nullptr);

  // The next part; nullopt after the last one, once the closing delimiter
  // (and what may follow it) was checked. A body without any part is an
  // error. After an error, every call returns the same error.
  Result<std::optional<MultipartPart>> Next();

  // Parts returned so far.
  int PartsRead() const { return parts_read_; }

 private:
  enum class State { kStart, kInPart, kDone, kFailed };

  // Makes body_[.., end) readable; false (and the reader failed) when the
  // pager fails.
  bool Readable(size_t end);
  // Finds `CRLF "--" boundary` at or after `from`; npos when absent or the
  // pager failed (then state_ is kFailed).
  size_t FindDelimiter(size_t from);
  // After a boundary that ends at `pos`: skips padding and CRLF, or sees
  // "--" (close). Sets `closing`; returns the position after the line.
  Result<size_t> EndOfBoundaryLine(size_t pos, bool& closing);
  Result<MultipartPart> ReadPart(size_t start, size_t& next_delimiter);
  std::unexpected<Error> Failed(std::string message);

  std::string_view body_;
  std::string delimiter_;  // CRLF "--" boundary
  BodyPager* pager_ = nullptr;
  size_t readable_ = 0;  // body_[.., readable_) may be read
  State state_ = State::kStart;
  size_t pos_ = 0;  // where the next part starts (kInPart)
  int parts_read_ = 0;
  Error error_{ErrorCode::kInvalidArgument, ""};
};

}  // namespace cf::http
