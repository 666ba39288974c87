// SPDX-License-Identifier: Apache-2.0
// Helpers that build the common kinds of Response (JSON, bytes) with the
// headers every answer of the API carries. Internal to cf::http.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string_view>

#include "core/bytes.hpp"
#include "http/message.hpp"

namespace cf::http {

inline constexpr std::string_view kJsonContentType = "application/json";

// `body` serialized compactly; invalid UTF-8 in strings is replaced with
// U+FFFD instead of failing, because a record from a badly encoded object
// must still be listable. JSON answers hold patient data: not cacheable.
Response JsonResponse(const nlohmann::json& body, unsigned status = 200);

// Raw bytes with the given content type.
Response BytesResponse(Bytes body, std::string_view content_type, unsigned status = 200);

// True when `name` is an HTTP token and `value` holds no CR, LF or NUL, so
// that the pair cannot end the header block or start another header. The
// server sends no header that fails this (it drops it and logs
// http.header_dropped): a value built from request or stored data can
// never split a response.
bool IsSafeHeader(std::string_view name, std::string_view value);

// True when an If-None-Match header value names `etag` (a quoted entity
// tag) or is "*". Weak and strong tags compare alike (RFC 9110 13.1.2).
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

}  // namespace cf::http
