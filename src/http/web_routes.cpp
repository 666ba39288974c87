// SPDX-License-Identifier: Apache-2.0
#include "http/web_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <string>

#include "http/accept.hpp"
#include "http/blocking.hpp"
#include "http/problem.hpp"
#include "http/request_info.hpp"
#include "http/response.hpp"
#include "http/static_files.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using access::Permission;
using boost::asio::awaitable;
using verb = beast_http::verb;

// Scripts and workers only from this origin; 'wasm-unsafe-eval' lets the
// image decoders (HTJ2K, JPEG-LS, JPEG 2000 compiled to WebAssembly) run
// without allowing eval. Inline styles are what the viewer library sets on
// its elements. Nothing may frame the pages (a share page in a frame is a
// phishing kit).
constexpr std::string_view kPageCsp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "object-src 'none'; frame-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";

enum class Kind { kPage, kAsset };

awaitable<Response> Serve(const ApiContext& ctx, const Request& req, std::string relative,
                          Kind kind) {
  auto file = co_await RunBlocking(ctx.blocking, [&] { return ctx.web->Get(relative); });
  if (!file) {
    if (kind == Kind::kPage && file.error().code == ErrorCode::kNotFound) {
      co_return ErrorResponse(
          Error{ErrorCode::kNotFound, "the web apps are not installed on this server"});
    }
    co_return ErrorResponse(file.error());
  }
  const StaticFile& f = **file;
  const bool gzip =
      !f.gzipped.empty() && AcceptsGzip(HeaderValues(req, beast_http::field::accept_encoding));
  Response response;
  if (EtagMatches(HeaderValues(req, beast_http::field::if_none_match), f.etag)) {
    response.status = 304;
  } else {
    response = BytesResponse(gzip ? f.gzipped : f.bytes, f.content_type);
    if (gzip) response.SetHeader("Content-Encoding", "gzip");
  }
  response.SetHeader("ETag", f.etag);
  response.SetHeader("Vary", "Accept-Encoding");
  if (kind == Kind::kAsset) {
    // Vite names assets by their content hash: a new build, new names.
    response.SetHeader("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    // Pages name the current assets: always revalidate (cheap with the ETag).
    response.SetHeader("Cache-Control", "no-cache");
    response.SetHeader("Content-Security-Policy", std::string(kPageCsp));
    // The share token is in the URL: no page may pass it on as a referrer.
    response.SetHeader("Referrer-Policy", "no-referrer");
    response.SetHeader("X-Frame-Options", "DENY");
  }
  co_return response;
}

template <Kind kind>
Handler File(const ApiContext& ctx, std::string relative) {
  return [&ctx, relative](const Request& req) { return Serve(ctx, req, relative, kind); };
}

awaitable<Response> Asset(const ApiContext& ctx, const Request& req) {
  return Serve(ctx, req, "assets/" + std::string(req.Param("file")), Kind::kAsset);
}

}  // namespace

void AddWebRoutes(Router& router, const ApiContext& context) {
  if (context.web == nullptr) return;
  router.Add(verb::get, "/", Permission::kPublic, File<Kind::kPage>(context, "index.html"));
  // What a share's QR code opens; the token stays in the page, which sends
  // it to /api/share-sessions with the second factor.
  router.Add(verb::get, "/s/{token}", Permission::kPublic,
             File<Kind::kPage>(context, "patient.html"));
  router.Add(verb::get, "/viewer", Permission::kPublic, File<Kind::kPage>(context, "viewer.html"));
  router.Add(verb::get, "/kiosk", Permission::kPublic, File<Kind::kPage>(context, "kiosk.html"));
  router.Add(verb::get, "/admin", Permission::kPublic, File<Kind::kPage>(context, "admin.html"));
  router.Add(verb::get, "/assets/{file}", Permission::kPublic,
             [&context](const Request& req) { return Asset(context, req); });
}

}  // namespace cf::http
