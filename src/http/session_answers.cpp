// SPDX-License-Identifier: Apache-2.0
#include "http/session_answers.hpp"

#include <algorithm>
#include <chrono>

#include "core/time_text.hpp"
#include "http/request_info.hpp"

namespace cf::http {

std::string Cookie(std::string_view name, std::string_view value, int64_t max_age_s, bool http_only,
                   bool secure) {
  std::string cookie(name);
  cookie.append("=").append(value).append("; Path=/; SameSite=Strict; Max-Age=");
  cookie.append(std::to_string(max_age_s));
  if (http_only) cookie.append("; HttpOnly");
  if (secure) cookie.append("; Secure");
  return cookie;
}

void SetSessionCookies(Response& response, const Request& req, std::string_view session,
                       std::string_view csrf, int64_t expires_ms) {
  const int64_t max_age = std::max<int64_t>(0, (expires_ms - UnixNowMs()) / 1000);
  const bool secure = IsHttps(req);
  response.headers.emplace_back("Set-Cookie", Cookie("cf_session", session, max_age, true, secure));
  response.headers.emplace_back("Set-Cookie", Cookie("cf_csrf", csrf, max_age, false, secure));
}

access::ClientInfo Client(const Request& req) {
  const auto agent = req.raw[boost::beast::http::field::user_agent];
  return {req.peer, {agent.data(), agent.size()}};
}

}  // namespace cf::http
