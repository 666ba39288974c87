// SPDX-License-Identifier: Apache-2.0
// The request and response types that handlers see. The request is Beast's
// parsed message plus what the router extracted (route pattern, path
// parameters, decoded query); the response is our own plain value so that
// handlers and tests build answers without Beast, and so that a large body
// (DICOM bytes) moves into the socket write without a copy. Internal to
// cf::http: Beast types stay inside this part.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "http/query_params.hpp"

namespace cf::http {

using RawRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct Request {
  const RawRequest& raw;
  std::string_view route;  // the matched pattern ("/api/studies/{uid}"): safe to log
  QueryParams query;
  std::vector<std::pair<std::string, std::string>> params;  // {name} -> decoded segment

  // The decoded value of path parameter `name`; empty when the route has none.
  std::string_view Param(std::string_view name) const {
    for (const auto& [key, value] : params) {
      if (key == name) return value;
    }
    return {};
  }
};

struct Response {
  unsigned status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type/Length
  Bytes body;

  std::string_view BodyText() const { return AsChars(body); }

  // Sets or replaces a header; names compare case-insensitively.
  void SetHeader(std::string_view name, std::string value);
  std::optional<std::string_view> Header(std::string_view name) const;
};

}  // namespace cf::http
