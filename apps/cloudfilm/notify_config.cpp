// SPDX-License-Identifier: Apache-2.0
#include "notify_config.hpp"

#include "config.hpp"
#include "toml_read.hpp"

namespace cf::app {
namespace {

const toml::table* Sub(const toml::table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  return n == nullptr ? nullptr : n->as_table();
}

bool IsProvider(std::string_view name) {
  return name == "webhook" || name == "smtp" || name == "file" || name == "none";
}

Result<void> CheckProvider(const NotifyConfig& n, const std::string& setting,
                           const std::string& name) {
  if (!IsProvider(name)) {
    return std::unexpected(
        ConfigError(setting + " must be \"webhook\", \"smtp\", \"file\" or \"none\""));
  }
  if (name == "webhook" && (n.webhook_url.empty() || n.webhook_secret_file.empty())) {
    return std::unexpected(ConfigError(
        setting + " = \"webhook\" needs notify.webhook.url and notify.webhook.secret_file"));
  }
  if (name == "smtp" && (n.smtp_url.empty() || n.smtp_from.empty())) {
    return std::unexpected(
        ConfigError(setting + " = \"smtp\" needs notify.smtp.url and notify.smtp.from"));
  }
  return {};
}

bool OneLine(std::string_view text) { return text.find_first_of("\r\n<>") == std::string::npos; }

}  // namespace

Result<void> ReadNotifyConfig(const toml::table& s, NotifyConfig& n) {
  Result<void> r;
  if (!(r = CheckKeys(s, {"provider", "webhook", "smtp", "file", "retry"}, "notify."))) return r;
  if (!(r = Read(s, "provider", n.provider, "notify."))) return r;
  for (const char* sub : {"webhook", "smtp", "file", "retry"}) {
    if (s.get(sub) != nullptr && Sub(s, sub) == nullptr) {
      return std::unexpected(ConfigError(std::string("notify.") + sub + " must be a table"));
    }
  }
  if (const toml::table* w = Sub(s, "webhook")) {
    const std::string where = "notify.webhook.";
    if (!(r = CheckKeys(*w, {"url", "secret_file", "timeout", "ca_file"}, where))) return r;
    if (!(r = Read(*w, "url", n.webhook_url, where))) return r;
    if (!(r = Read(*w, "secret_file", n.webhook_secret_file, where))) return r;
    if (!(r = Read(*w, "timeout", n.webhook_timeout, where))) return r;
    if (!(r = Read(*w, "ca_file", n.webhook_ca_file, where))) return r;
  }
  if (const toml::table* m = Sub(s, "smtp")) {
    const std::string where = "notify.smtp.";
    if (!(r = CheckKeys(
              *m, {"url", "from", "starttls", "username", "password_file", "timeout", "ca_file"},
              where)))
      return r;
    if (!(r = Read(*m, "url", n.smtp_url, where))) return r;
    if (!(r = Read(*m, "from", n.smtp_from, where))) return r;
    if (!(r = Read(*m, "starttls", n.smtp_starttls, where))) return r;
    if (!(r = Read(*m, "username", n.smtp_username, where))) return r;
    if (!(r = Read(*m, "password_file", n.smtp_password_file, where))) return r;
    if (!(r = Read(*m, "timeout", n.smtp_timeout, where))) return r;
    if (!(r = Read(*m, "ca_file", n.smtp_ca_file, where))) return r;
  }
  if (const toml::table* f = Sub(s, "file")) {
    if (!(r = CheckKeys(*f, {"path"}, "notify.file."))) return r;
    if (!(r = Read(*f, "path", n.file_path, "notify.file."))) return r;
  }
  if (const toml::table* t = Sub(s, "retry")) {
    const std::string where = "notify.retry.";
    if (!(r = CheckKeys(*t, {"max_attempts", "first_delay", "max_delay", "max_age"}, where))) {
      return r;
    }
    if (!(r = Read(*t, "max_attempts", n.max_attempts, where))) return r;
    if (!(r = Read(*t, "first_delay", n.first_delay, where))) return r;
    if (!(r = Read(*t, "max_delay", n.max_delay, where))) return r;
    if (!(r = Read(*t, "max_age", n.max_age, where))) return r;
  }
  return {};
}

Result<void> ValidateNotify(const Config& c) {
  const NotifyConfig& n = c.notify;
  if (auto r = CheckProvider(n, "notify.provider", n.provider); !r) return r;
  if (n.max_attempts < 1 || n.max_attempts > 1000) {
    return std::unexpected(ConfigError("notify.retry.max_attempts must be from 1 to 1000"));
  }
  for (const auto& t : c.tenants) {
    if (t.notify_provider.empty()) continue;
    if (auto r = CheckProvider(n, "tenants." + t.code + ".notify_provider", t.notify_provider); !r)
      return r;
  }
  if (!n.webhook_url.empty() && n.webhook_url.rfind("https://", 0) != 0 &&
      n.webhook_url.rfind("http://", 0) != 0) {
    return std::unexpected(ConfigError("notify.webhook.url must start with https:// or http://"));
  }
  if (!n.smtp_url.empty() && n.smtp_url.rfind("smtp://", 0) != 0 &&
      n.smtp_url.rfind("smtps://", 0) != 0) {
    return std::unexpected(ConfigError("notify.smtp.url must start with smtp:// or smtps://"));
  }
  // They go into the SMTP envelope and the From header as they are.
  if (!OneLine(n.smtp_from) || !OneLine(n.smtp_username)) {
    return std::unexpected(ConfigError("notify.smtp.from and username must be one line"));
  }
  if (n.smtp_username.empty() != n.smtp_password_file.empty()) {
    return std::unexpected(ConfigError(
        "notify.smtp.username and notify.smtp.password_file go together: set both or neither"));
  }
  for (const auto& [name, value] : {std::pair{"notify.webhook.timeout", &n.webhook_timeout},
                                    {"notify.smtp.timeout", &n.smtp_timeout},
                                    {"notify.retry.first_delay", &n.first_delay},
                                    {"notify.retry.max_delay", &n.max_delay},
                                    {"notify.retry.max_age", &n.max_age}}) {
    const auto parsed = ParseDuration(*value);
    if (!parsed || parsed->count() < 1) {
      return std::unexpected(
          ConfigError(std::string(name) + " must be a duration of at least 1 s, such as \"30s\""));
    }
  }
  if (*ParseDuration(n.webhook_timeout) > std::chrono::minutes(5) ||
      *ParseDuration(n.smtp_timeout) > std::chrono::minutes(5)) {
    return std::unexpected(ConfigError("notify timeouts must be at most 5 minutes"));
  }
  return {};
}

toml::table NotifyToToml(const NotifyConfig& n) {
  return toml::table{
      {"provider", n.provider},
      {"webhook", toml::table{{"url", n.webhook_url},
                              {"secret_file", n.webhook_secret_file.string()},
                              {"timeout", n.webhook_timeout},
                              {"ca_file", n.webhook_ca_file.string()}}},
      {"smtp", toml::table{{"url", n.smtp_url},
                           {"from", n.smtp_from},
                           {"starttls", n.smtp_starttls},
                           {"username", n.smtp_username},
                           {"password_file", n.smtp_password_file.string()},
                           {"timeout", n.smtp_timeout},
                           {"ca_file", n.smtp_ca_file.string()}}},
      {"file", toml::table{{"path", n.file_path.string()}}},
      {"retry", toml::table{{"max_attempts", n.max_attempts},
                            {"first_delay", n.first_delay},
                            {"max_delay", n.max_delay},
                            {"max_age", n.max_age}}},
  };
}

}  // namespace cf::app
