// SPDX-License-Identifier: Apache-2.0
// Handlers of /api/dicom-nodes (see dicom_node_routes.hpp). The router has
// already checked manage-accounts on the caller's hospital; here a hospital
// admin is further kept to its own hospital's nodes (another hospital's are
// "not found", and moving one's node to another hospital is forbidden),
// while a platform admin manages any. Each change is an audit event
// (config-change, a DICOM "Network Configuration" security alert, the
// detail saying created, changed or removed), recorded before the answer
// leaves. AE titles and addresses are not
// patient data; nothing here logs.
#include "http/dicom_node_routes.hpp"

// g++ 12 reports a false -Wmismatched-new-delete for Asio's coroutine frame
// allocator in PutNode (GCC bug 109224; router.cpp has the same).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "access/access.hpp"
#include "access/dicom_nodes.hpp"
#include "audit/audit_log.hpp"
#include "core/time_text.hpp"
#include "http/blocking.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/response.hpp"
#include "http/session_answers.hpp"
#include "http/site_summary.hpp"

namespace cf::http {
namespace beast_http = boost::beast::http;
using access::Permission;
using boost::asio::awaitable;

namespace {

bool IsPlatform(const Request& req) {
  return req.principal != nullptr && req.principal->role == access::Role::kPlatformAdmin;
}

// The hospital whose nodes a hospital admin is kept to; nullopt for a
// platform admin.
std::optional<std::string> Within(const Request& req) {
  if (IsPlatform(req) || req.principal == nullptr) return std::nullopt;
  return req.principal->tenant;
}

std::string Address(std::string_view host, uint16_t port) {
  return host.empty() ? std::string("no address") : std::string(host) + ":" + std::to_string(port);
}

// A node of the configuration file, as the admin console shows it.
struct ConfigNode {
  std::string tenant;  // empty: belongs to no hospital
  std::string host;
  uint16_t port = 0;
};

// The configuration file's AE titles: the tenants' and the destinations'.
std::map<std::string, ConfigNode> ConfigNodes(const SiteSummary* site) {
  std::map<std::string, ConfigNode> out;
  if (site == nullptr) return out;
  for (const auto& t : site->tenants) {
    for (const auto& ae : t.ae_titles) out[ae].tenant = t.code;
  }
  // A destination that no tenant lists belongs where unknown callers do.
  const std::string unknown = site->unknown_callers == "refuse" ? "" : site->unknown_callers;
  for (const auto& d : site->destinations) {
    auto [it, fresh] = out.try_emplace(d.ae_title, ConfigNode{unknown, {}, 0});
    it->second.host = d.host;
    it->second.port = d.port;
  }
  return out;
}

nlohmann::json ToJson(const access::DicomNode& n) {
  return {{"ae_title", n.ae_title},
          {"tenant", n.tenant},
          {"host", n.host.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.host)},
          {"port", n.host.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.port)},
          {"description", n.description},
          {"source", "registry"},
          {"editable", true},
          {"changed_by", n.changed_by},
          {"changed_ms", n.changed_ms}};
}

nlohmann::json ToJson(const std::string& ae, const ConfigNode& n) {
  return {{"ae_title", ae},
          {"tenant", n.tenant.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.tenant)},
          {"host", n.host.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.host)},
          {"port", n.host.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.port)},
          {"description", ""},
          {"source", "config"},
          {"editable", false},
          {"changed_by", nullptr},
          {"changed_ms", nullptr}};
}

// Writes an audit event of this route for `tenant`'s node `ae`.
awaitable<Result<void>> Audit(const ApiContext& ctx, const Request& req, audit::Action action,
                              audit::Outcome outcome, std::string_view tenant, std::string detail) {
  if (ctx.audit == nullptr) co_return Result<void>{};
  audit::Event event;
  event.tenant = IsValidTenantCode(tenant) ? std::string(tenant) : req.principal->tenant;
  event.actor = req.principal->Actor();
  event.role = std::string(req.principal->RoleText());
  event.token_id = req.principal->token_id;
  event.action = action;
  event.outcome = outcome;
  event.protocol = "http";
  event.route = std::string(req.route);
  event.source = std::string(req.peer);
  event.user_agent = std::string(req.raw[beast_http::field::user_agent]);
  event.detail = std::move(detail);
  co_return co_await RunBlocking(ctx.blocking, [&] { return ctx.audit->Record(std::move(event)); });
}

Response AuditFailed() {
  return ErrorResponse({ErrorCode::kStorageUnavailable, "the audit trail cannot be written"});
}

awaitable<Response> ListNodes(const ApiContext& ctx, const Request& req) {
  // A platform admin sees every hospital's, or the one it names
  // (?tenant=, else X-Cloudfilm-Tenant as the admin console sends it).
  std::optional<std::string> tenant = Within(req);
  if (!tenant) {
    if (const auto asked = req.query.Get("tenant"); asked && !asked->empty()) {
      tenant = std::string(*asked);
    } else if (const auto named = req.raw["X-Cloudfilm-Tenant"]; !named.empty()) {
      tenant = req.tenant;  // the router has checked it
    }
  }
  auto nodes = co_await RunBlocking(ctx.blocking, [&] {
    return ctx.dicom_nodes->List(tenant ? std::optional<std::string_view>(*tenant) : std::nullopt);
  });
  if (!nodes) co_return ErrorResponse(nodes.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [ae, n] : ConfigNodes(ctx.site)) {
    // A destination no hospital lists is the node's, shown to every admin.
    if (tenant && !n.tenant.empty() && n.tenant != *tenant) continue;
    list.push_back(ToJson(ae, n));
  }
  for (const auto& n : *nodes) list.push_back(ToJson(n));
  Response response =
      JsonResponse({{"ae_title", ctx.site != nullptr ? ctx.site->ae_title : ""}, {"nodes", list}});
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

Result<access::DicomNode> ParseNode(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) return std::unexpected(body.error());
  for (const auto& [key, value] : body->items()) {
    if (key != "tenant" && key != "host" && key != "port" && key != "description") {
      return Fail(ErrorCode::kInvalidArgument,
                  "unknown field '" + key + "' (tenant, host, port, description)");
    }
  }
  access::DicomNode node;
  node.ae_title = std::string(req.Param("aet"));
  if (auto r = ReadStringFields(
          *body,
          {{"tenant", &node.tenant}, {"host", &node.host}, {"description", &node.description}});
      !r) {
    return std::unexpected(r.error());
  }
  if (const auto port = body->find("port"); port != body->end() && !port->is_null()) {
    if (!port->is_number_integer() || port->get<int64_t>() < 1 || port->get<int64_t>() > 65535) {
      return Fail(ErrorCode::kInvalidArgument, "'port' must be an integer from 1 to 65535");
    }
    node.port = static_cast<uint16_t>(port->get<int64_t>());
  }
  if (node.tenant.empty()) node.tenant = req.tenant;
  if (!access::IsValidAeTitle(node.ae_title)) {
    return Fail(ErrorCode::kInvalidArgument,
                "an AE title is 1 to 16 printable ASCII characters without '\\' and without "
                "leading or trailing spaces");
  }
  if (ctx.access != nullptr && !ctx.access->KnownTenant(node.tenant)) {
    return Fail(ErrorCode::kInvalidArgument,
                "unknown tenant: use default or a configured [tenants.<code>]");
  }
  return node;
}

awaitable<Response> PutNode(const ApiContext& ctx, const Request& req) {
  auto node = ParseNode(ctx, req);
  if (!node) co_return ErrorResponse(node.error());
  const auto within = Within(req);
  if (within && node->tenant != *within) {
    if (!co_await Audit(ctx, req, audit::Action::kAccessDenied, audit::Outcome::kDenied, *within,
                        "DICOM node " + node->ae_title + " for another hospital")) {
      co_return AuditFailed();
    }
    co_return ErrorResponse(
        {ErrorCode::kPermissionDenied, "a hospital admin manages its own hospital's nodes only"});
  }
  const std::string by = req.principal->Actor();
  auto saved = co_await RunBlocking(ctx.blocking, [&] {
    return ctx.dicom_nodes->Put(*node, by, UnixNowMs(),
                                within ? std::optional<std::string_view>(*within) : std::nullopt);
  });
  if (!saved) co_return ErrorResponse(saved.error());
  std::string detail = "DICOM node " + saved->node.ae_title + " " +
                       (saved->created ? "created" : "changed") + ": " +
                       Address(saved->node.host, saved->node.port);
  if (saved->was) {
    detail += " (was " + Address(saved->was->host, saved->was->port);
    if (saved->was->tenant != saved->node.tenant) detail += ", tenant " + saved->was->tenant;
    detail += ")";
  }
  if (!co_await Audit(ctx, req, audit::Action::kConfigChange, audit::Outcome::kSuccess,
                      saved->node.tenant, std::move(detail))) {
    co_return AuditFailed();
  }
  co_return JsonResponse(ToJson(saved->node), saved->created ? 201 : 200);
}

// Config-file nodes are answered with 409 by DELETE and found by echo; a
// hospital admin sees only its own hospital's.
std::optional<ConfigNode> VisibleConfigNode(const ApiContext& ctx, const Request& req,
                                            const std::string& ae) {
  const auto all = ConfigNodes(ctx.site);
  const auto it = all.find(ae);
  if (it == all.end()) return std::nullopt;
  if (const auto within = Within(req);
      within && !it->second.tenant.empty() && it->second.tenant != *within) {
    return std::nullopt;
  }
  return it->second;
}

awaitable<Response> DeleteNode(const ApiContext& ctx, const Request& req) {
  const std::string ae(req.Param("aet"));
  if (VisibleConfigNode(ctx, req, ae)) {
    co_return ErrorResponse(
        {ErrorCode::kConflict, "AE title " + ae +
                                   " is set in the configuration file: remove it "
                                   "there"});
  }
  const auto within = Within(req);
  auto removed = co_await RunBlocking(ctx.blocking, [&] {
    return ctx.dicom_nodes->Remove(
        ae, within ? std::optional<std::string_view>(*within) : std::nullopt);
  });
  if (!removed) co_return ErrorResponse(removed.error());
  if (!co_await Audit(ctx, req, audit::Action::kConfigChange, audit::Outcome::kSuccess,
                      removed->tenant,
                      "DICOM node " + removed->ae_title + " removed (was " +
                          Address(removed->host, removed->port) + ")")) {
    co_return AuditFailed();
  }
  Response response;
  response.status = 204;
  co_return response;
}

awaitable<Response> EchoNode(const ApiContext& ctx, const Request& req) {
  if (!ctx.dicom_echo) co_return ErrorResponse({ErrorCode::kUnsupported, "no DICOM echo here"});
  const std::string ae(req.Param("aet"));
  std::string host;
  uint16_t port = 0;
  if (const auto config = VisibleConfigNode(ctx, req, ae)) {
    host = config->host;
    port = config->port;
  } else {
    const auto within = Within(req);
    auto node = co_await RunBlocking(ctx.blocking, [&] { return ctx.dicom_nodes->Get(ae); });
    if (!node) co_return ErrorResponse(node.error());
    if (!*node || (within && (*node)->tenant != *within)) {
      co_return ErrorResponse({ErrorCode::kNotFound, "no such DICOM node"});
    }
    host = (*node)->host;
    port = (*node)->port;
  }
  if (host.empty()) {
    co_return ErrorResponse({ErrorCode::kInvalidArgument,
                             "DICOM node " + ae + " has no address (host and port) to echo"});
  }
  auto echoed = co_await RunBlocking(ctx.blocking, [&] { return ctx.dicom_echo(ae, host, port); });
  nlohmann::json answer = {{"ae_title", ae}, {"host", host}, {"port", port}};
  // The echo's own failure is its answer, not an error of this request.
  answer["ok"] = echoed.has_value();
  if (echoed) {
    answer["ms"] = *echoed;
  } else {
    answer["error"] = echoed.error().message;
    answer["code"] = std::string(ToString(echoed.error().code));
  }
  Response response = JsonResponse(answer);
  response.SetHeader("Cache-Control", "no-store");
  co_return response;
}

}  // namespace

void AddDicomNodeRoutes(Router& router, const ApiContext& context) {
  if (context.dicom_nodes == nullptr) return;
  using beast_http::verb;
  router.Add(verb::get, "/api/dicom-nodes", Permission::kManageAccounts, Bind<ListNodes>(context));
  router.Add(verb::put, "/api/dicom-nodes/{aet}", Permission::kManageAccounts,
             Bind<PutNode>(context));
  router.Add(verb::delete_, "/api/dicom-nodes/{aet}", Permission::kManageAccounts,
             Bind<DeleteNode>(context));
  router.Add(verb::post, "/api/dicom-nodes/{aet}/echo", Permission::kManageAccounts,
             Bind<EchoNode>(context));
}

}  // namespace cf::http
