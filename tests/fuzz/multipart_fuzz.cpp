// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the multipart reader and the media type parser that
// STOW-RS runs on bytes straight from the client (`make fuzz`). An input is
// a Content-Type value up to the first '\n', then the body. Besides
// crashes and sanitizer findings, it checks the reader's promises: parts
// lie inside the body, in order, never hold the delimiter, match their
// Content-Length; an error has a message and is sticky.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/multipart.hpp"

namespace {

void Require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view header = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  std::string boundary = "b";
  if (const auto media = cf::http::ParseMediaType(header)) {
    Require(!media->type.empty());
    Require(media->parameters.size() <= cf::http::kMaxMediaTypeParameters);
    if (const auto b = media->Parameter("boundary"); b && cf::http::ValidateBoundary(*b)) {
      boundary = std::string(*b);
    }
  } else {
    Require(!media.error().message.empty());
  }

  const cf::ByteView bytes = cf::AsBytes(body);
  const std::byte* const begin = bytes.data();
  const std::byte* const end = bytes.data() + bytes.size();
  const std::byte* previous_end = begin;
  const std::string delimiter = "\r\n--" + boundary;
  cf::http::MultipartReader reader(bytes, boundary);
  for (;;) {
    auto part = reader.Next();
    if (!part) {
      Require(!part.error().message.empty());
      const auto again = reader.Next();
      Require(!again && again.error().message == part.error().message);
      break;
    }
    if (!*part) {
      Require(reader.PartsRead() > 0);
      Require(!reader.Next().value().has_value());
      break;
    }
    const cf::http::MultipartPart& p = **part;
    Require(p.index == reader.PartsRead());
    Require(p.body.empty() ||
            (p.body.data() >= previous_end && p.body.data() + p.body.size() <= end));
    Require(!p.content_length || *p.content_length == p.body.size());
    Require(cf::AsChars(p.body).find(delimiter) == std::string_view::npos);
    if (!p.body.empty()) previous_end = p.body.data() + p.body.size();
    (void)cf::http::IsMediaType(p.content_type, "application/dicom");
  }
  return 0;
}
