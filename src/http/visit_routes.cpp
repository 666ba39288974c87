// SPDX-License-Identifier: Apache-2.0
#include "http/visit_routes.hpp"

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "audit/event.hpp"
#include "film/film_issuer.hpp"
#include "film/visit_store.hpp"
#include "http/blocking.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/response.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using access::Permission;
using audit::Action;
using boost::asio::awaitable;
using nlohmann::json;

// RFC 3339 / FHIR dates ("2026-03-01") or DICOM DA ("20260301").
std::string DicomDate(std::string text) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    return text.substr(0, 4) + text.substr(5, 2) + text.substr(8, 2);
  }
  return text;
}

Result<film::Visit> VisitOf(const Request& req) {
  auto body = JsonBody(req);
  if (!body) return std::unexpected(body.error());
  film::Visit v;
  v.tenant = req.tenant;
  v.received_by = req.principal != nullptr ? req.principal->Actor() : "test";
  std::string kind;
  if (auto r = ReadStringFields(*body, {{"visit_id", &v.visit_id, true},
                                        {"patient_id", &v.patient_id, true},
                                        {"issuer_of_patient_id", &v.issuer_of_patient_id},
                                        {"kind", &kind, true}});
      !r) {
    return std::unexpected(r.error());
  }
  const auto parsed = film::ParseVisitKind(kind);
  if (!parsed) return Fail(ErrorCode::kInvalidArgument, "kind: \"outpatient\" or \"inpatient\"");
  v.kind = *parsed;
  // An outpatient visit has a date; an inpatient stay counts from its
  // discharge, unknown while the patient is in hospital.
  const bool outpatient = v.kind == film::VisitKind::kOutpatient;
  std::string date;
  if (auto r = ReadStringFields(*body, {{outpatient ? "date" : "discharged", &date, outpatient}});
      !r) {
    return std::unexpected(r.error());
  }
  v.date = DicomDate(std::move(date));
  // The exams ordered in the visit, by accession number (what a kiosk
  // lists for the visit number).
  if (const auto it = body->find("accessions"); it != body->end() && !it->is_null()) {
    if (!it->is_array())
      return Fail(ErrorCode::kInvalidArgument, "accessions: an array of strings");
    for (const auto& a : *it) {
      if (!a.is_string())
        return Fail(ErrorCode::kInvalidArgument, "accessions: an array of strings");
      v.accessions.push_back(a.get<std::string>());
    }
  }
  return v;
}

awaitable<Response> RecordVisit(const ApiContext& ctx, const Request& req) {
  auto visit = VisitOf(req);
  if (!visit) co_return ErrorResponse(visit.error());
  auto r = co_await RunBlocking(ctx.blocking, [&] { return ctx.visits->Record(*visit); });
  if (!r) co_return ErrorResponse(r.error());
  co_return JsonResponse({{"visit_id", visit->visit_id},
                          {"kind", film::VisitKindName(visit->kind)},
                          {"date", visit->date},
                          {"accessions", visit->accessions}},
                         201);
}

awaitable<Response> Retention(const ApiContext& ctx, const Request& req) {
  const std::string study(req.Param("study"));
  auto retention =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.issuer->RetentionOf(req.scope, study); });
  if (!retention) co_return ErrorResponse(retention.error());
  Response response = JsonResponse(film::RetentionJson(*retention));
  response.SetHeader("Cache-Control", "private, no-store");
  co_return response;
}

}  // namespace

void AddVisitRoutes(Router& router, const ApiContext& context) {
  if (context.visits == nullptr || context.issuer == nullptr) return;
  using beast_http::verb;
  router.Add(verb::post, "/api/visits", {Permission::kWriteReports, Action::kStore},
             Bind<RecordVisit>(context));
  router.Add(verb::get, "/api/studies/{study}/retention", {Permission::kReadImages, Action::kView},
             Bind<Retention>(context));
}

}  // namespace cf::http
