// SPDX-License-Identifier: Apache-2.0
// The minimal JSON API of the archive (health, totals, patients, studies,
// one study with its series and instances, instance versions and their exact
// bytes). Handlers only translate HTTP to Archive calls and back; every
// Archive call goes through RunBlocking.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <string>

#include "archive/archive.hpp"
#include "http/router.hpp"

namespace cf::access {
class Access;
}
namespace cf::audit {
class AuditLog;
}

namespace cf::film {
class ReportStore;
class FilmStore;
class FilmIssuer;
class ReportPrinter;
class VisitStore;
class FilmPackager;
class PrintLog;
}  // namespace cf::film
namespace cf::notify {
class Outbox;
}
namespace cf::access {
class DicomNodeRegistry;
}

namespace cf::http {

class StaticFiles;
struct SiteSummary;

struct ApiContext {
  archive::Archive& archive;
  boost::asio::thread_pool& blocking;
  access::Access* access = nullptr;      // accounts, tokens, sessions
  audit::AuditLog* audit = nullptr;      // the audit trail (may be null in tests)
  film::ReportStore* reports = nullptr;  // reports (null: no report routes)
  film::FilmStore* films = nullptr;      // films (null: no film routes)
  film::FilmIssuer* issuer = nullptr;
  film::ReportPrinter* printer = nullptr;  // PDFs of text reports (null: only the sent ones)
  film::VisitStore* visits = nullptr;      // visits and retention (null: no such routes)
  // What share URLs start with (http.public_base_url, e.g.
  // "https://film.example-hospital.cn"); empty = the request's own Host.
  std::string public_base_url = {};
  notify::Outbox* outbox = nullptr;        // notifications (null: no notification routes)
  film::FilmPackager* packager = nullptr;  // film packages (null: no package route)
  StaticFiles* web = nullptr;              // the web apps' files (null: no page routes)
  const SiteSummary* site = nullptr;       // the configuration shown to admins (null: none)
  film::PrintLog* prints = nullptr;        // what kiosks printed (null: no kiosk routes)
  // A hospital's name as configured ([tenants.<code>].name), for film
  // sheets; empty = the tenant code.
  std::function<std::string(std::string_view tenant)> hospital_name = {};
  // The DICOM nodes admins register (null: no /api/dicom-nodes routes), and
  // a C-ECHO from this server's AE title to one of them: the round trip in
  // ms, or the failure (null: the echo route answers 501).
  access::DicomNodeRegistry* dicom_nodes = nullptr;
  std::function<Result<int64_t>(std::string_view ae_title, std::string_view host, uint16_t port)>
      dicom_echo = {};
};

// A handler `Fn(context, request)` for Router::Add; the lambda captures
// only the context, which outlives the router.
template <auto Fn>
Handler Bind(const ApiContext& ctx) {
  return [&ctx](const Request& req) { return Fn(ctx, req); };
}

// Adds the API routes to `router`. `context` must outlive every dispatch.
void AddApiRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
