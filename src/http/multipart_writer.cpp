// SPDX-License-Identifier: Apache-2.0
// The boundary is 128 random bits: a DICOM object containing it by chance
// is not a practical concern, and scanning gigabytes to prove it absent
// would defeat streaming.
#include "http/multipart_writer.hpp"

#include <cstdio>
#include <random>

namespace cf::http {

MultipartWriter::MultipartWriter() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  boundary_ = "cloudfilm-";
  for (int i = 0; i < 16; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", byte(device));
    boundary_ += hex;
  }
}

std::string MultipartWriter::ContentType(std::string_view type) const {
  return "multipart/related; type=\"" + std::string(type) + "\"; boundary=" + boundary_;
}

std::string MultipartWriter::PartHeader(std::string_view content_type, size_t length,
                                        std::string_view location) {
  // The CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
  std::string out = first_ ? "--" : "\r\n--";
  first_ = false;
  out += boundary_;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(length);
  if (!location.empty()) {
    out += "\r\nContent-Location: ";
    out += location;
  }
  out += "\r\n\r\n";
  return out;
}

std::string MultipartWriter::Close() const {
  return (first_ ? "--" : "\r\n--") + boundary_ + "--\r\n";
}

}  // namespace cf::http
