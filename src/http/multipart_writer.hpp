// SPDX-License-Identifier: Apache-2.0
// Writing multipart/related bodies (RFC 2387, RFC 2046 5.1) for WADO-RS
// answers, one part at a time so that a streamed answer never holds more
// than the part being sent. (Reading multipart requests, for STOW-RS, is
// another file.) Internal to cf::http.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cf::http {

class MultipartWriter {
 public:
  MultipartWriter();  // a fresh random boundary

  // "multipart/related; type=\"<type>\"; boundary=<boundary>".
  std::string ContentType(std::string_view type) const;

  // The delimiter line and header fields that open the next part; its
  // `length` bytes follow. The part's Content-Length is not required by
  // RFC 2046, but clients that read parts by length (Orthanc's) use it.
  std::string PartHeader(std::string_view content_type, size_t length,
                         std::string_view location = {});

  // The closing delimiter, after the last part's bytes.
  std::string Close() const;

 private:
  std::string boundary_;
  bool first_ = true;
};

}  // namespace cf::http
