// SPDX-License-Identifier: Apache-2.0
// Maps method + path pattern to a handler coroutine. Patterns are literal
// segments and {name} parameters ("/api/studies/{uid}"); the router decodes
// the path and query once, so handlers never see percent-escapes. It answers
// 404 and 405 (with Allow) itself, lets a GET route answer HEAD, and is the
// HTTP boundary's single catch-all: an exception escaping a handler is a bug,
// logged loudly with the route pattern (never the path, which may carry
// UIDs) and answered with a 500 problem.
// Routes are added before the server starts; Dispatch is then thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace cf::http {

// A handler gets the request by reference; it stays alive until the
// returned coroutine finishes.
using Handler = std::function<boost::asio::awaitable<Response>(const Request&)>;

class Router {
 public:
  // REQUIRES: `pattern` starts with '/', its {parameters} are whole segments,
  // and (method, pattern) was not added before.
  void Add(boost::beast::http::verb method, std::string_view pattern, Handler handler);

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
    Handler handler;
    size_t num_params = 0;
  };

  static bool Matches(const Route& route, const std::vector<std::string>& segments);

  std::vector<Route> routes_;
};

}  // namespace cf::http
