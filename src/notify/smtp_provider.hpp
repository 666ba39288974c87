// SPDX-License-Identifier: Apache-2.0
// Delivery by e-mail through an SMTP server (libcurl's smtp:// and smtps://,
// STARTTLS on request). The subject and body go out in UTF-8
// (mail_message.hpp); the Message-ID is the provider's message id.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "notify/provider.hpp"

namespace cf::notify {

struct SmtpOptions {
  std::string url{};  // smtp://host:587 or smtps://host:465
  std::string from{};
  bool starttls = true;    // smtp:// only: require STARTTLS (smtps:// is TLS from the start)
  std::string username{};  // empty: no login
  std::string password{};
  std::chrono::seconds timeout{30};
  std::filesystem::path ca_file{};
  std::string domain = "cloudfilm";  // the right side of Message-IDs
};

// Delivered when the server accepts the message; a 5xx answer to the
// recipient or the data is permanent, anything else (4xx, connection,
// TLS, timeout) is retried.
std::unique_ptr<Provider> MakeSmtpProvider(SmtpOptions options);

}  // namespace cf::notify
