// SPDX-License-Identifier: Apache-2.0
#include "notify/smtp_provider.hpp"

#include <cstring>

#include "core/time_text.hpp"
#include "notify/curl_easy.hpp"
#include "notify/mail_message.hpp"

namespace cf::notify {
namespace {

struct Reader {
  std::string_view rest;
};

size_t Read(char* out, size_t size, size_t count, void* data) {
  auto* reader = static_cast<Reader*>(data);
  const size_t n = std::min(size * count, reader->rest.size());
  std::memcpy(out, reader->rest.data(), n);
  reader->rest.remove_prefix(n);
  return n;
}

class SmtpProvider final : public Provider {
 public:
  explicit SmtpProvider(SmtpOptions options) : options_(std::move(options)) {}

  SendResult Send(const Notification& n) override {
    MailMessage mail;
    mail.from = options_.from;
    mail.to = n.recipient;
    mail.subject = n.subject;
    mail.body = n.body;
    mail.message_id = n.id + "." + std::to_string(n.attempts) + "@" + options_.domain;
    mail.date_ms = UnixNowMs();
    const std::string text = FormatMail(mail);
    auto session = NewCurl(options_.timeout, options_.ca_file);
    if (!session) return {SendOutcome::kRetry, {}, session.error().message};
    const CurlLibrary& curl = *session->library;
    CURL* c = session->handle.get();
    CurlList recipients(curl.slist_append(nullptr, ("<" + n.recipient + ">").c_str()));
    Reader reader{text};
    curl.easy_setopt(c, CURLOPT_URL, options_.url.c_str());
    curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (options_.starttls) curl.easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!options_.username.empty()) {
      curl.easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
      curl.easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
    }
    const std::string from = "<" + options_.from + ">";
    curl.easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl.easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    curl.easy_setopt(c, CURLOPT_READFUNCTION, Read);
    curl.easy_setopt(c, CURLOPT_READDATA, &reader);
    curl.easy_setopt(c, CURLOPT_UPLOAD, 1L);
    const CURLcode rc = curl.easy_perform(c);
    if (rc == CURLE_OK) return {SendOutcome::kDelivered, mail.message_id, {}};
    long code = 0;
    curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    std::string error = CurlError(curl, rc);
    if (code > 0) error += " (SMTP " + std::to_string(code) + ")";
    // The server's last reply: 5xx is a definite no (unknown mailbox,
    // refused login), 4xx and no reply at all may pass later.
    const bool permanent = code >= 500 && code < 600;
    return {permanent ? SendOutcome::kPermanent : SendOutcome::kRetry, {}, error};
  }

 private:
  SmtpOptions options_;
};

}  // namespace

std::unique_ptr<Provider> MakeSmtpProvider(SmtpOptions options) {
  return std::make_unique<SmtpProvider>(std::move(options));
}

}  // namespace cf::notify
