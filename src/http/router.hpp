// SPDX-License-Identifier: Apache-2.0
// Maps method + path pattern to a handler coroutine. Patterns are literal
// segments and {name} parameters ("/api/studies/{uid}"); the router decodes
// the path and query once, so handlers never see percent-escapes. It answers
// 404 and 405 (with Allow) itself, lets a GET route answer HEAD, and is the
// HTTP boundary's single catch-all: an exception escaping a handler is a bug,
// logged loudly with the route pattern (never the path, which may carry
// UIDs) and answered with a 500 problem.
// Every route names its policy: the permission it needs and what it is in
// the audit trail. Dispatch authenticates the request (access::Access),
// asks the one policy (access::Authorize) and records the audit event
// durably before the answer leaves; a handler only runs for an allowed
// principal, which it finds in Request::principal.
// Routes are added before the server starts; Dispatch is then thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/role.hpp"
#include "audit/event.hpp"
#include "http/message.hpp"

namespace cf::access {
class Access;
}
namespace cf::audit {
class AuditLog;
}

namespace cf::http {

// A handler gets the request by reference; it stays alive until the
// returned coroutine finishes.
using Handler = std::function<boost::asio::awaitable<Response>(const Request&)>;

struct RoutePolicy {
  // Implicit, so that routes without an audit action read
  // `router.Add(verb::get, "/healthz", Permission::kPublic, handler)`.
  RoutePolicy(access::Permission p, std::optional<audit::Action> a = std::nullopt)
      : permission(p), audit(a) {}
  access::Permission permission;
  // Set for routes that touch patient data or security state: each allowed
  // call is an audit event with this action (repeated reads coalesce, see
  // audit::AuditOptions); refusals are recorded as kAccessDenied.
  std::optional<audit::Action> audit;
};

// What the router knows of a route, for the route-policy completeness test
// and documentation.
struct RouteInfo {
  boost::beast::http::verb method;
  std::string pattern;
  RoutePolicy policy;
};

class Router {
 public:
  // REQUIRES: `pattern` starts with '/', its {parameters} are whole segments,
  // and (method, pattern) was not added before.
  void Add(boost::beast::http::verb method, std::string_view pattern, RoutePolicy policy,
           Handler handler);

  // Turns on authentication and audit. Without it every request is
  // anonymous, so only kPublic routes answer (unit tests of routing).
  // `audit` may be null; all three must outlive every dispatch.
  void Secure(access::Access& access, audit::AuditLog* audit, boost::asio::thread_pool& pool);

  std::vector<RouteInfo> Routes() const;

  // For a request whose body is not read yet (an upload): the answer that
  // refuses it (404, 405, 401, 403) before a byte of the body is stored,
  // or nullopt when its route would let it in. Dispatch checks again.
  boost::asio::awaitable<std::optional<Response>> Admit(const RawRequest& header,
                                                        std::string_view peer) const;

  // Routes `request` and returns the answer; never throws. `peer` and
  // `body_file` are passed on in Request (see message.hpp); both must
  // outlive the returned coroutine.
  boost::asio::awaitable<Response> Dispatch(const RawRequest& request, std::string_view peer = {},
                                            const SpoolFile* body_file = nullptr) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct Route {
    boost::beast::http::verb method;
    std::string pattern;
    std::vector<Segment> segments;
    RoutePolicy policy;
    Handler handler;
    size_t num_params = 0;
  };

  boost::asio::awaitable<Response> Run(const Route& route, Request& request, bool admit_only) const;
  boost::asio::awaitable<Response> DispatchImpl(const RawRequest& request, std::string_view peer,
                                                const SpoolFile* body_file, bool admit_only) const;
  // Writes `event` durably (on the blocking pool); success without an audit log.
  boost::asio::awaitable<Result<void>> Record(audit::Event event) const;

  static bool Matches(const Route& route, const std::vector<std::string>& segments);

  std::vector<Route> routes_;
  access::Access* access_ = nullptr;
  audit::AuditLog* audit_ = nullptr;
  boost::asio::thread_pool* pool_ = nullptr;
};

}  // namespace cf::http
