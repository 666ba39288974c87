// SPDX-License-Identifier: Apache-2.0
// Response building and the small header helpers of Response.
#include "http/response.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace cf::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 9110 5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

bool IsSafeHeader(std::string_view name, std::string_view value) {
  return !name.empty() && std::ranges::all_of(name, IsTokenChar) &&
         value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void Response::SetHeader(std::string_view name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string_view> Response::Header(std::string_view name) const {
  if (EqualsIgnoreCase(name, "Content-Type")) return std::string_view{content_type};
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view{value};
  }
  return std::nullopt;
}

Response JsonResponse(const nlohmann::json& body, unsigned status) {
  const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const ByteView bytes = AsBytes(text);
  Response response;
  response.status = status;
  response.content_type = kJsonContentType;
  response.body.assign(bytes.begin(), bytes.end());
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

Response BytesResponse(Bytes body, std::string_view content_type, unsigned status) {
  Response response;
  response.status = status;
  response.content_type = content_type;
  response.body = std::move(body);
  return response;
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    std::string_view candidate = Trim(if_none_match.substr(0, comma));
    if (candidate == "*") return true;
    if (candidate.starts_with("W/")) candidate.remove_prefix(2);
    if (candidate == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace cf::http
