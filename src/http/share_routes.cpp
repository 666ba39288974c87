// SPDX-License-Identifier: Apache-2.0
// Patient shares over HTTP: the hospital gives a film's QR share, the
// patient opens it with the second factor, makes doctor shares and sees who
// opened the films. Tokens, factor values and codes are never logged: the
// router logs route patterns, not paths or bodies, and nothing here logs.
#include "http/share_routes.hpp"

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include "access/access.hpp"
#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "core/time_text.hpp"
#include "crypto/base64.hpp"
#include "film/film_store.hpp"
#include "http/blocking.hpp"
#include "http/film_share.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/qr_code.hpp"
#include "http/query_params.hpp"
#include "http/request_info.hpp"
#include "http/response.hpp"
#include "http/session_answers.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using access::Permission;
using access::ShareFactor;
using audit::Action;
using boost::asio::awaitable;
using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kHourMs = 3'600'000;

json OptionalMs(const std::optional<int64_t>& value) {
  return value ? json(*value) : json(nullptr);
}

json ShareJson(const access::ShareInfo& s) {
  return {{"id", s.id},
          {"tenant", s.tenant},
          {"film_id", s.film_id},
          {"scope", access::ShareScopeName(s.scope)},
          {"study_uids", s.study_uids},
          {"factor", access::ShareFactorName(s.factor)},
          {"created_by", s.created_by},
          {"created_ms", s.created_ms},
          {"not_before_ms", s.not_before_ms},
          {"expires_ms", s.expires_ms},
          {"revoked_ms", OptionalMs(s.revoked_ms)},
          {"last_used_ms", OptionalMs(s.last_used_ms)},
          {"first_opened_ms", OptionalMs(s.first_opened_ms)},
          {"failed_attempts", s.failed_attempts},
          {"locked_until_ms", s.locked_until_ms},
          {"parent", s.parent.empty() ? json(nullptr) : json(s.parent)}};
}

// The URL the QR code carries: http.public_base_url, or else this
// request's own scheme and Host.
std::string RequestShareUrl(const ApiContext& ctx, const Request& req, std::string_view token) {
  return ShareUrl(PublicBase(ctx.public_base_url, req), token);
}

// The answer that shows a new share's secret, once: URL, token, QR code.
Result<json> IssuedJson(const ApiContext& ctx, const Request& req,
                        const access::IssuedShare& issued) {
  const std::string url = RequestShareUrl(ctx, req, issued.token);
  auto qr = MakeQrCode(url);
  if (!qr) return std::unexpected(qr.error());
  return json{{"share", ShareJson(issued.info)},
              {"url", url},
              {"token", issued.token},
              {"qr_svg", qr->svg},
              {"qr_png_base64", crypto::Base64Encode(qr->png)}};
}

Response NoStore(Response response) {
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

// An integer member within [1, max], or `fallback` when absent.
Result<int64_t> CountField(const json& body, std::string_view name, int64_t fallback, int64_t max) {
  const auto it = body.find(std::string(name));
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > max) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "'" + std::string(name) + "' must be a whole number from 1 to " + std::to_string(max));
  }
  return it->get<int64_t>();
}

// When a new share ends: "expires_at_ms" (Unix ms, in the future), else
// now plus `count` units of `unit_ms` (the route's own member).
Result<int64_t> ExpiryOf(const json& body, std::string_view count_name, int64_t fallback,
                         int64_t max, int64_t unit_ms) {
  const int64_t now = UnixNowMs();
  if (const auto at = body.find("expires_at_ms"); at != body.end() && !at->is_null()) {
    if (!at->is_number_integer() || at->get<int64_t>() <= now ||
        at->get<int64_t>() > now + max * unit_ms) {
      return Fail(ErrorCode::kInvalidArgument,
                  "'expires_at_ms' must be a time in the future, within the longest lifetime");
    }
    return at->get<int64_t>();
  }
  auto count = CountField(body, count_name, fallback, max);
  if (!count) return std::unexpected(count.error());
  return now + *count * unit_ms;
}

awaitable<Response> CreateShare(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto scope_name = StringField(*body, "scope");
  if (!scope_name) co_return ErrorResponse(scope_name.error());
  if (!scope_name->empty() && *scope_name != "film" && *scope_name != "patient") {
    co_return ErrorResponse({ErrorCode::kInvalidArgument, "'scope' is \"film\" or \"patient\""});
  }
  auto expires = ExpiryOf(*body, "expires_in_days", 30, 3650, kDayMs);
  if (!expires) co_return ErrorResponse(expires.error());
  auto phone = StringField(*body, "phone");
  auto id_number = StringField(*body, "id_number");
  auto recipient = StringField(*body, "recipient");
  for (const auto* field : {&phone, &id_number, &recipient}) {
    if (!*field) co_return ErrorResponse(field->error());
  }
  FilmShareRequest request;
  request.film_id = std::string(req.Param("film"));
  request.patient_scope = *scope_name == "patient";
  request.expires_ms = *expires;
  if (const auto start = body->find("not_before_ms"); start != body->end() && !start->is_null()) {
    if (!start->is_number_integer() || start->get<int64_t>() < 0) {
      co_return ErrorResponse({ErrorCode::kInvalidArgument, "'not_before_ms' must be Unix ms"});
    }
    request.not_before_ms = start->get<int64_t>();
  }
  request.phone = std::move(*phone);
  request.id_number = std::move(*id_number);
  request.recipient = std::move(*recipient);
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    auto issued =
        ShareFilm(ctx.archive, *ctx.films, *ctx.access, *req.principal, req.scope, request);
    if (!issued) return std::unexpected(issued.error());
    return IssuedJson(ctx, req, *issued);
  });
  if (!answer) co_return ErrorResponse(answer.error());
  Response response = JsonResponse(*answer, 201);
  response.SetHeader("Location", "/api/shares/" + (*answer)["share"]["id"].get<std::string>());
  co_return NoStore(std::move(response));
}

// The admin console's search of a hospital's shares (a platform admin
// names the hospital with X-Cloudfilm-Tenant, as everywhere).
awaitable<Response> SearchShares(const ApiContext& ctx, const Request& req) {
  access::ShareFilter filter;
  const auto text = [&](std::string_view name) {
    return std::string(req.query.Get(name).value_or(""));
  };
  filter.tenant = req.tenant;
  filter.study_uid = text("study");
  filter.film_id = text("film");
  filter.state = text("state");
  const auto paging = GetPaging(req.query);
  if (!paging) co_return ErrorResponse(paging.error());
  filter.limit = static_cast<size_t>(paging->limit);
  filter.offset = static_cast<size_t>(paging->offset);
  auto shares = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->SearchShares(*req.principal, filter); });
  if (!shares) co_return ErrorResponse(shares.error());
  json items = json::array();
  for (const auto& s : *shares) items.push_back(ShareJson(s));
  co_return NoStore(JsonResponse(
      {{"items", std::move(items)}, {"limit", filter.limit}, {"offset", filter.offset}}));
}

awaitable<Response> ListShares(const ApiContext& ctx, const Request& req) {
  const std::string film_id(req.Param("film"));
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    auto film = ctx.films->Get(req.scope, film_id);
    if (!film) return std::unexpected(film.error());
    auto shares = ctx.access->ListShares(*req.principal, film->tenant, film->id);
    if (!shares) return std::unexpected(shares.error());
    json items = json::array();
    for (const auto& s : *shares) items.push_back(ShareJson(s));
    return json{{"items", std::move(items)}};
  });
  if (!answer) co_return ErrorResponse(answer.error());
  co_return NoStore(JsonResponse(*answer));
}

awaitable<Response> RevokeShare(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("id"));
  auto done = co_await RunBlocking(ctx.blocking,
                                   [&] { return ctx.access->RevokeShare(*req.principal, id); });
  if (!done) co_return ErrorResponse(done.error());
  Response response;
  response.status = 204;
  co_return response;
}

// Opens a share: the right factor gives a share session (cookie, or with
// "bearer": true a token in the answer for scripts).
awaitable<Response> OpenShare(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto token = StringField(*body, "token", true);
  if (!token) co_return ErrorResponse(token.error());
  auto factor = StringField(*body, "factor");
  if (!factor) co_return ErrorResponse(factor.error());
  const auto bearer = body->find("bearer");
  const bool as_bearer = bearer != body->end() && bearer->is_boolean() && bearer->get<bool>();
  const access::ClientInfo client = Client(req);
  auto session = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->OpenShare(*token, *factor, client); });
  std::ranges::fill(*factor, '\0');
  if (!session) co_return ErrorResponse(session.error());
  if (session->share.scope == access::ShareScope::kPatient) {
    // Exams stored since the share was made are the patient's too.
    auto extended = co_await RunBlocking(ctx.blocking, [&] {
      auto now = PatientStudiesNow(ctx.archive, session->share);
      if (!now) return Result<std::vector<std::string>>(std::unexpected(now.error()));
      return ctx.access->ExtendPatientShare(session->share.id, *now);
    });
    if (extended) {
      session->share.study_uids = std::move(*extended);
    } else {
      log::Warn("share.extend_failed",
                {{"share", session->share.id}, {"error", extended.error().message}});
    }
  }
  json out = {{"share", ShareJson(session->share)},
              {"expires_ms", session->expires_ms},
              {"owner", session->share.parent.empty()}};
  if (as_bearer) {
    out["session_token"] = session->token;
    co_return NoStore(JsonResponse(out, 201));
  }
  out["csrf_token"] = session->csrf;
  Response response = JsonResponse(out, 201);
  SetSessionCookies(response, req, session->token, session->csrf, session->expires_ms);
  co_return NoStore(std::move(response));
}

awaitable<Response> SendCode(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto token = StringField(*body, "token", true);
  if (!token) co_return ErrorResponse(token.error());
  const access::ClientInfo client = Client(req);
  auto sent =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.access->SendShareCode(*token, client); });
  if (!sent) co_return ErrorResponse(sent.error());
  co_return JsonResponse({{"sent", true}, {"valid_for_s", 300}}, 202);
}

// What the page the QR code opens asks first: which factor to ask for and
// whether the share opens now (an expired, revoked or locked link gets its
// own message before the patient types anything). No attempt is counted.
awaitable<Response> StatusOfShare(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto token = StringField(*body, "token", true);
  if (!token) co_return ErrorResponse(token.error());
  const access::ClientInfo client = Client(req);
  auto status =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.access->ShareStatusOf(*token, client); });
  if (!status) co_return ErrorResponse(status.error());
  co_return NoStore(JsonResponse({{"factor", access::ShareFactorName(status->factor)},
                                  {"state", access::ShareStateName(status->state)},
                                  {"attempts_left", status->attempts_left},
                                  {"retry_after_s", status->retry_after_s},
                                  {"expires_ms", status->expires_ms},
                                  {"doctor", status->doctor}}));
}

// A doctor share, made by the patient from the patient's own share session.
awaitable<Response> CreateDoctorShare(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto expires = ExpiryOf(*body, "expires_in_hours", 72, 24 * 90, kHourMs);
  if (!expires) co_return ErrorResponse(expires.error());
  auto factor_name = StringField(*body, "factor");
  if (!factor_name) co_return ErrorResponse(factor_name.error());
  const auto factor =
      factor_name->empty() ? ShareFactor::kNone : access::ParseShareFactor(*factor_name);
  if (!factor) {
    co_return ErrorResponse({ErrorCode::kInvalidArgument,
                             "'factor' is one of none, birth-date, phone-last4, id-last4, "
                             "one-time-code"});
  }
  auto value = StringField(*body, "factor_value");
  if (!value) co_return ErrorResponse(value.error());
  auto recipient = StringField(*body, "recipient");
  if (!recipient) co_return ErrorResponse(recipient.error());
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    const auto lifetime = std::chrono::seconds((*expires - UnixNowMs() + 999) / 1000);
    auto issued =
        ctx.access->CreateDoctorShare(*req.principal, *factor, *value, lifetime, *recipient);
    if (!issued) return std::unexpected(issued.error());
    return IssuedJson(ctx, req, *issued);
  });
  if (!answer) co_return ErrorResponse(answer.error());
  co_return NoStore(JsonResponse(*answer, 201));
}

awaitable<Response> ListDoctorShares(const ApiContext& ctx, const Request& req) {
  auto shares = co_await RunBlocking(ctx.blocking,
                                     [&] { return ctx.access->ListDoctorShares(*req.principal); });
  if (!shares) co_return ErrorResponse(shares.error());
  json items = json::array();
  for (const auto& s : *shares) items.push_back(ShareJson(s));
  co_return NoStore(JsonResponse({{"items", std::move(items)}}));
}

// Who opened the patient's films: the openings of the patient's doctor
// shares and every read of the shared studies by anyone but the patient
// (hospital accounts, doctor shares), from the audit trail.
awaitable<Response> AccessHistory(const ApiContext& ctx, const Request& req) {
  if (ctx.audit == nullptr) {
    co_return ErrorResponse({ErrorCode::kUnsupported, "this server keeps no audit trail"});
  }
  const access::Principal& patient = *req.principal;
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    auto doctor_shares = ctx.access->ListDoctorShares(patient);
    if (!doctor_shares) return std::unexpected(doctor_shares.error());
    std::set<std::string> doctor_actors;
    for (const auto& s : *doctor_shares) doctor_actors.insert("share:" + s.id);
    std::vector<audit::Event> events;
    for (const auto& actor : doctor_actors) {
      audit::EventFilter filter;
      filter.tenant = patient.tenant;
      filter.actor = actor;
      filter.action = Action::kLogin;
      filter.outcome = audit::Outcome::kSuccess;
      auto found = ctx.audit->Find(filter);
      if (!found) return std::unexpected(found.error());
      events.insert(events.end(), found->begin(), found->end());
    }
    for (const auto& study : patient.share_studies) {
      audit::EventFilter filter;
      filter.tenant = patient.tenant;
      filter.study_uid = study;
      filter.outcome = audit::Outcome::kSuccess;
      filter.limit = 1000;
      auto found = ctx.audit->Find(filter);
      if (!found) return std::unexpected(found.error());
      for (auto& e : *found) {
        const bool read = e.action == Action::kView || e.action == Action::kDownload ||
                          e.action == Action::kQuery;
        // The patient's own reads are not "someone else opened it"; nor are
        // those of the patient's other shares of the same films.
        const bool by_patient = e.actor == patient.Actor() ||
                                (e.actor.starts_with("share:") && !doctor_actors.contains(e.actor));
        if (read && !by_patient) events.push_back(std::move(e));
      }
    }
    std::ranges::sort(events, [](const audit::Event& a, const audit::Event& b) {
      return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.id > b.id;
    });
    json items = json::array();
    for (const auto& e : events) {
      items.push_back({{"time_ms", e.time_ms},
                       {"who", e.actor},
                       {"role", e.role},
                       {"through", e.actor.starts_with("share:") ? "doctor-share" : "hospital"},
                       {"action", audit::ActionName(e.action)},
                       {"study_uid", e.study_uid},
                       {"route", e.route}});
    }
    json shares = json::array();
    for (const auto& s : *doctor_shares) shares.push_back(ShareJson(s));
    return json{{"items", std::move(items)}, {"doctor_shares", std::move(shares)}};
  });
  if (!answer) co_return ErrorResponse(answer.error());
  co_return NoStore(JsonResponse(*answer));
}

}  // namespace

void AddShareRoutes(Router& router, const ApiContext& context) {
  if (context.access == nullptr || context.films == nullptr) return;
  using beast_http::verb;
  // Hospital side.
  router.Add(verb::post, "/api/films/{film}/shares", {Permission::kShareFilms, Action::kShare},
             Bind<CreateShare>(context));
  router.Add(verb::get, "/api/films/{film}/shares", {Permission::kShareFilms, Action::kQuery},
             Bind<ListShares>(context));
  router.Add(verb::get, "/api/shares", {Permission::kShareFilms, Action::kQuery},
             Bind<SearchShares>(context));
  // Access::RevokeShare records the revocation itself (also for the CLI).
  router.Add(verb::delete_, "/api/shares/{id}", Permission::kShareFilms,
             Bind<RevokeShare>(context));
  // Patient side: public, because the token and factor are the credentials;
  // Access::OpenShare audits every attempt and applies the lockout.
  router.Add(verb::post, "/api/share-sessions", Permission::kPublic, Bind<OpenShare>(context));
  router.Add(verb::post, "/api/share-sessions/code", Permission::kPublic, Bind<SendCode>(context));
  router.Add(verb::post, "/api/share-sessions/status", Permission::kPublic,
             Bind<StatusOfShare>(context));
  router.Add(verb::post, "/api/my/shares", {Permission::kOwnShares, Action::kShare},
             Bind<CreateDoctorShare>(context));
  router.Add(verb::get, "/api/my/shares", {Permission::kOwnShares, Action::kQuery},
             Bind<ListDoctorShares>(context));
  router.Add(verb::delete_, "/api/my/shares/{id}", Permission::kOwnShares,
             Bind<RevokeShare>(context));
  router.Add(verb::get, "/api/my/access-history", {Permission::kOwnShares, Action::kQuery},
             Bind<AccessHistory>(context));
}

}  // namespace cf::http
