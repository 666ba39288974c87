// SPDX-License-Identifier: Apache-2.0
// Route matching is a linear scan: the API has a handful of routes and a
// scan keeps 404/405 decisions obvious. Paths are split on '/' before
// percent-decoding, so an encoded "%2F" stays inside its segment.
#include "http/router.hpp"

#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "core/log.hpp"
#include "http/problem.hpp"

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

}  // namespace

void Router::Add(beast_http::verb method, std::string_view pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/'");
  }
  Route route{method, std::string(pattern), {}, std::move(handler), 0};
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
    co_return co_await found->handler(request);
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

}  // namespace cf::http
