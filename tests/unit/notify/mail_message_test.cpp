// SPDX-License-Identifier: Apache-2.0
#include "notify/mail_message.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/base64.hpp"

namespace cf::notify {
namespace {

// Decodes what EncodeHeaderWord wrote (only the B encoding it uses).
std::string DecodeWords(const std::string& header) {
  std::string out;
  size_t pos = 0;
  while ((pos = header.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const size_t start = pos + 10;
    const size_t end = header.find("?=", start);
    auto bytes = crypto::Base64Decode(header.substr(start, end - start));
    EXPECT_TRUE(bytes.has_value());
    if (bytes) out += std::string(AsChars(*bytes));
    pos = end + 2;
  }
  return out;
}

// Whether `text` starts and ends on character boundaries.
bool WholeUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t n = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (n == 0 || i + n > text.size()) return false;
    i += n;
  }
  return true;
}

TEST(MailMessageTest, PrintableAsciiSubjectStaysAsItIs) {
  EXPECT_EQ(EncodeHeaderWord("Your film is ready"), "Your film is ready");
}

TEST(MailMessageTest, ChineseSubjectIsOneBase64EncodedWord) {
  // Base64 of the UTF-8 bytes, as `printf 检查报告已发布 | base64` prints it.
  EXPECT_EQ(EncodeHeaderWord("检查报告已发布"), "=?UTF-8?B?5qOA5p+l5oql5ZGK5bey5Y+R5biD?=");
}

TEST(MailMessageTest, AsciiThatLooksLikeAnEncodedWordIsEncoded) {
  EXPECT_EQ(DecodeWords(EncodeHeaderWord("=?x?= trick")), "=?x?= trick");
}

TEST(MailMessageTest, LongSubjectFoldsIntoWordsThatNeverSplitACharacter) {
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "影像";  // 240 bytes of 3-byte characters
  subject += " CT 2026";
  const std::string header = EncodeHeaderWord(subject, 9);
  size_t begin = 0;
  int words = 0;
  while (begin < header.size()) {
    size_t end = header.find("\r\n ", begin);
    if (end == std::string::npos) end = header.size();
    const std::string word = header.substr(begin, end - begin);
    EXPECT_LE(word.size(), 75u) << word;
    // With "Subject: " before the first word and " " before the others.
    EXPECT_LE(word.size() + (words == 0 ? 9 : 1), 76u) << word;
    // Each word decodes to whole characters on its own.
    auto bytes = crypto::Base64Decode(word.substr(10, word.size() - 12));
    ASSERT_TRUE(bytes);
    EXPECT_TRUE(WholeUtf8(AsChars(*bytes))) << word;
    ++words;
    begin = end + 3;
  }
  EXPECT_GT(words, 5);
  EXPECT_EQ(DecodeWords(header), subject);
}

TEST(MailMessageTest, MessageHasHeadersAndABase64Utf8Body) {
  MailMessage m;
  m.from = "films@hospital.example";
  m.to = "patient@example.org";
  m.subject = "您的胶片";
  m.body = "您好，您的检查报告已发布。";
  m.message_id = "abc.1@cloudfilm";
  m.date_ms = 1'796'000'000'000;
  const std::string text = FormatMail(m);
  EXPECT_NE(text.find("Date: " + Rfc5322Date(m.date_ms) + "\r\n"), std::string::npos);
  EXPECT_NE(text.find("From: <films@hospital.example>\r\n"), std::string::npos);
  EXPECT_NE(text.find("To: <patient@example.org>\r\n"), std::string::npos);
  EXPECT_NE(text.find("Subject: =?UTF-8?B?5oKo55qE6IO254mH?=\r\n"), std::string::npos);
  EXPECT_NE(text.find("Message-ID: <abc.1@cloudfilm>\r\n"), std::string::npos);
  EXPECT_NE(text.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  const size_t body_at = text.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  std::string encoded = text.substr(body_at + 4);
  std::erase(encoded, '\r');
  std::erase(encoded, '\n');
  auto body = crypto::Base64Decode(encoded);
  ASSERT_TRUE(body);
  EXPECT_EQ(AsChars(*body), m.body);
}

TEST(MailMessageTest, DateIsRfc5322InUtc) {
  EXPECT_EQ(Rfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(Rfc5322Date(1'796'000'000'000), "Mon, 30 Nov 2026 00:53:20 +0000");
}

}  // namespace
}  // namespace cf::notify
