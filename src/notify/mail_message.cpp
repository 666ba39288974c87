// SPDX-License-Identifier: Apache-2.0
#include "notify/mail_message.hpp"

#include <ctime>

#include "core/bytes.hpp"
#include "crypto/base64.hpp"

namespace cf::notify {
namespace {

// RFC 2047: a line holding encoded words has at most 76 characters.
constexpr size_t kMaxLine = 76;
constexpr size_t kWordOverhead = 12;  // "=?UTF-8?B?" and "?="

// The raw bytes a word may carry when `room` characters are left on its line.
size_t WordBytes(size_t room) {
  const size_t chars = room > kWordOverhead + 4 ? room - kWordOverhead : 4;
  return chars / 4 * 3;
}

bool PlainAscii(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  // "=?" would start what a reader takes for an encoded word.
  return text.find("=?") == std::string_view::npos;
}

// The length of a prefix of `text` of at most `max` bytes that ends on a
// UTF-8 character boundary.
size_t Utf8Prefix(std::string_view text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n == 0 ? max : n;  // not UTF-8 at all: cut anywhere
}

}  // namespace

std::string EncodeHeaderWord(std::string_view text, size_t used) {
  if (PlainAscii(text)) return std::string(text);
  std::string out;
  size_t room = kMaxLine > used ? kMaxLine - used : 0;
  while (!text.empty()) {
    const size_t n = Utf8Prefix(text, WordBytes(room));
    room = kMaxLine - 1;  // continuation lines start with a space
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + crypto::Base64Encode(AsBytes(text.substr(0, n))) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

std::string Rfc5322Date(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buffer;
}

std::string FormatMail(const MailMessage& mail) {
  std::string out;
  out += "Date: " + Rfc5322Date(mail.date_ms) + "\r\n";
  out += "From: <" + mail.from + ">\r\n";
  out += "To: <" + mail.to + ">\r\n";
  out += "Subject: " + EncodeHeaderWord(mail.subject, 9) + "\r\n";
  out += "Message-ID: <" + mail.message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  const std::string encoded = crypto::Base64Encode(AsBytes(mail.body));
  for (size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

}  // namespace cf::notify
