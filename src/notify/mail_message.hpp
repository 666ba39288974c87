// SPDX-License-Identifier: Apache-2.0
// An e-mail as RFC 5322 wants it, for the SMTP provider: CRLF lines,
// headers in ASCII with a UTF-8 subject as RFC 2047 encoded words, and a
// UTF-8 body in base64, so that Chinese text arrives intact through any
// relay (no 8BITMIME needed, no line over 78 characters).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cf::notify {

// `text` as it may stand in a header after `used` characters of its first
// line ("Subject: " is 9): unchanged when it is printable ASCII, else
// "=?UTF-8?B?...?=" words folded with CRLF SP, never splitting a UTF-8
// character across two words, every line at most 76 characters (RFC 2047
// section 2).
std::string EncodeHeaderWord(std::string_view text, size_t used = 0);

struct MailMessage {
  std::string from;  // an address (the envelope and the From header)
  std::string to;
  std::string subject;     // UTF-8
  std::string body;        // UTF-8
  std::string message_id;  // without the angle brackets
  int64_t date_ms = 0;     // Unix ms
};

// The whole message, headers and body, CRLF line ends.
std::string FormatMail(const MailMessage& mail);

// "Sun, 29 Nov 2026 06:51:05 +0000".
std::string Rfc5322Date(int64_t ms);

}  // namespace cf::notify
