// SPDX-License-Identifier: Apache-2.0
#include "notify_setup.hpp"

#include <fstream>
#include <sstream>

#include "notify/file_provider.hpp"
#include "notify/smtp_provider.hpp"
#include "notify/webhook_provider.hpp"
#include "runtime.hpp"

namespace cf::app {
namespace {

// The whole file without its trailing line end: secrets come from files
// (a mounted secret, mode 0600), never from the command line, where `ps`
// would show them.
Result<std::string> ReadSecret(const std::string& setting, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ErrorCode::kInvalidArgument, setting + ": cannot read " + path.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    return Fail(ErrorCode::kInvalidArgument, setting + ": " + path.string() + " is empty");
  }
  return secret;
}

}  // namespace

Result<NotifyParts> OpenNotify(const Config& config) {
  const NotifyConfig& n = config.notify;
  NotifyParts parts;
  if (!n.webhook_url.empty() && !n.webhook_secret_file.empty()) {
    auto secret = ReadSecret("notify.webhook.secret_file", n.webhook_secret_file);
    if (!secret) return std::unexpected(secret.error());
    notify::WebhookOptions options;
    options.url = n.webhook_url;
    options.secret.assign(reinterpret_cast<const std::byte*>(secret->data()),
                          reinterpret_cast<const std::byte*>(secret->data() + secret->size()));
    options.timeout = ParseDuration(n.webhook_timeout).value_or(options.timeout);
    options.ca_file = n.webhook_ca_file;
    parts.providers.Add("webhook", notify::MakeWebhookProvider(std::move(options)));
  }
  if (!n.smtp_url.empty() && !n.smtp_from.empty()) {
    notify::SmtpOptions options;
    options.url = n.smtp_url;
    options.from = n.smtp_from;
    options.starttls = n.smtp_starttls && n.smtp_url.rfind("smtp://", 0) == 0;
    options.username = n.smtp_username;
    if (!n.smtp_password_file.empty()) {
      auto password = ReadSecret("notify.smtp.password_file", n.smtp_password_file);
      if (!password) return std::unexpected(password.error());
      options.password = std::move(*password);
    }
    options.timeout = ParseDuration(n.smtp_timeout).value_or(options.timeout);
    options.ca_file = n.smtp_ca_file;
    parts.providers.Add("smtp", notify::MakeSmtpProvider(std::move(options)));
  }
  parts.providers.Add("file", notify::MakeFileProvider(config.NotifyFilePath()));

  std::error_code ec;
  std::filesystem::create_directories(config.data, ec);
  auto vfs = DatabaseVfs(config, "outbox", config.OutboxPath());
  if (!vfs) return std::unexpected(vfs.error());
  notify::OutboxOptions options;
  options.path = config.OutboxPath();
  options.vfs = *vfs;
  options.retry.max_attempts = n.max_attempts;
  options.retry.first_delay = ParseDuration(n.first_delay).value_or(options.retry.first_delay);
  options.retry.max_delay = ParseDuration(n.max_delay).value_or(options.retry.max_delay);
  options.retry.max_age = ParseDuration(n.max_age).value_or(options.retry.max_age);
  options.default_provider = n.provider;
  for (const char* name : {"webhook", "smtp", "file"}) {
    if (parts.providers.Find(name) != nullptr) options.known_providers.insert(name);
  }
  for (const auto& t : config.tenants) {
    if (!t.notify_provider.empty()) options.tenant_providers[t.code] = t.notify_provider;
  }
  auto outbox = notify::Outbox::Open(std::move(options));
  if (!outbox) return std::unexpected(outbox.error());
  parts.outbox = std::move(*outbox);
  return parts;
}

bool NotificationsConfigured(const Config& config) {
  if (config.notify.provider != "none") return true;
  for (const auto& t : config.tenants) {
    if (!t.notify_provider.empty() && t.notify_provider != "none") return true;
  }
  return false;
}

access::ShareNotifier OutboxShareNotifier(notify::Outbox& outbox) {
  return [&outbox](const access::ShareNotice& notice) -> Result<void> {
    using Kind = access::ShareNotice::Kind;
    if (notice.kind == Kind::kFirstOpened) {
      auto recorded = outbox.RecordFirstOpening(notice.film_id, notice.at_ms);
      if (!recorded) return std::unexpected(recorded.error());
      return {};
    }
    notify::Notification m;
    m.tenant = notice.tenant;
    m.kind = std::string(access::ShareNoticeKindName(notice.kind));
    m.recipient = notice.recipient;
    m.film_id = notice.film_id;
    // One message per notice, however often the hook is retried.
    m.idempotency_key = m.kind + ":" + notice.share_id + ":" + std::to_string(notice.at_ms);
    switch (notice.kind) {
      case Kind::kOneTimeCode:
        m.subject = "云胶片验证码 / Cloud film code";
        m.body = "您的云胶片验证码是 " + notice.text + "，5 分钟内有效，请勿告诉他人。\n" +
                 "Your cloud film code is " + notice.text +
                 ". It is valid for 5 minutes; do not share it.";
        break;
      case Kind::kOpenedByOther:
        m.subject = "您的云胶片被查看 / Your film was opened";
        m.body = "您的云胶片刚被他人打开。如有疑问，请联系医院或撤销分享。\n" + notice.text + ".";
        break;
      default:
        m.subject = "云胶片 / Cloud film";
        m.body = notice.text;
    }
    auto queued = outbox.Enqueue(std::move(m));
    if (!queued) return std::unexpected(queued.error());
    return {};
  };
}

}  // namespace cf::app
