// SPDX-License-Identifier: Apache-2.0
// Text values of an object to UTF-8, following its Specific Character Set
// (0008,0005). Shared by ParseInstance (the indexed attributes) and the DICOM
// JSON writer (every attribute), so that both decode a name the same way.
// DCMTK's converter does the work; ISO 2022 Japanese goes through
// charset_japanese.hpp, which Debian's DCMTK cannot convert. Internal to
// cf::dicom: the header keeps DCMTK types out (the converter is behind Impl).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cf::dicom {

// `text` with every byte sequence that is not valid UTF-8 replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);

// Not thread-safe (DCMTK's converter keeps state); one per object and thread.
class TextDecoder {
 public:
  // `charset` is the raw (0008,0005) value, backslash-separated, padding
  // trimmed. An unsupported one adds a warning (no patient data) and
  // decodes as if it were ASCII, with invalid bytes replaced.
  TextDecoder(const std::string& charset, std::vector<std::string>& warnings);
  ~TextDecoder();
  TextDecoder(const TextDecoder&) = delete;
  TextDecoder& operator=(const TextDecoder&) = delete;

  // UTF-8 for the raw value bytes. `delimiters` are the characters that
  // reset ISO 2022 escape state ("\\" for most VRs, "\\^=" for PN). Never
  // fails: what does not convert comes back with U+FFFD in place.
  std::string Decode(std::string_view raw, const char* delimiters);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::dicom
