// SPDX-License-Identifier: Apache-2.0
// Route matching is a linear scan: the API has a handful of routes and a
// scan keeps 404/405 decisions obvious. Paths are split on '/' before
// percent-decoding, so an encoded "%2F" stays inside its segment.
#include "http/router.hpp"

// g++ 12 reports a false -Wmismatched-new-delete for Asio's coroutine frame
// allocator once Run inlines several awaits (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "access/access.hpp"
#include "access/policy.hpp"
#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "http/blocking.hpp"
#include "http/fhir_outcome.hpp"
#include "http/problem.hpp"
#include "http/request_info.hpp"

namespace cf::http {
namespace beast_http = boost::beast::http;
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

std::string_view VerbName(beast_http::verb method) {
  const auto name = beast_http::to_string(method);
  return {name.data(), name.size()};
}

Response MethodNotAllowed(const std::vector<beast_http::verb>& allowed) {
  std::string allow;
  for (const auto method : allowed) {
    if (!allow.empty()) allow.append(", ");
    allow.append(VerbName(method));
  }
  Response response =
      ProblemResponse(405, "about:blank", "Method Not Allowed", "allowed methods: " + allow);
  response.SetHeader("Allow", allow);
  return response;
}

std::string_view Field(const RawRequest& raw, std::string_view name) {
  const auto value = raw[boost::beast::string_view(name.data(), name.size())];
  return {value.data(), value.size()};
}

bool StateChanging(beast_http::verb method) {
  return method != beast_http::verb::get && method != beast_http::verb::head &&
         method != beast_http::verb::options;
}

Response Unauthenticated(std::string detail) {
  Response response = ErrorResponse({ErrorCode::kUnauthenticated, std::move(detail)});
  response.SetHeader("WWW-Authenticate", "Bearer realm=\"cloudfilm\"");
  return response;
}

// The audit event of a streamed answer is written before its first byte.
// When the body is then cut short (an object could not be read, or the
// client went away), a second event records the failure, so that an
// exam's access history never shows as complete a download that was not.
class AuditedStream final : public BodySource {
 public:
  AuditedStream(std::shared_ptr<BodySource> inner, audit::AuditLog& audit, audit::Event event)
      : inner_(std::move(inner)), audit_(audit), event_(std::move(event)) {}

  Result<Bytes> Next() override { return inner_->Next(); }
  Result<std::vector<Bytes>> NextBuffers() override { return inner_->NextBuffers(); }
  bool Ready() const override { return inner_->Ready(); }
  void Recycle(std::vector<Bytes> piece) override { inner_->Recycle(std::move(piece)); }

  void Cut(std::string_view reason, uint64_t sent) override {
    inner_->Cut(reason, sent);
    event_.id = 0;
    event_.time_ms = 0;
    event_.outcome = audit::Outcome::kFailure;
    event_.detail = "incomplete after " + std::to_string(sent) +
                    " bytes: " + std::string(reason.substr(0, 200)) + "; " + event_.detail;
    if (Result<void> recorded = audit_.Record(event_); !recorded) {
      log::Error("http.audit_failed",
                 {{"route", event_.route}, {"error", recorded.error().message}});
    }
  }

 private:
  std::shared_ptr<BodySource> inner_;
  audit::AuditLog& audit_;
  audit::Event event_;
};

}  // namespace

void Router::Secure(access::Access& access, audit::AuditLog* audit,
                    boost::asio::thread_pool& pool) {
  access_ = &access;
  audit_ = audit;
  pool_ = &pool;
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> routes;
  for (const Route& route : routes_) routes.push_back({route.method, route.pattern, route.policy});
  return routes;
}

void Router::Add(beast_http::verb method, std::string_view pattern, RoutePolicy policy,
                 Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/'");
  }
  Route route{method, std::string(pattern), {}, policy, std::move(handler), 0};
  for (const std::string_view part : SplitPath(pattern)) {
    const bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    route.segments.push_back(
        {std::string(is_param ? part.substr(1, part.size() - 2) : part), is_param});
    if (is_param) ++route.num_params;
  }
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, const std::vector<std::string>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (!route.segments[i].is_param && route.segments[i].text != segments[i]) return false;
  }
  return true;
}

boost::asio::awaitable<Response> Router::Dispatch(const RawRequest& raw, std::string_view peer,
                                                  const SpoolFile* body_file) const {
  Response response = co_await DispatchImpl(raw, peer, body_file, false);
  // A FHIR client reads an OperationOutcome, whatever refused the request.
  const auto target = raw.target();
  if (IsFhirTarget({target.data(), target.size()})) {
    response = ToOperationOutcome(std::move(response));
  }
  co_return response;
}

boost::asio::awaitable<std::optional<Response>> Router::Admit(const RawRequest& header,
                                                              std::string_view peer) const {
  Response response = co_await DispatchImpl(header, peer, nullptr, true);
  if (response.status == 0) co_return std::nullopt;
  co_return response;
}

boost::asio::awaitable<Response> Router::DispatchImpl(const RawRequest& raw, std::string_view peer,
                                                      const SpoolFile* body_file,
                                                      bool admit_only) const {
  std::string_view route_name = "-";
  std::string failure;
  try {
    const auto target_view = raw.target();
    const TargetParts target = SplitTarget({target_view.data(), target_view.size()});
    if (target.path.empty() || target.path.front() != '/') {
      co_return ErrorResponse({ErrorCode::kInvalidArgument, "request target must be a path"});
    }
    std::vector<std::string> segments;
    for (const std::string_view part : SplitPath(target.path)) {
      auto decoded = PercentDecode(part, false);
      if (!decoded) {
        co_return ErrorResponse(
            {ErrorCode::kInvalidArgument, "path has an " + decoded.error().message});
      }
      segments.push_back(std::move(*decoded));
    }

    // A route for the method wins over HEAD falling back to GET, and a
    // literal segment over a {parameter} ("/a/count" before "/a/{id}").
    const Route* found = nullptr;
    const Route* get_fallback = nullptr;
    std::vector<beast_http::verb> allowed;
    const auto more_literal = [](const Route* candidate, const Route* current) {
      return current == nullptr || candidate->num_params < current->num_params;
    };
    for (const Route& route : routes_) {
      if (!Matches(route, segments)) continue;
      if (std::ranges::find(allowed, route.method) == allowed.end())
        allowed.push_back(route.method);
      if (route.method == raw.method() && more_literal(&route, found)) found = &route;
      if (route.method == beast_http::verb::get && more_literal(&route, get_fallback)) {
        get_fallback = &route;
      }
    }
    if (found == nullptr && raw.method() == beast_http::verb::head) found = get_fallback;
    if (found == nullptr) {
      if (allowed.empty()) {
        co_return ErrorResponse({ErrorCode::kNotFound, "no such resource"});
      }
      if (get_fallback != nullptr &&
          std::ranges::find(allowed, beast_http::verb::head) == allowed.end()) {
        allowed.push_back(beast_http::verb::head);
      }
      co_return MethodNotAllowed(allowed);
    }

    route_name = found->pattern;
    auto query = QueryParams::Parse(target.query);
    if (!query) co_return ErrorResponse(query.error());
    Request request{raw, found->pattern, std::move(*query), {}, peer, body_file};
    for (size_t i = 0; i < segments.size(); ++i) {
      if (found->segments[i].is_param) {
        request.params.emplace_back(found->segments[i].text, std::move(segments[i]));
      }
    }
    co_return co_await Run(*found, request, admit_only);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  // Reaching this point is a bug, not a client error: say so loudly.
  log::Error("http.unhandled",
             {{"route", route_name}, {"method", VerbName(raw.method())}, {"what", failure}});
  co_return ErrorResponse({ErrorCode::kInternal, "internal error"});
}

boost::asio::awaitable<Result<void>> Router::Record(audit::Event event) const {
  if (audit_ == nullptr) co_return Result<void>{};
  // A repeated read (a viewer's next frame) is covered by the event already
  // stored: answered here, without a round trip through the blocking pool.
  if (audit_->Covered(event)) co_return Result<void>{};
  co_return co_await RunBlocking(*pool_, [&] { return audit_->Record(std::move(event)); });
}

boost::asio::awaitable<Response> Router::Run(const Route& route, Request& request,
                                             bool admit_only) const {
  const RawRequest& raw = request.raw;
  access::Principal principal;
  std::optional<Error> refused;  // credentials shown but not accepted
  const access::Credentials credentials{Field(raw, "Authorization"), CookieValue(raw, "cf_session"),
                                        Field(raw, "X-CSRF-Token"), StateChanging(raw.method()),
                                        request.peer};
  const bool shows_credentials =
      !credentials.authorization.empty() || !credentials.session_cookie.empty();
  if (access_ != nullptr && shows_credentials) {
    // On the blocking pool: a lookup may write (last use), and writes here
    // are fsynced so that a revocation survives a crash.
    auto authenticated =
        co_await RunBlocking(*pool_, [&] { return access_->Authenticate(credentials); });
    if (authenticated) {
      principal = std::move(*authenticated);
    } else {
      refused = std::move(authenticated.error());
    }
  }

  // Whose data: the caller's own hospital, or the one X-Cloudfilm-Tenant
  // names (a platform admin's choice, or a break-glass grant's hospital);
  // a platform admin who names none sees every hospital.
  const std::string named_tenant(Field(raw, "X-Cloudfilm-Tenant"));
  const bool platform = principal.authenticated() && principal.role == access::Role::kPlatformAdmin;
  const std::string data_tenant = !named_tenant.empty() ? named_tenant : principal.tenant;
  bool break_glass = false;  // allowed only through an emergency grant
  // Builds the event for this request; the caller writes it durably.
  const auto event_for = [&](audit::Action action, audit::Outcome outcome, std::string detail,
                             std::string_view answered_study = {}) {
    audit::Event event;
    // The data's hospital reviews it.
    event.tenant = IsValidTenantCode(data_tenant) ? data_tenant : principal.tenant;
    if (break_glass) {
      event.flagged = true;
      detail = "break-glass by " + principal.tenant + "; " + detail;
    }
    event.actor = principal.Actor();
    event.role = std::string(principal.RoleText());
    event.token_id = principal.token_id;
    // The exam: named in the path, found by the handler (a report or film
    // by id), or asked about (?study= of the report and film lists).
    event.study_uid = std::string(request.Param("study"));
    if (event.study_uid.empty()) event.study_uid = std::string(answered_study);
    if (event.study_uid.empty()) event.study_uid = request.query.Get("study").value_or("");
    event.series_uid = std::string(request.Param("series"));
    event.sop_uid = std::string(request.Param("instance"));
    if (route.pattern == "/wado") {  // WADO-URI names the object in its query
      event.study_uid = request.query.Get("studyUID").value_or("");
      event.series_uid = request.query.Get("seriesUID").value_or("");
      event.sop_uid = request.query.Get("objectUID").value_or("");
    }
    event.action = action;
    event.outcome = outcome;
    event.protocol = "http";
    event.route = route.pattern;
    event.source = std::string(request.peer);
    event.user_agent = std::string(Field(raw, "User-Agent"));  // the audit log bounds it
    event.detail = std::move(detail);
    return event;
  };

  if (refused) {
    if (route.policy.permission != access::Permission::kPublic) {
      (void)co_await Record(event_for(audit::Action::kAccessDenied, audit::Outcome::kDenied,
                                      "credentials refused: " + refused->message));
      if (refused->code == ErrorCode::kUnauthenticated) co_return Unauthenticated(refused->message);
      co_return ErrorResponse(*refused);
    }
    // A public route (health, login) answers whatever stale cookie comes along.
  }
  if (!named_tenant.empty() && !IsValidTenantCode(named_tenant)) {
    co_return ErrorResponse(
        {ErrorCode::kInvalidArgument, "X-Cloudfilm-Tenant is not a tenant code ([a-z][a-z0-9-]*)"});
  }
  if (!named_tenant.empty() && access_ != nullptr && !access_->KnownTenant(named_tenant)) {
    co_return ErrorResponse({ErrorCode::kInvalidArgument, "X-Cloudfilm-Tenant names no hospital"});
  }
  const access::Decision decision =
      access::Authorize(principal, route.policy.permission, data_tenant);
  if (decision == access::Decision::kUnauthenticated) {
    co_return Unauthenticated("sign in, or send Authorization: Bearer <token>");
  }
  break_glass = decision == access::Decision::kAllowBreakGlass;
  if (decision == access::Decision::kEnrolSecondFactor) {
    (void)co_await Record(event_for(audit::Action::kAccessDenied, audit::Outcome::kDenied,
                                    "second factor not enrolled"));
    co_return ErrorResponse(
        {ErrorCode::kPermissionDenied,
         "this account must enrol a second factor first (security.require_totp_for_admins): "
         "POST /api/auth/totp/enroll, then /api/auth/totp/confirm"});
  }
  if (decision == access::Decision::kForbidden) {
    (void)co_await Record(
        event_for(audit::Action::kAccessDenied, audit::Outcome::kDenied,
                  "needs " + std::string(access::PermissionName(route.policy.permission))));
    co_return ErrorResponse(
        {ErrorCode::kPermissionDenied,
         "this account may not " + std::string(access::PermissionName(route.policy.permission))});
  }

  if (admit_only) {
    Response go_ahead;  // never sent
    go_ahead.status = 0;
    co_return go_ahead;
  }
  request.principal = &principal;
  request.tenant = data_tenant;
  // A share session reads its studies only; the catalog, films and
  // reports enforce the narrowed scope on every read (catalog/scope.hpp).
  if (principal.kind == access::Principal::Kind::kShare) {
    request.scope = catalog::Scope::Studies(data_tenant, principal.share_studies);
  } else {
    request.scope =
        platform && named_tenant.empty() ? catalog::Scope::All() : catalog::Scope::Of(data_tenant);
  }
  Response response = co_await route.handler(request);
  audit::Event event;  // at function scope: see the g++ 12 note in server.cpp
  if (route.policy.audit) {
    const audit::Outcome outcome = response.status < 400 ? audit::Outcome::kSuccess
                                   : response.status == 401 || response.status == 403
                                       ? audit::Outcome::kDenied
                                       : audit::Outcome::kFailure;
    std::string detail = "status " + std::to_string(response.status);
    // An exam may have several films (each amendment issues one): the
    // event keeps which film was read or downloaded, not only its exam.
    if (const auto film = request.Param("film"); !film.empty()) {
      detail = "film " + std::string(film.substr(0, 64)) + "; " + detail;
    }
    if (*route.policy.audit == audit::Action::kQuery) {
      const auto target = raw.target();
      const auto question = target.find('?');
      if (question != boost::beast::string_view::npos) {
        detail.append(" query ");
        detail.append(target.substr(question + 1, 1000));
      }
    }
    // Fail closed: what cannot be audited is not served.
    event = event_for(*route.policy.audit, outcome, std::move(detail), response.audit_study_uid);
    const Result<void> recorded = co_await Record(event);
    if (!recorded) {
      log::Error("http.audit_failed",
                 {{"route", route.pattern}, {"error", recorded.error().message}});
      co_return ErrorResponse(
          {ErrorCode::kStorageUnavailable, "the audit trail cannot be written"});
    }
    if (response.stream && audit_ != nullptr) {
      response.stream =
          std::make_shared<AuditedStream>(std::move(response.stream), *audit_, std::move(event));
    }
  }
  co_return response;
}

}  // namespace cf::http
