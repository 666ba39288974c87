// SPDX-License-Identifier: Apache-2.0
#include "http/request_info.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace cf::http {

namespace beast_http = boost::beast::http;

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

std::string ServiceRoot(const Request& req) {
  const auto field = req.raw[beast_http::field::host];
  const std::string_view host(field.data(), field.size());
  const bool plain = !host.empty() && host.size() < 256 && std::ranges::all_of(host, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
  if (!plain) return "/dicom-web";
  return std::string(IsHttps(req) ? "https://" : "http://") + std::string(host) + "/dicom-web";
}

bool IsHttps(const Request& req) { return req.raw["X-Forwarded-Proto"] == "https"; }

}  // namespace cf::http
