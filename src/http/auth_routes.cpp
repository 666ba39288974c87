// SPDX-License-Identifier: Apache-2.0
// Request bodies are small JSON objects; every field is checked before
// Access sees it, and every refusal is a problem JSON naming the field.
// Passwords and tokens never reach a log line: the router logs routes, not
// bodies, and nothing here logs.
#include "http/auth_routes.hpp"

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <utility>

#include "access/access.hpp"
#include "audit/audit_log.hpp"
#include "http/blocking.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/request_info.hpp"
#include "http/response.hpp"
#include "http/session_answers.hpp"

namespace cf::http {
namespace beast_http = boost::beast::http;
using access::Permission;
using boost::asio::awaitable;

namespace {

nlohmann::json OptionalMs(const std::optional<int64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json ToJson(const access::AccountInfo& a) {
  return {{"id", a.id},
          {"login", a.login},
          {"role", access::RoleName(a.role)},
          {"tenant", a.tenant},
          {"created_ms", a.created_ms},
          {"last_login_ms", OptionalMs(a.last_login_ms)},
          {"locked_until_ms", a.locked_until_ms},
          {"disabled", a.disabled},
          {"totp", access::TotpStateName(a.totp)}};
}

nlohmann::json ToJson(const access::TokenInfo& t) {
  nlohmann::json scopes = nlohmann::json::array();
  for (const auto scope : t.scopes) scopes.push_back(access::PermissionName(scope));
  return {{"id", t.id},
          {"login", t.login},
          {"label", t.label},
          {"scopes", scopes},
          {"created_ms", t.created_ms},
          {"expires_ms", OptionalMs(t.expires_ms)},
          {"last_used_ms", OptionalMs(t.last_used_ms)},
          {"revoked_ms", OptionalMs(t.revoked_ms)}};
}

nlohmann::json ToJson(const audit::Event& e) {
  return {{"id", e.id},
          {"time_ms", e.time_ms},
          {"tenant", e.tenant},
          {"actor", e.actor},
          {"role", e.role},
          {"token_id", e.token_id},
          {"patient_id", e.patient_id},
          {"study_uid", e.study_uid},
          {"series_uid", e.series_uid},
          {"sop_uid", e.sop_uid},
          {"action", audit::ActionName(e.action)},
          {"outcome", audit::OutcomeName(e.outcome)},
          {"protocol", e.protocol},
          {"route", e.route},
          {"source", e.source},
          {"user_agent", e.user_agent},
          {"detail", e.detail},
          {"flagged", e.flagged}};
}

// 401 for a right password without the account's TOTP code: a problem
// type of its own, so that a login form can ask for the code and send the
// login again with it.
Response SecondFactorRequired() {
  Response response = JsonResponse(
      {{"type", "urn:cloudfilm:error:second-factor-required"},
       {"title", "Second factor required"},
       {"status", 401},
       {"detail",
        "a second factor is required: send the current code of the authenticator app as \"totp\" "
        "with the login and password"},
       {"second_factor", "totp"}},
      401);
  response.content_type = kProblemContentType;
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

awaitable<Response> Login(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto login = StringField(*body, "login", true);
  if (!login) co_return ErrorResponse(login.error());
  auto password = StringField(*body, "password", true);
  if (!password) co_return ErrorResponse(password.error());
  auto totp = StringField(*body, "totp", false);
  if (!totp) co_return ErrorResponse(totp.error());
  const access::ClientInfo client = Client(req);
  // Argon2id takes a fraction of a second and 64 MiB: the blocking pool
  // bounds how many run at once.
  auto session = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->Login(*login, *password, client, *totp); });
  std::ranges::fill(*password, '\0');
  if (!session) {
    if (session.error().code == ErrorCode::kUnauthenticated &&
        session.error().message == access::kSecondFactorRequired) {
      co_return SecondFactorRequired();
    }
    co_return ErrorResponse(session.error());
  }
  Response response = JsonResponse({{"login", session->principal.login},
                                    {"role", access::RoleName(session->principal.role)},
                                    {"tenant", session->principal.tenant},
                                    {"csrf_token", session->csrf},
                                    {"expires_ms", session->expires_ms},
                                    {"totp_active", session->principal.totp_active},
                                    {"must_enrol_totp", session->principal.must_enrol_totp}});
  SetSessionCookies(response, req, session->cookie, session->csrf, session->expires_ms);
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

awaitable<Response> Logout(const ApiContext& ctx, const Request& req) {
  auto done =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.access->Logout(*req.principal); });
  if (!done) co_return ErrorResponse(done.error());
  Response response;
  response.status = 204;
  const bool secure = IsHttps(req);
  response.headers.emplace_back("Set-Cookie", Cookie("cf_session", "", 0, true, secure));
  response.headers.emplace_back("Set-Cookie", Cookie("cf_csrf", "", 0, false, secure));
  co_return response;
}

std::string_view KindName(access::Principal::Kind kind) {
  switch (kind) {
    case access::Principal::Kind::kAnonymous:
      return "anonymous";
    case access::Principal::Kind::kBootstrap:
      return "bootstrap";
    case access::Principal::Kind::kSession:
      return "session";
    case access::Principal::Kind::kApiToken:
      return "api-token";
    case access::Principal::Kind::kOperator:
      return "operator";
    case access::Principal::Kind::kShare:
      return "share";
  }
  return "anonymous";
}

awaitable<Response> Me(const ApiContext&, const Request& req) {
  const access::Principal& p = *req.principal;
  nlohmann::json scopes = nlohmann::json::array();
  for (const auto scope : p.scopes) scopes.push_back(access::PermissionName(scope));
  Response response = JsonResponse({{"login", p.login},
                                    {"break_glass_tenants", p.break_glass_tenants},
                                    {"role", p.RoleText()},
                                    {"tenant", p.tenant},
                                    {"kind", KindName(p.kind)},
                                    {"token_id", p.token_id},
                                    {"scopes", scopes},
                                    {"totp_active", p.totp_active},
                                    {"must_enrol_totp", p.must_enrol_totp}});
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

// The secret and URI are shown this once (a QR code of `uri`), never
// cached; the secret stays pending until /confirm.
awaitable<Response> EnrollTotp(const ApiContext& ctx, const Request& req) {
  const access::ClientInfo client = Client(req);
  auto enrolment = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->EnrollTotp(*req.principal, client); });
  if (!enrolment) co_return ErrorResponse(enrolment.error());
  Response response = JsonResponse({{"secret", enrolment->secret},
                                    {"uri", enrolment->uri},
                                    {"algorithm", "SHA1"},
                                    {"digits", 6},
                                    {"period", 30},
                                    {"expires_ms", enrolment->expires_ms}});
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

awaitable<Response> ConfirmTotp(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto code = StringField(*body, "code", true);
  if (!code) co_return ErrorResponse(code.error());
  const access::ClientInfo client = Client(req);
  auto done = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->ConfirmTotp(*req.principal, *code, client); });
  if (!done) co_return ErrorResponse(done.error());
  co_return JsonResponse({{"totp_active", true}});
}

awaitable<Response> DisableTotp(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto password = StringField(*body, "password", false);
  if (!password) co_return ErrorResponse(password.error());
  auto code = StringField(*body, "code", false);
  if (!code) co_return ErrorResponse(code.error());
  const access::ClientInfo client = Client(req);
  auto done = co_await RunBlocking(ctx.blocking, [&] {
    return ctx.access->DisableTotp(*req.principal, *password, *code, client);
  });
  std::ranges::fill(*password, '\0');
  if (!done) co_return ErrorResponse(done.error());
  Response response;
  response.status = 204;
  co_return response;
}

awaitable<Response> BreakGlass(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto tenant = StringField(*body, "tenant", true);
  if (!tenant) co_return ErrorResponse(tenant.error());
  auto reason = StringField(*body, "reason", true);
  if (!reason) co_return ErrorResponse(reason.error());
  int64_t minutes = 30;
  if (const auto it = body->find("minutes"); it != body->end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 24 * 60) {
      co_return ErrorResponse({ErrorCode::kInvalidArgument, "'minutes' must be an integer from 1"});
    }
    minutes = it->get<int64_t>();
  }
  const access::ClientInfo client = Client(req);
  auto expires = co_await RunBlocking(ctx.blocking, [&] {
    return ctx.access->BreakGlass(*req.principal, *tenant, *reason,
                                  std::chrono::seconds(minutes * 60), client);
  });
  if (!expires) co_return ErrorResponse(expires.error());
  co_return JsonResponse({{"tenant", *tenant}, {"expires_ms", *expires}, {"flagged", true}}, 201);
}

awaitable<Response> ListAccounts(const ApiContext& ctx, const Request& req) {
  auto accounts =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.access->ListAccounts(*req.principal); });
  if (!accounts) co_return ErrorResponse(accounts.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : *accounts) list.push_back(ToJson(a));
  co_return JsonResponse({{"accounts", list}});
}

awaitable<Response> CreateAccount(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  access::NewAccount account;
  auto login = StringField(*body, "login", true);
  if (!login) co_return ErrorResponse(login.error());
  auto role_name = StringField(*body, "role", true);
  if (!role_name) co_return ErrorResponse(role_name.error());
  const auto role = access::ParseRole(*role_name);
  if (!role) {
    co_return ErrorResponse({ErrorCode::kInvalidArgument,
                             "'role' must be one of platform-admin, hospital-admin, technologist, "
                             "doctor, kiosk, auditor, api-client"});
  }
  auto tenant = StringField(*body, "tenant", false);
  if (!tenant) co_return ErrorResponse(tenant.error());
  auto password = StringField(*body, "password", true);
  if (!password) co_return ErrorResponse(password.error());
  account.login = std::move(*login);
  account.role = *role;
  account.tenant = tenant->empty() ? req.principal->tenant : std::move(*tenant);
  account.password = std::move(*password);
  auto created = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->CreateAccount(*req.principal, account); });
  std::ranges::fill(account.password, '\0');
  if (!created) co_return ErrorResponse(created.error());
  co_return JsonResponse(ToJson(*created), 201);
}

awaitable<Response> ListTokens(const ApiContext& ctx, const Request& req) {
  auto tokens =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.access->ListTokens(*req.principal); });
  if (!tokens) co_return ErrorResponse(tokens.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : *tokens) list.push_back(ToJson(t));
  co_return JsonResponse({{"tokens", list}});
}

awaitable<Response> IssueToken(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  access::TokenRequest request;
  auto login = StringField(*body, "login", false);
  if (!login) co_return ErrorResponse(login.error());
  auto label = StringField(*body, "label", false);
  if (!label) co_return ErrorResponse(label.error());
  request.login = std::move(*login);
  request.label = std::move(*label);
  if (const auto scopes = body->find("scopes"); scopes != body->end() && !scopes->is_null()) {
    if (!scopes->is_array())
      co_return ErrorResponse({ErrorCode::kInvalidArgument, "'scopes' must be an array"});
    for (const auto& scope : *scopes) {
      const auto parsed =
          scope.is_string() ? access::ParsePermission(scope.get<std::string>()) : std::nullopt;
      if (!parsed) {
        co_return ErrorResponse(
            {ErrorCode::kInvalidArgument,
             "unknown scope in 'scopes' (read-images, store-images, read-system, "
             "manage-accounts, read-audit)"});
      }
      request.scopes.push_back(*parsed);
    }
  }
  if (const auto days = body->find("expires_in_days"); days != body->end() && !days->is_null()) {
    if (!days->is_number_integer() || days->get<int64_t>() < 1 || days->get<int64_t>() > 3660) {
      co_return ErrorResponse(
          {ErrorCode::kInvalidArgument, "'expires_in_days' must be an integer from 1 to 3660"});
    }
    request.lifetime = std::chrono::seconds(days->get<int64_t>() * 86400);
  }
  auto issued = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->IssueToken(*req.principal, request); });
  if (!issued) co_return ErrorResponse(issued.error());
  nlohmann::json answer = ToJson(issued->info);
  answer["token"] = issued->text;  // the only time it is shown
  Response response = JsonResponse(answer, 201);
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

awaitable<Response> RevokeToken(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("id"));
  auto done = co_await RunBlocking(ctx.blocking,
                                   [&] { return ctx.access->RevokeToken(*req.principal, id); });
  if (!done) co_return ErrorResponse(done.error());
  Response response;
  response.status = 204;
  co_return response;
}

// "20261129" (UTC midnight) or Unix milliseconds.
Result<std::optional<int64_t>> TimeParam(const QueryParams& query, std::string_view name) {
  const auto value = query.Get(name);
  if (!value || value->empty()) return std::optional<int64_t>();
  const std::string text(*value);
  const bool digits = std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
  if (digits && text.size() == 8) {
    const std::chrono::year_month_day day{
        std::chrono::year(std::stoi(text.substr(0, 4))),
        std::chrono::month(static_cast<unsigned>(std::stoi(text.substr(4, 2)))),
        std::chrono::day(static_cast<unsigned>(std::stoi(text.substr(6, 2))))};
    if (day.ok()) {
      return std::optional<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::sys_days(day).time_since_epoch())
                                        .count());
    }
  } else if (digits && !text.empty() && text.size() <= 15) {
    return std::optional<int64_t>(std::stoll(text));
  }
  return Fail(ErrorCode::kInvalidArgument,
              "query parameter '" + std::string(name) + "' must be a date YYYYMMDD or Unix ms");
}

awaitable<Response> QueryAudit(const ApiContext& ctx, const Request& req) {
  if (ctx.audit == nullptr) co_return ErrorResponse({ErrorCode::kUnsupported, "no audit trail"});
  audit::EventFilter filter;
  const access::Principal& who = *req.principal;
  const auto text = [&](std::string_view name) -> std::optional<std::string> {
    const auto value = req.query.Get(name);
    if (!value || value->empty()) return std::nullopt;
    return std::string(*value);
  };
  // Only a platform admin reads across tenants.
  filter.tenant = who.role == access::Role::kPlatformAdmin ? text("tenant") : who.tenant;
  filter.actor = text("actor");
  filter.patient_id = text("patient_id");
  filter.study_uid = text("study");
  if (const auto action = text("action")) {
    filter.action = audit::ParseAction(*action);
    if (!filter.action) co_return ErrorResponse({ErrorCode::kInvalidArgument, "unknown 'action'"});
  }
  if (const auto outcome = text("outcome")) {
    filter.outcome = audit::ParseOutcome(*outcome);
    if (!filter.outcome)
      co_return ErrorResponse({ErrorCode::kInvalidArgument, "unknown 'outcome'"});
  }
  if (const auto flagged = text("flagged")) filter.flagged = *flagged == "true";
  auto from = TimeParam(req.query, "from");
  if (!from) co_return ErrorResponse(from.error());
  auto to = TimeParam(req.query, "to");
  if (!to) co_return ErrorResponse(to.error());
  filter.from_ms = *from;
  filter.to_ms = *to;
  const auto paging = GetPaging(req.query);
  if (!paging) co_return ErrorResponse(paging.error());
  filter.limit = static_cast<size_t>(paging->limit);
  filter.offset = static_cast<size_t>(paging->offset);
  auto events = co_await RunBlocking(ctx.blocking, [&] { return ctx.audit->Find(filter); });
  if (!events) co_return ErrorResponse(events.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : *events) list.push_back(ToJson(e));
  Response response =
      JsonResponse({{"events", list}, {"limit", filter.limit}, {"offset", filter.offset}});
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

}  // namespace

void AddAuthRoutes(Router& router, const ApiContext& context) {
  using beast_http::verb;
  router.Add(verb::post, "/api/auth/login", Permission::kPublic, Bind<Login>(context));
  router.Add(verb::post, "/api/auth/logout", Permission::kOwnSession, Bind<Logout>(context));
  router.Add(verb::get, "/api/auth/me", Permission::kOwnSession, Bind<Me>(context));
  router.Add(verb::post, "/api/auth/totp/enroll", Permission::kSecondFactor,
             Bind<EnrollTotp>(context));
  router.Add(verb::post, "/api/auth/totp/confirm", Permission::kSecondFactor,
             Bind<ConfirmTotp>(context));
  router.Add(verb::post, "/api/auth/totp/disable", Permission::kSecondFactor,
             Bind<DisableTotp>(context));
  router.Add(verb::post, "/api/auth/break-glass", Permission::kAuthenticated,
             Bind<BreakGlass>(context));
  router.Add(verb::get, "/api/accounts", Permission::kManageAccounts, Bind<ListAccounts>(context));
  router.Add(verb::post, "/api/accounts", Permission::kManageAccounts,
             Bind<CreateAccount>(context));
  router.Add(verb::get, "/api/tokens", Permission::kAuthenticated, Bind<ListTokens>(context));
  router.Add(verb::post, "/api/tokens", Permission::kAuthenticated, Bind<IssueToken>(context));
  router.Add(verb::delete_, "/api/tokens/{id}", Permission::kAuthenticated,
             Bind<RevokeToken>(context));
  router.Add(verb::get, "/api/audit", {Permission::kReadAudit, audit::Action::kQuery},
             Bind<QueryAudit>(context));
}

}  // namespace cf::http
