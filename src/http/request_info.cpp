// SPDX-License-Identifier: Apache-2.0
#include "http/request_info.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace cf::http {

namespace beast_http = boost::beast::http;

std::string_view CookieValue(const RawRequest& raw, std::string_view name) {
  for (auto it = raw.find(beast_http::field::cookie);
       it != raw.end() && it->name() == beast_http::field::cookie; ++it) {
    std::string_view header(it->value().data(), it->value().size());
    while (!header.empty()) {
      const auto semicolon = header.find(';');
      std::string_view pair = header.substr(0, semicolon);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
        return pair.substr(equals + 1);
      }
      if (semicolon == std::string_view::npos) break;
      header.remove_prefix(semicolon + 1);
    }
  }
  return {};
}

std::string HeaderValues(const Request& req, beast_http::field name) {
  std::string joined;
  for (auto [it, end] = req.raw.equal_range(name); it != end; ++it) {
    if (!joined.empty()) joined += ", ";
    joined.append(it->value().data(), it->value().size());
  }
  return joined;
}

Result<std::vector<MediaRange>> AcceptedRanges(const Request& req) {
  if (const auto param = req.query.Get("accept")) return ParseAccept(*param);
  return ParseAccept(HeaderValues(req, beast_http::field::accept));
}

namespace {

// The request's Host when it is a plain host[:port] (name, IPv4 or [IPv6]),
// else empty: what a client sends there must not put a path, a user or
// anything else into the URLs we hand out.
std::string_view PlainHost(const Request& req) {
  const auto field = req.raw[beast_http::field::host];
  const std::string_view host(field.data(), field.size());
  const bool plain = !host.empty() && host.size() < 256 && std::ranges::all_of(host, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
  return plain ? host : std::string_view();
}

}  // namespace

std::string ServiceRoot(const Request& req) {
  const std::string_view host = PlainHost(req);
  if (host.empty()) return "/dicom-web";
  return std::string(IsHttps(req) ? "https://" : "http://") + std::string(host) + "/dicom-web";
}

bool IsHttps(const Request& req) { return req.raw["X-Forwarded-Proto"] == "https"; }

std::string PublicBase(std::string_view configured, const Request& req) {
  if (!configured.empty()) return std::string(configured);
  const std::string_view host = PlainHost(req);
  if (host.empty()) return {};  // a relative link rather than one a client made up
  return (IsHttps(req) ? "https://" : "http://") + std::string(host);
}

}  // namespace cf::http
