// SPDX-License-Identifier: Apache-2.0
// The [notify] section of the configuration: which provider delivers the
// outbox's messages, each provider's settings, and the retry policy
// (docs/operations.md, "Notifications"). Secrets (the webhook's HMAC key,
// the SMTP password) are named by file, read at startup, and never printed.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace cf::app {

struct Config;

struct NotifyConfig {
  // "webhook", "smtp", "file" or "none" (messages wait in the outbox and
  // fail when the retry policy gives up). A tenant may name its own
  // (tenants.<code>.notify_provider).
  std::string provider = "none";

  std::string webhook_url;                    // http:// or https://
  std::filesystem::path webhook_secret_file;  // the HMAC-SHA256 key, shared with the gateway
  std::string webhook_timeout = "10s";
  std::filesystem::path webhook_ca_file;  // empty: the system's trust store

  std::string smtp_url;  // smtp://host:587 (STARTTLS) or smtps://host:465
  std::string smtp_from;
  bool smtp_starttls = true;
  std::string smtp_username;
  std::filesystem::path smtp_password_file;
  std::string smtp_timeout = "30s";
  std::filesystem::path smtp_ca_file;

  std::filesystem::path file_path;  // empty: DATA/notifications.jsonl

  int max_attempts = 8;
  std::string first_delay = "30s";
  std::string max_delay = "1h";
  std::string max_age = "24h";
};

// Reads the [notify] table into `notify`; unknown keys are errors.
Result<void> ReadNotifyConfig(const toml::table& section, NotifyConfig& notify);

// Checks the providers named by [notify] and by the tenants exist and have
// what they need, and the durations and attempts make sense.
Result<void> ValidateNotify(const Config& config);

// The settings in effect as a TOML table, secrets named by file only.
toml::table NotifyToToml(const NotifyConfig& notify);

}  // namespace cf::app
