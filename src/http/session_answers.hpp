// SPDX-License-Identifier: Apache-2.0
// What the sign-in and share-opening routes answer alike: session cookies,
// and the client of a request for rate limits and the audit trail. Internal
// to the http part.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "access/access.hpp"
#include "core/error.hpp"
#include "http/message.hpp"

namespace cf::http {

// A Set-Cookie value: Path=/, SameSite=Strict, HttpOnly and Secure as asked.
std::string Cookie(std::string_view name, std::string_view value, int64_t max_age_s, bool http_only,
                   bool secure);

// Sets cf_session (HttpOnly: no script reads it) and cf_csrf (readable on
// purpose, so that web apps can echo it in X-CSRF-Token) until `expires_ms`;
// Secure over HTTPS.
void SetSessionCookies(Response& response, const Request& req, std::string_view session,
                       std::string_view csrf, int64_t expires_ms);

// Who is signing in or opening a share, for rate limits and the audit.
access::ClientInfo Client(const Request& req);

}  // namespace cf::http
