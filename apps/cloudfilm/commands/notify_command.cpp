// SPDX-License-Identifier: Apache-2.0
// `cloudfilm notify ...`: the notification outbox for operators.
//
//   send --to R --text T [--subject S] [--tenant C] [--provider P] [--kind K]
//        [--key K]       enqueues a message and delivers it at once with the
//                        configured provider, to test that configuration;
//                        exit 0 when delivered, 1 otherwise (a transient
//                        failure stays queued for the server's worker)
//   list [--status S] [--limit N]
//                        the newest messages' delivery state, recipients
//                        masked, no texts
//
// Sending is audited like the API's POST /api/notifications.
#include <iostream>
#include <memory>

#include "../notify_setup.hpp"
#include "../runtime.hpp"
#include "commands.hpp"
#include "core/time_text.hpp"

namespace cf::app {
namespace {

struct SendArgs {
  std::string to;
  std::string text;
  std::string subject = "cloudfilm";
  std::string tenant = "default";
  std::string provider;
  std::string kind = "test";
  std::string key;
};

std::string Time(int64_t ms) { return ms > 0 ? Rfc3339Utc(ms) : "-"; }

void Print(const notify::Notification& n) {
  std::cout << n.id << "  " << notify::StatusName(n.status) << "  attempts=" << n.attempts
            << "  provider=" << n.provider << "  tenant=" << n.tenant << "  kind=" << n.kind
            << "  to=" << notify::MaskRecipient(n.recipient) << "  created=" << Time(n.created_ms)
            << "  delivered=" << Time(n.delivered_ms);
  if (!n.provider_message_id.empty()) std::cout << "  message_id=" << n.provider_message_id;
  if (n.received_ms > 0) std::cout << "  received=" << Time(n.received_ms);
  if (!n.last_error.empty()) std::cout << "  error=\"" << n.last_error << "\"";
  std::cout << "\n";
}

int RunSend(const Config& config, const SendArgs& args) {
  auto parts = OpenNotify(config);
  if (!parts) return ReportError(parts.error());
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  notify::Notification n;
  n.tenant = args.tenant;
  n.kind = args.kind;
  n.provider = args.provider;
  n.recipient = args.to;
  n.subject = args.subject;
  n.body = args.text;
  n.idempotency_key = args.key;
  auto queued = parts->outbox->Enqueue(n);
  if (!queued) return ReportError(queued.error());
  audit::Event event;
  event.tenant = n.tenant;
  event.actor = "operator";
  event.action = audit::Action::kShare;
  event.protocol = "cli";
  event.route = "notify send";
  event.detail = "notification " + queued->notification.id;
  if (auto r = security->audit->Record(event); !r) return ReportError(r.error());
  // A running server's worker may have taken it first; then say so.
  auto claimed = parts->outbox->Claim(queued->notification.id);
  if (!claimed) return ReportError(claimed.error());
  if (!*claimed) {
    auto stored = parts->outbox->Get(catalog::Scope::All(), queued->notification.id);
    if (!stored) return ReportError(stored.error());
    Print(*stored);
    return stored->status == notify::Status::kDelivered ? 0 : 1;
  }
  auto sent = notify::Deliver(*parts->outbox, parts->providers, **claimed);
  if (!sent) return ReportError(sent.error());
  Print(*sent);
  return sent->status == notify::Status::kDelivered ? 0 : 1;
}

int RunList(const Config& config, const std::string& status_name, int limit) {
  std::optional<notify::Status> status;
  if (!status_name.empty()) {
    status = notify::ParseStatus(status_name);
    if (!status) {
      return ReportError(
          {ErrorCode::kInvalidArgument, "--status must be queued, sending, delivered or failed"});
    }
  }
  auto parts = OpenNotify(config);
  if (!parts) return ReportError(parts.error());
  auto items = parts->outbox->List(catalog::Scope::All(), status, limit);
  if (!items) return ReportError(items.error());
  for (const auto& n : *items) Print(n);
  return 0;
}

}  // namespace

void RegisterNotify(CLI::App& app, Runner& run) {
  CLI::App* notify = app.add_subcommand("notify", "send test notifications, list the outbox");
  notify->require_subcommand(1);
  auto send = std::make_shared<SendArgs>();
  CLI::App* send_cmd = notify->add_subcommand(
      "send", "enqueue a message and deliver it now with the configured provider");
  send_cmd->add_option("--to", send->to, "a phone number or e-mail address")->required();
  send_cmd->add_option("--text", send->text, "the message text (UTF-8)")->required();
  send_cmd->add_option("--subject", send->subject, "the subject (e-mail)");
  send_cmd->add_option("--tenant", send->tenant, "the hospital it is sent for");
  send_cmd->add_option("--provider", send->provider,
                       "webhook, smtp or file (default: the tenant's configured one)");
  send_cmd->add_option("--kind", send->kind, "what the message is (default: test)");
  send_cmd->add_option("--key", send->key, "idempotency key: the same key again sends nothing new");
  send_cmd->callback(
      [&run, send] { run = [send](const Config& config) { return RunSend(config, *send); }; });
  auto status = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(50);
  CLI::App* list = notify->add_subcommand("list", "the outbox's newest messages");
  list->add_option("--status", *status, "queued, sending, delivered or failed");
  list->add_option("--limit", *limit, "at most this many (1-1000)")->check(CLI::Range(1, 1000));
  list->callback([&run, status, limit] {
    run = [status, limit](const Config& config) { return RunList(config, *status, *limit); };
  });
}

}  // namespace cf::app
