// SPDX-License-Identifier: Apache-2.0
// The route policy of the real server, route by route: every route the
// router knows is in the table below with the permission it must need (a
// new route without a row fails), anonymous callers get 401 everywhere but
// the public routes, each role gets exactly the routes the design gives it
// (403 elsewhere), accounts of another hospital get nothing (the tenant
// isolation matrix, on two hospitals' objects under the same UIDs), and every
// route that touches patient data leaves an audit event. The expectations
// are written out here, not derived from access::RoleHas, so that a change
// to the policy shows up as a failing row.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "access/access.hpp"
#include "access/dicom_nodes.hpp"
#include "film/print_log.hpp"
#include "http/api_routes.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "http/site_summary.hpp"
#include "http/static_files.hpp"
#include "notify/outbox.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"
#include "support/test_films.hpp"
#include "test_security.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;
using access::Permission;
using access::Role;

// METHOD pattern -> the permission it must require.
const std::map<std::string, Permission>& ExpectedPolicy() {
  static const std::map<std::string, Permission> table = [] {
    std::map<std::string, Permission> t = {
        {"GET /healthz", Permission::kPublic},
        {"POST /api/auth/login", Permission::kPublic},
        {"POST /api/auth/logout", Permission::kOwnSession},
        {"GET /api/auth/me", Permission::kOwnSession},
        {"POST /api/auth/totp/enroll", Permission::kSecondFactor},
        {"POST /api/auth/totp/confirm", Permission::kSecondFactor},
        {"POST /api/auth/totp/disable", Permission::kSecondFactor},
        {"POST /api/auth/break-glass", Permission::kAuthenticated},
        {"GET /api/tokens", Permission::kAuthenticated},
        {"POST /api/tokens", Permission::kAuthenticated},
        {"DELETE /api/tokens/{id}", Permission::kAuthenticated},
        {"GET /api/accounts", Permission::kManageAccounts},
        {"POST /api/accounts", Permission::kManageAccounts},
        {"GET /api/audit", Permission::kReadAudit},
        {"GET /api/system", Permission::kReadSystem},
        {"GET /api/site", Permission::kReadSystem},
        {"GET /api/patients", Permission::kReadImages},
        {"GET /api/studies", Permission::kReadImages},
        {"GET /api/studies/{study}", Permission::kReadImages},
        {"GET /api/instances/{instance}", Permission::kReadImages},
        {"GET /api/instances/{instance}/file", Permission::kReadImages},
        {"GET /wado", Permission::kReadImages},
        {"GET /dicom-web/studies", Permission::kReadImages},
        {"GET /dicom-web/series", Permission::kReadImages},
        {"GET /dicom-web/instances", Permission::kReadImages},
        {"POST /dicom-web/studies", Permission::kStoreImages},
        {"POST /dicom-web/studies/{study}", Permission::kStoreImages},
        {"POST /api/reports", Permission::kWriteReports},
        {"POST /api/reports/{report}/versions", Permission::kWriteReports},
        {"POST /fhir/DiagnosticReport", Permission::kWriteReports},
        {"POST /api/films", Permission::kWriteReports},
        {"GET /api/films", Permission::kReadImages},
        {"GET /api/films/{film}", Permission::kReadImages},
        {"GET /api/films/{film}/package", Permission::kReadImages},
        {"GET /verify/films/{film}", Permission::kPublic},
        {"POST /api/visits", Permission::kWriteReports},
        {"GET /api/studies/{study}/retention", Permission::kReadImages},
        {"GET /api/reports", Permission::kReadImages},
        {"GET /api/reports/{report}", Permission::kReadImages},
        {"GET /api/reports/{report}/versions/{version}/pdf", Permission::kReadImages},
        {"POST /api/films/{film}/shares", Permission::kShareFilms},
        {"GET /api/films/{film}/shares", Permission::kShareFilms},
        {"GET /api/shares", Permission::kShareFilms},
        {"DELETE /api/shares/{id}", Permission::kShareFilms},
        {"POST /api/share-sessions", Permission::kPublic},
        {"POST /api/share-sessions/code", Permission::kPublic},
        {"POST /api/share-sessions/status", Permission::kPublic},
        {"GET /s/{token}", Permission::kPublic},
        {"GET /", Permission::kPublic},
        {"GET /viewer", Permission::kPublic},
        {"GET /kiosk", Permission::kPublic},
        {"GET /admin", Permission::kPublic},
        {"GET /assets/{file}", Permission::kPublic},
        {"POST /api/my/shares", Permission::kOwnShares},
        {"GET /api/my/shares", Permission::kOwnShares},
        {"DELETE /api/my/shares/{id}", Permission::kOwnShares},
        {"GET /api/my/access-history", Permission::kOwnShares},
        {"GET /api/notifications", Permission::kReadSystem},
        {"GET /api/notifications/{id}", Permission::kReadSystem},
        {"POST /api/notifications", Permission::kManageAccounts},
        // DICOM nodes (AE titles and peers): a hospital admin's own, any for the platform.
        {"GET /api/dicom-nodes", Permission::kManageAccounts},
        {"PUT /api/dicom-nodes/{aet}", Permission::kManageAccounts},
        {"DELETE /api/dicom-nodes/{aet}", Permission::kManageAccounts},
        {"POST /api/dicom-nodes/{aet}/echo", Permission::kManageAccounts},
        // Kiosks and the service desk; every read is the patient's share's.
        {"GET /api/kiosk", Permission::kShareFilms},
        {"POST /api/kiosk/sessions", Permission::kShareFilms},
        {"POST /api/kiosk/visit-code", Permission::kShareFilms},
        {"GET /api/kiosk/session", Permission::kShareFilms},
        {"DELETE /api/kiosk/session", Permission::kShareFilms},
        {"GET /api/kiosk/reports/{report}/versions/{version}/pdf", Permission::kShareFilms},
        {"GET /api/kiosk/films/{film}/sheet", Permission::kShareFilms},
        {"POST /api/kiosk/reports/{report}/versions/{version}/printed", Permission::kShareFilms},
        {"POST /api/kiosk/films/{film}/printed", Permission::kShareFilms},
    };
    const std::string study = "/dicom-web/studies/{study}";
    const std::string series = study + "/series/{series}";
    const std::string instance = series + "/instances/{instance}";
    const std::string frames = instance + "/frames/{frames}";
    for (const std::string& path :
         {study, series, instance, study + "/metadata", series + "/metadata",
          instance + "/metadata", frames, instance + "/bulkdata/{tag}", study + "/series",
          study + "/instances", series + "/instances", study + "/rendered", series + "/rendered",
          instance + "/rendered", frames + "/rendered", study + "/thumbnail", series + "/thumbnail",
          instance + "/thumbnail", frames + "/thumbnail"}) {
      t.emplace("GET " + path, Permission::kReadImages);
    }
    return t;
  }();
  return table;
}

// Which roles the design lets use each permission, within their tenant.
const std::map<Permission, std::set<Role>>& ExpectedRoles() {
  static const std::map<Permission, std::set<Role>> table = {
      {Permission::kReadImages,
       {Role::kPlatformAdmin, Role::kHospitalAdmin, Role::kTechnologist, Role::kDoctor,
        Role::kApiClient}},
      {Permission::kWriteReports,
       {Role::kPlatformAdmin, Role::kHospitalAdmin, Role::kDoctor, Role::kApiClient}},
      {Permission::kStoreImages,
       {Role::kPlatformAdmin, Role::kHospitalAdmin, Role::kTechnologist, Role::kApiClient}},
      {Permission::kReadSystem, {Role::kPlatformAdmin, Role::kHospitalAdmin}},
      {Permission::kManageAccounts, {Role::kPlatformAdmin, Role::kHospitalAdmin}},
      {Permission::kReadAudit, {Role::kPlatformAdmin, Role::kHospitalAdmin, Role::kAuditor}},
      {Permission::kShareFilms,
       {Role::kPlatformAdmin, Role::kHospitalAdmin, Role::kDoctor, Role::kKiosk}},
      {Permission::kOwnShares, {}},  // share sessions only, never an account
  };
  return table;
}

constexpr Role kAllRoles[] = {Role::kPlatformAdmin, Role::kHospitalAdmin, Role::kTechnologist,
                              Role::kDoctor,        Role::kKiosk,         Role::kAuditor,
                              Role::kApiClient};

std::string Key(const RouteInfo& route) {
  const auto name = beast_http::to_string(route.method);
  return std::string(name.data(), name.size()) + " " + route.pattern;
}

// The pattern with its parameters filled in with plausible values.
std::string Target(const std::string& pattern) {
  static const std::map<std::string, std::string> values = {
      {"{study}", "1.2.826.0.9.1"},
      {"{series}", "1.2.826.0.9.1.1"},
      {"{instance}", "1.2.826.0.9.1.1.1"},
      {"{frames}", "1"},
      {"{tag}", "7FE00010"},
      {"{id}", "0123456789abcdef"},
      {"{report}", "0123456789abcdef0123456789abcdef"},
      {"{version}", "1"},
      {"{film}", "00112233445566778899aabbccddeeff"},
      {"{token}", "AAAAAAAAAAAAAAAAAAAAAA"},
      {"{aet}", "CT9"}};
  std::string target = pattern;
  for (const auto& [name, value] : values) {
    for (auto at = target.find(name); at != std::string::npos; at = target.find(name)) {
      target.replace(at, name.size(), value);
    }
  }
  return target;
}

class RoutePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_archive_.Open(dir_.Path() / "data"));
    auto films = films_.Open(dir_.Path() / "films", *test_archive_.archive);
    ASSERT_TRUE(films) << films.error().message;
    auto outbox = notify::Outbox::Open({dir_.Path() / "outbox.sqlite"});
    ASSERT_TRUE(outbox) << outbox.error().message;
    outbox_ = std::move(*outbox);
    auto prints = film::PrintLog::Open(dir_.Path() / "prints.sqlite", "");
    ASSERT_TRUE(prints) << prints.error().message;
    prints_ = std::move(*prints);
    audit::AuditOptions audit_options;
    audit_options.coalesce_window = std::chrono::milliseconds(0);  // count every event
    ASSERT_TRUE(security_.Open(dir_.Path() / "security", audit_options));
    context_.emplace(ApiContext{*test_archive_.archive, pool_, security_.access.get(),
                                security_.audit.get(), films_.reports.get(), films_.films.get(),
                                films_.issuer.get(), films_.printer.get(), films_.visits.get(),
                                /*public_base_url=*/{}, outbox_.get(), films_.packager.get(), &web_,
                                &site_, prints_.get()});
    auto nodes = access::DicomNodeRegistry::Open(dir_.Path() / "dicom_nodes.sqlite", {});
    ASSERT_TRUE(nodes) << nodes.error().message;
    dicom_nodes_ = std::move(*nodes);
    context_->dicom_nodes = dicom_nodes_.get();
    AddAllRoutes(router_, *context_);
    router_.Secure(*security_.access, security_.audit.get(), pool_);
  }

  void TearDown() override { pool_.join(); }

  // A token carrying every permission of `role`, for an account in `tenant`.
  std::string TokenFor(Role role, const std::string& tenant) {
    const std::string login = std::string(access::RoleName(role)) + "." + tenant;
    access::NewAccount account{login, role, tenant, "a long enough password"};
    auto created = security_.access->CreateAccount(access::OperatorPrincipal(), account);
    EXPECT_TRUE(created) << created.error().message;
    auto issued = security_.access->IssueToken(access::OperatorPrincipal(), {login, "", {}, {}});
    EXPECT_TRUE(issued) << issued.error().message;
    return issued ? issued->text : std::string();
  }

  // The answer to `method target` with whatever `credentials` adds, and
  // X-Cloudfilm-Tenant when `tenant` is not empty.
  Response CallWith(beast_http::verb method, const std::string& target,
                    const std::function<void(RawRequest&)>& credentials,
                    const std::string& tenant = {}) {
    RawRequest request{method, target, 11};
    credentials(request);
    if (!tenant.empty()) request.set("X-Cloudfilm-Tenant", tenant);
    if (method == beast_http::verb::post) {
      request.set(beast_http::field::content_type, "application/json");
      request.body() = "{}";
      request.prepare_payload();
    }
    boost::asio::io_context io;
    Response response;
    response.status = 0;
    boost::asio::co_spawn(io, router_.Dispatch(request, "127.0.0.1"),
                          [&](std::exception_ptr failure, Response answer) {
                            if (failure) std::rethrow_exception(failure);
                            response = std::move(answer);
                          });
    io.run();
    return response;
  }

  Response Call(beast_http::verb method, const std::string& target,
                const std::optional<std::string>& token, const std::string& tenant = {}) {
    return CallWith(
        method, target,
        [&](RawRequest& request) {
          if (token) request.set(beast_http::field::authorization, "Bearer " + *token);
        },
        tenant);
  }

  unsigned Status(const RouteInfo& route, const std::optional<std::string>& token,
                  const std::string& tenant = {}) {
    return Call(route.method, Target(route.pattern), token, tenant).status;
  }

  // The status of `route` for a browser session (cookie and CSRF token).
  unsigned SessionStatus(const RouteInfo& route, const access::Session& session) {
    return CallWith(route.method, Target(route.pattern),
                    [&](RawRequest& request) {
                      request.set(beast_http::field::cookie, "cf_session=" + session.cookie);
                      request.set("X-CSRF-Token", session.csrf);
                    })
        .status;
  }

  cf::testing::TempDir dir_;
  cf::testing::TestArchive test_archive_;
  cf::testing::TestFilms films_;
  std::unique_ptr<notify::Outbox> outbox_;
  std::unique_ptr<film::PrintLog> prints_;
  std::unique_ptr<access::DicomNodeRegistry> dicom_nodes_;
  testing::TestSecurity security_;
  boost::asio::thread_pool pool_{2};
  StaticFiles web_{""};  // no web apps: their routes exist and answer 404
  SiteSummary site_;
  std::optional<ApiContext> context_;
  Router router_;
};

TEST_F(RoutePolicyTest, EveryRouteHasTheExpectedPolicy) {
  const auto routes = router_.Routes();
  ASSERT_GT(routes.size(), 30u);
  std::set<std::string> seen;
  for (const RouteInfo& route : routes) {
    const std::string key = Key(route);
    seen.insert(key);
    const auto expected = ExpectedPolicy().find(key);
    ASSERT_NE(expected, ExpectedPolicy().end())
        << key << " has no row in the expected policy table: decide who may use it";
    EXPECT_EQ(access::PermissionName(route.policy.permission),
              access::PermissionName(expected->second))
        << key;
  }
  for (const auto& [key, permission] : ExpectedPolicy()) {
    EXPECT_TRUE(seen.contains(key)) << key << " is expected but the router does not have it";
  }
}

TEST_F(RoutePolicyTest, EveryRouteOnPatientDataIsAudited) {
  for (const RouteInfo& route : router_.Routes()) {
    const Permission p = route.policy.permission;
    if (p == Permission::kReadImages || p == Permission::kStoreImages ||
        p == Permission::kReadAudit ||
        // Revocations are recorded by Access::RevokeShare itself (also for the CLI).
        (p == Permission::kOwnShares && route.method != beast_http::verb::delete_) ||
        Key(route) == "POST /api/films/{film}/shares") {
      EXPECT_TRUE(route.policy.audit.has_value()) << Key(route) << " touches patient data";
    }
  }
}

TEST_F(RoutePolicyTest, AnonymousCallersGet401EverywhereButThePublicRoutes) {
  for (const RouteInfo& route : router_.Routes()) {
    const unsigned status = Status(route, std::nullopt);
    if (route.policy.permission == Permission::kPublic) {
      EXPECT_NE(status, 401u) << Key(route);
      EXPECT_NE(status, 403u) << Key(route);
    } else {
      EXPECT_EQ(status, 401u) << Key(route);
    }
  }
}

TEST_F(RoutePolicyTest, AForgedOrRevokedTokenGets401) {
  const std::string token = TokenFor(Role::kDoctor, "default");
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  const RouteInfo studies{beast_http::verb::get, "/dicom-web/studies", Permission::kReadImages};
  EXPECT_EQ(Status(studies, token), 200u);
  EXPECT_EQ(Status(studies, forged), 401u);
  EXPECT_EQ(Status(studies, std::string("cft_0123456789abcdef_") + std::string(43, 'A')), 401u);
  auto listed = security_.access->ListTokens(access::OperatorPrincipal());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE(security_.access->RevokeToken(access::OperatorPrincipal(), listed->front().id));
  EXPECT_EQ(Status(studies, token), 401u);
}

TEST_F(RoutePolicyTest, EachRoleGetsExactlyItsRoutes) {
  for (const Role role : kAllRoles) {
    const std::string token = TokenFor(role, "default");
    for (const RouteInfo& route : router_.Routes()) {
      const Permission p = route.policy.permission;
      const unsigned status = Status(route, token);
      // Tokens are machines: they have no second factor to manage.
      const bool allowed = p == Permission::kPublic || p == Permission::kAuthenticated ||
                           p == Permission::kOwnSession ||
                           (p != Permission::kSecondFactor && ExpectedRoles().at(p).contains(role));
      if (allowed) {
        EXPECT_NE(status, 401u) << access::RoleName(role) << " " << Key(route);
        EXPECT_NE(status, 403u) << access::RoleName(role) << " " << Key(route);
        EXPECT_NE(status, 0u) << access::RoleName(role) << " " << Key(route);
      } else {
        EXPECT_EQ(status, 403u) << access::RoleName(role) << " " << Key(route);
      }
    }
  }
}

TEST_F(RoutePolicyTest, NamingAnotherHospitalIsRefusedOnEveryRouteButThePlatforms) {
  // Accounts of "h2", of every role but the platform's, asking for the data
  // of "default" (X-Cloudfilm-Tenant) are refused on every tenant route.
  for (const Role role : kAllRoles) {
    if (role == Role::kPlatformAdmin) continue;
    const std::string token = TokenFor(role, "h2");
    for (const RouteInfo& route : router_.Routes()) {
      const Permission p = route.policy.permission;
      if (!access::IsTenantPermission(p)) continue;
      if (p == Permission::kManageAccounts || p == Permission::kReadAudit) continue;
      EXPECT_EQ(Status(route, token, "default"), 403u)
          << access::RoleName(role) << "@h2 " << Key(route);
    }
  }
  const RouteInfo studies{beast_http::verb::get, "/dicom-web/studies", Permission::kReadImages};
  EXPECT_EQ(Status(studies, TokenFor(Role::kDoctor, "h3"), "not a code!"), 400u);
}

// The same UIDs stored by two hospitals, each under its own patient: every
// reader sees its own hospital's object and nothing of the other's.
TEST_F(RoutePolicyTest, TenantIsolationMatrixOnRealData) {
  const std::string study = "1.2.826.0.9.1", series = study + ".1", sop = series + ".1";
  for (const auto& [tenant, patient] : {std::pair{"h1", "PID-H1"}, std::pair{"h2", "PID-H2"}}) {
    auto bytes = cf::testing::DicomBuilder()
                     .Study(study)
                     .Series(series)
                     .Sop(sop)
                     .Patient(patient)
                     .Pixels(8, 8)
                     .Build();
    auto stored = test_archive_.archive->Ingest(bytes, {"test", "", tenant});
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->outcome, catalog::IndexOutcome::kStored)
        << "one hospital's UIDs are not the other's";
  }
  const std::vector<std::string> paths = {
      "/api/studies",
      "/api/patients",
      "/api/studies/" + study,
      "/api/instances/" + sop + "/file",
      "/dicom-web/studies",
      "/dicom-web/studies/" + study + "/metadata",
      "/dicom-web/studies/" + study + "/series/" + series + "/instances/" + sop + "/metadata"};
  for (const auto& [tenant, mine, theirs] :
       {std::tuple{"h1", "PID-H1", "PID-H2"}, std::tuple{"h2", "PID-H2", "PID-H1"}}) {
    for (const Role role :
         {Role::kDoctor, Role::kTechnologist, Role::kHospitalAdmin, Role::kApiClient}) {
      const std::string token = TokenFor(role, tenant);
      for (const auto& path : paths) {
        const Response r = Call(beast_http::verb::get, path, token);
        const std::string body(reinterpret_cast<const char*>(r.body.data()), r.body.size());
        const std::string who = std::string(access::RoleName(role)) + "@" + tenant + " " + path;
        EXPECT_EQ(r.status, 200u) << who;
        EXPECT_NE(body.find(mine), std::string::npos) << who;
        EXPECT_EQ(body.find(theirs), std::string::npos) << who << " sees the other hospital";
      }
    }
  }
  // A hospital that stored nothing finds nothing, even by UID.
  const std::string h3 = TokenFor(Role::kDoctor, "h3");
  EXPECT_EQ(Call(beast_http::verb::get, "/api/studies/" + study, h3).status, 404u);
  EXPECT_EQ(Call(beast_http::verb::get, "/dicom-web/studies/" + study + "/metadata", h3).status,
            404u);
  EXPECT_EQ(Call(beast_http::verb::get, "/api/instances/" + sop + "/file", h3).status, 404u);
  const Response none = Call(beast_http::verb::get, "/dicom-web/studies", h3);
  EXPECT_EQ(none.status, 200u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(none.body.data()), none.body.size()), "[]");
  // The platform sees both hospitals; a UID both stored must be asked
  // within one of them.
  const std::string platform = TokenFor(Role::kPlatformAdmin, "default");
  const Response both = Call(beast_http::verb::get, "/api/studies", platform);
  const std::string both_body(reinterpret_cast<const char*>(both.body.data()), both.body.size());
  EXPECT_NE(both_body.find("PID-H1"), std::string::npos);
  EXPECT_NE(both_body.find("PID-H2"), std::string::npos);
  EXPECT_EQ(Call(beast_http::verb::get, "/api/studies/" + study, platform).status, 409u);
  const Response one = Call(beast_http::verb::get, "/api/studies/" + study, platform, "h2");
  const std::string one_body(reinterpret_cast<const char*>(one.body.data()), one.body.size());
  EXPECT_EQ(one.status, 200u);
  EXPECT_NE(one_body.find("PID-H2"), std::string::npos);
  EXPECT_EQ(one_body.find("PID-H1"), std::string::npos);
}

TEST_F(RoutePolicyTest, EveryRoleManagesItsSecondFactorFromASessionOnly) {
  for (const Role role : kAllRoles) {
    const std::string login = std::string(access::RoleName(role)) + ".totp";
    access::NewAccount account{login, role, "default", "a long enough password"};
    ASSERT_TRUE(security_.access->CreateAccount(access::OperatorPrincipal(), account));
    auto session = security_.access->Login(login, "a long enough password", {"127.0.0.1", "t"});
    ASSERT_TRUE(session) << session.error().message;
    const RouteInfo enroll{beast_http::verb::post, "/api/auth/totp/enroll",
                           Permission::kSecondFactor};
    EXPECT_EQ(SessionStatus(enroll, *session), 200u) << access::RoleName(role);
  }
}

// With security.require_totp_for_admins, an admin's session without a
// second factor reaches its own session and the enrolment, and nothing else
// (403 with the way out), whatever the route.
TEST_F(RoutePolicyTest, AnAdminSessionWithoutSecondFactorOnlyEnrolsWhenItIsRequired) {
  ASSERT_TRUE(security_.Open(dir_.Path() / "security-totp", {},
                             [](access::AccessOptions& o) { o.require_totp_for_admins = true; }));
  context_.emplace(ApiContext{*test_archive_.archive, pool_, security_.access.get(),
                              security_.audit.get(), films_.reports.get(), films_.films.get(),
                              films_.issuer.get(), films_.printer.get(), films_.visits.get(),
                              /*public_base_url=*/{}, outbox_.get(), films_.packager.get(), &web_,
                              &site_, prints_.get()});
  Router router;
  AddAllRoutes(router, *context_);
  router.Secure(*security_.access, security_.audit.get(), pool_);
  router_ = std::move(router);

  for (const Role role : {Role::kPlatformAdmin, Role::kHospitalAdmin}) {
    const std::string login = std::string(access::RoleName(role)) + ".new";
    access::NewAccount account{login, role, "default", "a long enough password"};
    ASSERT_TRUE(security_.access->CreateAccount(access::OperatorPrincipal(), account));
    auto session = security_.access->Login(login, "a long enough password", {"127.0.0.1", "t"});
    ASSERT_TRUE(session) << session.error().message;
    ASSERT_TRUE(session->principal.must_enrol_totp);
    std::optional<RouteInfo> logout;
    for (const RouteInfo& route : router_.Routes()) {
      if (Key(route) == "POST /api/auth/logout") {
        logout = route;  // last: it ends the session
        continue;
      }
      const Permission p = route.policy.permission;
      const unsigned status = SessionStatus(route, *session);
      if (p == Permission::kPublic || p == Permission::kOwnSession ||
          p == Permission::kSecondFactor) {
        EXPECT_NE(status, 401u) << access::RoleName(role) << " " << Key(route);
        EXPECT_NE(status, 403u) << access::RoleName(role) << " " << Key(route);
      } else {
        EXPECT_EQ(status, 403u) << access::RoleName(role) << " " << Key(route);
      }
    }
    ASSERT_TRUE(logout);
    EXPECT_EQ(SessionStatus(*logout, *session), 204u);
  }
  audit::EventFilter filter;
  filter.actor = "platform-admin.new";
  filter.action = audit::Action::kAccessDenied;
  filter.limit = 1;
  auto denied = security_.audit->Find(filter);
  ASSERT_TRUE(denied);
  ASSERT_EQ(denied->size(), 1u);
  EXPECT_EQ(denied->front().detail, "second factor not enrolled");

  // A doctor is not held, nor an admin's API token.
  access::NewAccount doctor{"doctor.new", Role::kDoctor, "default", "a long enough password"};
  ASSERT_TRUE(security_.access->CreateAccount(access::OperatorPrincipal(), doctor));
  auto session =
      security_.access->Login("doctor.new", "a long enough password", {"127.0.0.1", "t"});
  ASSERT_TRUE(session);
  const RouteInfo studies{beast_http::verb::get, "/dicom-web/studies", Permission::kReadImages};
  EXPECT_EQ(SessionStatus(studies, *session), 200u);
  EXPECT_EQ(Status(studies, TokenFor(Role::kPlatformAdmin, "default")), 200u);
}

TEST_F(RoutePolicyTest, AScopedTokenIsHeldToItsScopes) {
  access::NewAccount account{"gateway", Role::kApiClient, "default", "a long enough password"};
  ASSERT_TRUE(security_.access->CreateAccount(access::OperatorPrincipal(), account));
  auto issued = security_.access->IssueToken(access::OperatorPrincipal(),
                                             {"gateway", "pacs", {Permission::kStoreImages}, {}});
  ASSERT_TRUE(issued) << issued.error().message;
  const RouteInfo search{beast_http::verb::get, "/dicom-web/studies", Permission::kReadImages};
  const RouteInfo store{beast_http::verb::post, "/dicom-web/studies", Permission::kStoreImages};
  EXPECT_EQ(Status(search, issued->text), 403u);
  EXPECT_NE(Status(store, issued->text), 403u);
  // A token cannot be given more than its account's role.
  auto beyond = security_.access->IssueToken(access::OperatorPrincipal(),
                                             {"gateway", "", {Permission::kManageAccounts}, {}});
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RoutePolicyTest, EveryAllowedAndEveryRefusedDataAccessIsAnAuditEvent) {
  const std::string doctor = TokenFor(Role::kDoctor, "default");
  const std::string kiosk = TokenFor(Role::kKiosk, "default");
  for (const RouteInfo& route : router_.Routes()) {
    // Kiosks print the patient's QR slip: they may share films.
    if (!route.policy.audit || route.policy.permission == Permission::kShareFilms) continue;
    const auto before = security_.audit->Count();
    ASSERT_TRUE(before);
    const unsigned status = Status(route, kiosk);  // refused: kiosks read no images
    ASSERT_EQ(status, 403u) << Key(route);
    audit::EventFilter filter;
    filter.actor = std::string(access::RoleName(Role::kKiosk)) + ".default";
    filter.limit = 1;
    auto events = security_.audit->Find(filter);
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 1u) << Key(route);
    EXPECT_EQ(events->front().route, route.pattern);
    EXPECT_EQ(events->front().action, audit::Action::kAccessDenied);
    EXPECT_EQ(events->front().outcome, audit::Outcome::kDenied);
    EXPECT_EQ(*security_.audit->Count(), *before + 1) << Key(route);
  }
  // Allowed reads are recorded with the route's action and the study.
  const RouteInfo metadata{beast_http::verb::get, "/dicom-web/studies/{study}/metadata",
                           Permission::kReadImages};
  (void)Status(metadata, doctor);
  audit::EventFilter filter;
  filter.actor = "doctor.default";
  filter.limit = 1;
  auto events = security_.audit->Find(filter);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().action, audit::Action::kView);
  EXPECT_EQ(events->front().study_uid, "1.2.826.0.9.1");
  EXPECT_EQ(events->front().source, "127.0.0.1");
  EXPECT_EQ(events->front().role, "doctor");
  // The JSON API names its objects like DICOMweb does, so its events say
  // which study and instance too.
  const RouteInfo api_instance{beast_http::verb::get, "/api/instances/{instance}/file",
                               Permission::kReadImages};
  (void)Status(api_instance, doctor);
  events = security_.audit->Find(filter);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().action, audit::Action::kDownload);
  EXPECT_EQ(events->front().sop_uid, "1.2.826.0.9.1.1.1");
}

TEST_F(RoutePolicyTest, BreakGlassOpensReadsOfAnotherHospitalFlaggedAndNothingElse) {
  const std::string token = TokenFor(Role::kDoctor, "h2");
  const RouteInfo metadata{beast_http::verb::get, "/dicom-web/studies/{study}/metadata",
                           Permission::kReadImages};
  const RouteInfo store{beast_http::verb::post, "/dicom-web/studies", Permission::kStoreImages};
  ASSERT_EQ(Status(metadata, token, "default"), 403u);

  auto me = security_.access->Authenticate({.authorization = "Bearer " + token,
                                            .session_cookie = {},
                                            .csrf_token = {},
                                            .state_changing = false,
                                            .source = "127.0.0.1"});
  ASSERT_TRUE(me);
  const access::ClientInfo client{"127.0.0.1", "test"};
  auto no_reason = security_.access->BreakGlass(*me, "default", "because", 600s, client);
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().code, ErrorCode::kInvalidArgument);
  auto too_long =
      security_.access->BreakGlass(*me, "default", "patient in resus, no records", 2h, client);
  ASSERT_FALSE(too_long);
  auto granted =
      security_.access->BreakGlass(*me, "default", "patient in resus, no records", 600s, client);
  ASSERT_TRUE(granted) << granted.error().message;

  EXPECT_NE(Status(metadata, token, "default"), 403u);
  EXPECT_NE(Status(metadata, token, "default"), 401u);
  EXPECT_EQ(Status(store, token, "default"), 403u) << "break-glass never stores";
  audit::EventFilter filter;
  filter.actor = "doctor.h2";
  filter.flagged = true;
  auto flagged = security_.audit->Find(filter);
  ASSERT_TRUE(flagged);
  ASSERT_GE(flagged->size(), 2u);  // the grant and the read
  EXPECT_EQ(flagged->front().action, audit::Action::kView);
  EXPECT_EQ(flagged->front().tenant, "default") << "the data's hospital reviews it";
  EXPECT_NE(flagged->front().detail.find("break-glass"), std::string::npos);
  EXPECT_EQ(flagged->back().action, audit::Action::kBreakGlass);
  EXPECT_NE(flagged->back().detail.find("patient in resus"), std::string::npos);

  // Roles outside security.break_glass_roles cannot open it.
  const std::string kiosk = TokenFor(Role::kKiosk, "h2");
  auto kiosk_me = security_.access->Authenticate({.authorization = "Bearer " + kiosk,
                                                  .session_cookie = {},
                                                  .csrf_token = {},
                                                  .state_changing = false,
                                                  .source = "127.0.0.1"});
  ASSERT_TRUE(kiosk_me);
  auto refused = security_.access->BreakGlass(*kiosk_me, "default", "patient in resus, no records",
                                              600s, client);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
}

// A patient's share session, on every route of the server: the routes of
// its permission answer for its study only, and for the patient's other
// study (whose UIDs are the ones Target fills in) nothing but 404 or an
// empty answer; every other route is refused. A route added later that
// reads patient data without the share's scope fails here.
TEST_F(RoutePolicyTest, AShareSessionReadsItsStudyOnlyOnEveryRoute) {
  const std::string other_study = "1.2.826.0.9.1";  // what Target fills in
  const std::string shared_study = "1.2.826.0.9.2";
  for (const std::string& study : {other_study, shared_study}) {
    auto bytes = cf::testing::DicomBuilder()
                     .Study(study)
                     .Series(study + ".1")
                     .Sop(study + ".1.1")
                     .Patient("PID-SHARE")
                     .Pixels(8, 8)
                     .Build();
    auto stored = test_archive_.archive->Ingest(bytes, {"test", "", "default"});
    ASSERT_TRUE(stored) << stored.error().message;
  }
  access::Principal staff;
  staff.kind = access::Principal::Kind::kSession;
  staff.account_id = 1;
  staff.login = "dr.share";
  staff.role = Role::kDoctor;
  access::NewShare share;
  share.tenant = "default";
  share.film_id = "film-x";
  share.study_uids = {shared_study};
  share.factor = access::ShareFactor::kBirthDate;
  share.factor_value = "19800102";
  share.expires_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() +
                     3'600'000;
  auto issued = security_.access->CreateShare(staff, share);
  ASSERT_TRUE(issued) << issued.error().message;
  auto session = security_.access->OpenShare(issued->token, "19800102", {"127.0.0.1", "t"});
  ASSERT_TRUE(session) << session.error().message;
  const std::string token = session->token;

  for (const RouteInfo& route : router_.Routes()) {
    const Permission p = route.policy.permission;
    if (Key(route) == "POST /api/auth/logout") continue;
    const Response r = Call(route.method, Target(route.pattern), token);
    const std::string body(reinterpret_cast<const char*>(r.body.data()), r.body.size());
    if (p == Permission::kReadImages) {
      EXPECT_TRUE(r.status == 404 || r.status == 400 || r.status == 200)
          << Key(route) << " answered " << r.status;
      EXPECT_EQ(body.find(other_study), std::string::npos)
          << Key(route) << " shows a study outside the share";
    } else if (p == Permission::kPublic || p == Permission::kOwnSession ||
               p == Permission::kOwnShares) {
      EXPECT_NE(r.status, 401u) << Key(route);
      EXPECT_NE(r.status, 403u) << Key(route);
    } else {
      EXPECT_EQ(r.status, 403u) << Key(route) << ": a share may not " << access::PermissionName(p);
    }
    // Naming another hospital is refused whatever the route.
    if (access::IsTenantPermission(p)) {
      EXPECT_EQ(Call(route.method, Target(route.pattern), token, "h2").status, 403u) << Key(route);
    }
  }
  // Its own study answers.
  const Response mine = Call(beast_http::verb::get, "/dicom-web/studies", token);
  EXPECT_EQ(mine.status, 200u);
  const std::string mine_body(reinterpret_cast<const char*>(mine.body.data()), mine.body.size());
  EXPECT_NE(mine_body.find(shared_study), std::string::npos);
  EXPECT_EQ(mine_body.find(other_study), std::string::npos);
  EXPECT_EQ(Call(beast_http::verb::get, "/api/studies/" + shared_study, token).status, 200u);
  EXPECT_EQ(Call(beast_http::verb::get,
                 "/dicom-web/studies/" + shared_study + "/series/" + shared_study +
                     ".1/instances/" + shared_study + ".1.1/metadata",
                 token)
                .status,
            200u);
  EXPECT_EQ(Call(beast_http::verb::get, "/api/studies/" + other_study, token).status, 404u);
}

}  // namespace
}  // namespace cf::http
