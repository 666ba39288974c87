// SPDX-License-Identifier: Apache-2.0
#include "http/notify_routes.hpp"

// g++ 12 reports a false -Wmismatched-new-delete for Asio's coroutine frame
// allocator in Send (GCC bug 109224; router.cpp has the same).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <charconv>

#include "audit/event.hpp"
#include "core/time_text.hpp"
#include "http/blocking.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/response.hpp"
#include "notify/outbox.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using access::Permission;
using audit::Action;
using boost::asio::awaitable;
using nlohmann::json;

json TimeOrNull(int64_t ms) { return ms > 0 ? json(Rfc3339Utc(ms)) : json(nullptr); }

// What an admin sees: the delivery state, never the subject or body.
json ToJson(const notify::Notification& n) {
  const bool queued = n.status == notify::Status::kQueued;
  return {{"id", n.id},
          {"tenant", n.tenant},
          {"kind", n.kind},
          {"provider", n.provider},
          {"recipient", notify::MaskRecipient(n.recipient)},
          {"idempotency_key", n.idempotency_key},
          {"film_id", n.film_id},
          {"status", notify::StatusName(n.status)},
          {"attempts", n.attempts},
          {"created_at", Rfc3339Utc(n.created_ms)},
          {"next_attempt_at", queued ? TimeOrNull(n.next_attempt_ms) : json(nullptr)},
          {"last_error", n.last_error},
          {"delivered_at", TimeOrNull(n.delivered_ms)},
          {"provider_message_id", n.provider_message_id},
          {"received_at", TimeOrNull(n.received_ms)}};
}

awaitable<Response> List(const ApiContext& ctx, const Request& req) {
  std::optional<notify::Status> status;
  if (const auto text = req.query.Get("status"); text && !text->empty()) {
    status = notify::ParseStatus(*text);
    if (!status) {
      co_return ErrorResponse(
          {ErrorCode::kInvalidArgument, "status must be queued, sending, delivered or failed"});
    }
  }
  int limit = 50;
  if (const auto text = req.query.Get("limit"); text && !text->empty()) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc{} || end != text->data() + text->size() || limit < 1 || limit > 1000) {
      co_return ErrorResponse({ErrorCode::kInvalidArgument, "limit must be from 1 to 1000"});
    }
  }
  auto items = co_await RunBlocking(ctx.blocking,
                                    [&] { return ctx.outbox->List(req.scope, status, limit); });
  if (!items) co_return ErrorResponse(items.error());
  json list = json::array();
  for (const auto& n : *items) list.push_back(ToJson(n));
  Response response = JsonResponse({{"items", std::move(list)}, {"limit", limit}});
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

// The message a POST body describes, for the caller's hospital.
Result<notify::Notification> ParseMessage(const Request& req) {
  auto body = JsonBody(req);
  if (!body) return std::unexpected(body.error());
  notify::Notification n;
  n.tenant = req.tenant;
  if (auto r = ReadStringFields(*body, {{"to", &n.recipient, true},
                                        {"text", &n.body, true},
                                        {"subject", &n.subject},
                                        {"kind", &n.kind},
                                        {"provider", &n.provider},
                                        {"idempotency_key", &n.idempotency_key},
                                        {"film_id", &n.film_id}});
      !r) {
    return std::unexpected(r.error());
  }
  if (n.kind.empty()) n.kind = "test";
  return n;
}

awaitable<Response> Send(const ApiContext& ctx, const Request& req) {
  auto message = ParseMessage(req);
  if (!message) co_return ErrorResponse(message.error());
  auto queued = co_await RunBlocking(ctx.blocking, [&] { return ctx.outbox->Enqueue(*message); });
  if (!queued) co_return ErrorResponse(queued.error());
  Response response = JsonResponse(ToJson(queued->notification), queued->created ? 201 : 200);
  response.SetHeader("Location", "/api/notifications/" + queued->notification.id);
  co_return response;
}

awaitable<Response> Get(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("id"));
  auto n = co_await RunBlocking(ctx.blocking, [&] { return ctx.outbox->Get(req.scope, id); });
  if (!n) co_return ErrorResponse(n.error());
  Response response = JsonResponse(ToJson(*n));
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

}  // namespace

void AddNotifyRoutes(Router& router, const ApiContext& context) {
  if (context.outbox == nullptr) return;
  using beast_http::verb;
  // Masked recipients are still about patients: every read is audited.
  router.Add(verb::get, "/api/notifications", {Permission::kReadSystem, Action::kQuery},
             Bind<List>(context));
  router.Add(verb::get, "/api/notifications/{id}", {Permission::kReadSystem, Action::kView},
             Bind<Get>(context));
  // Sending discloses a text to a recipient: an export, like a share.
  router.Add(verb::post, "/api/notifications", {Permission::kManageAccounts, Action::kShare},
             Bind<Send>(context));
}

}  // namespace cf::http
