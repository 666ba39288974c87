// SPDX-License-Identifier: Apache-2.0
// What DICOMweb handlers read off a request besides its path and query:
// joined header values, the media ranges the client accepts, and the
// service root as the client reached it. Internal to cf::http.
#pragma once

#include <boost/beast/http/field.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "http/accept.hpp"
#include "http/message.hpp"

namespace cf::http {

// The value of cookie `name` in the request's Cookie header(s), or empty.
std::string_view CookieValue(const RawRequest& raw, std::string_view name);

// Every value of header `name`, joined with ", ".
std::string HeaderValues(const Request& req, boost::beast::http::field name);

// The `accept` query parameter (PS3.18 8.3.3.1) wins over the Accept
// header, so that a plain link can ask for a representation.
Result<std::vector<MediaRange>> AcceptedRanges(const Request& req);

// The DICOMweb root as this client reached it ("http://host:port/dicom-web"),
// for BulkDataURIs and RetrieveURLs, which are absolute so that any client
// resolves them. A Host header with unusual characters gives the relative
// root "/dicom-web" rather than being echoed into JSON.
std::string ServiceRoot(const Request& req);

// What links to this server start with (share URLs, film verification):
// `configured` (http.public_base_url) when set, else the scheme and Host
// this request came with, or nothing (relative links) when that Host is
// not a plain host[:port].
std::string PublicBase(std::string_view configured, const Request& req);

// Whether the client reached us over HTTPS: our own HTTPS listener sets
// X-Forwarded-Proto (server.cpp), as a TLS-terminating proxy does.
bool IsHttps(const Request& req);

}  // namespace cf::http
