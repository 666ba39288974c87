// SPDX-License-Identifier: Apache-2.0
#include "http/report_routes.hpp"

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "audit/event.hpp"
#include "core/time_text.hpp"
#include "crypto/base64.hpp"
#include "film/film_issuer.hpp"
#include "film/report_pdf.hpp"
#include "film/report_store.hpp"
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

// Our code system for the report kinds FHIR's v2-0074 lacks (endoscopy).
constexpr std::string_view kKindSystem = "urn:cloudfilm:report-kind";

std::unexpected<Error> Bad(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

// The bytes of a base64 member (RFC 4648 §4, padded, as FHIR writes it).
Result<Bytes> DecodeBase64(std::string_view text, std::string_view name) {
  auto bytes = crypto::Base64Decode(text);
  if (!bytes) return Bad(std::string(name) + " is not base64 (RFC 4648)");
  return std::move(*bytes);
}

// A time the API shows: RFC 3339, empty when there is none.
std::string TimeText(int64_t ms) { return ms > 0 ? Rfc3339Utc(ms) : std::string(); }

// The version a request body describes (docs/conformance.md, "Reports").
Result<film::NewReportVersion> ParseVersion(const Request& req, bool names_exam) {
  auto parsed = JsonBody(req);
  if (!parsed) return std::unexpected(parsed.error());
  const nlohmann::json& body = *parsed;
  film::NewReportVersion v;
  v.tenant = req.tenant;
  v.content.source = "rest";
  if (names_exam) {
    auto study = StringField(body, "study_uid");
    if (!study) return std::unexpected(study.error());
    auto accession = StringField(body, "accession");
    if (!accession) return std::unexpected(accession.error());
    auto kind = StringField(body, "kind");
    if (!kind) return std::unexpected(kind.error());
    const auto parsed_kind = film::ParseKind(*kind);
    if (!parsed_kind) {
      return Bad("kind must be radiology, ultrasound, endoscopy, pathology or ecg");
    }
    v.study_uid = std::move(*study);
    v.accession = std::move(*accession);
    v.kind = *parsed_kind;
  }
  auto status = StringField(body, "status");
  if (!status) return std::unexpected(status.error());
  const auto parsed_status = film::ParseStatus(*status);
  if (!parsed_status) return Bad("status must be preliminary, final or amended");
  v.content.status = *parsed_status;
  if (const auto it = body.find("sections"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("'sections' must be an array of {title, text}");
    for (const auto& s : *it) {
      if (!s.is_object()) return Bad("'sections' must be an array of {title, text}");
      auto title = StringField(s, "title");
      auto text = StringField(s, "text");
      if (!title || !text) return Bad("a section's title and text are strings");
      v.content.sections.push_back({std::move(*title), std::move(*text)});
    }
  }
  for (auto [name, field] :
       {std::pair{"conclusion", &v.content.conclusion}, std::pair{"signer", &v.content.signer}}) {
    auto value = StringField(body, name);
    if (!value) return std::unexpected(value.error());
    *field = std::move(*value);
  }
  auto signed_at = StringField(body, "signed_at");
  if (!signed_at) return std::unexpected(signed_at.error());
  if (!signed_at->empty()) {
    auto ms = ParseRfc3339(*signed_at);
    if (!ms) return Bad("signed_at: " + ms.error().message);
    v.content.signed_at_ms = *ms;
  }
  if (const auto it = body.find("key_images"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("'key_images' must be an array of SOP Instance UIDs");
    for (const auto& uid : *it) {
      if (!uid.is_string()) return Bad("'key_images' must be an array of SOP Instance UIDs");
      v.content.key_images.push_back(uid.get<std::string>());
    }
  }
  auto pdf = StringField(body, "pdf");
  if (!pdf) return std::unexpected(pdf.error());
  if (!pdf->empty()) {
    auto bytes = DecodeBase64(*pdf, "pdf");
    if (!bytes) return std::unexpected(bytes.error());
    v.content.pdf = std::move(*bytes);
  }
  if (req.principal != nullptr) v.received_by = req.principal->Actor();
  return v;
}

nlohmann::json ToJson(const film::Report& r) {
  nlohmann::json versions = nlohmann::json::array();
  for (const auto& v : r.versions) {
    nlohmann::json sections = nlohmann::json::array();
    for (const auto& s : v.content.sections) {
      sections.push_back({{"title", s.title}, {"text", s.text}});
    }
    versions.push_back({{"version", v.version},
                        {"status", film::StatusName(v.content.status)},
                        {"sections", std::move(sections)},
                        {"conclusion", v.content.conclusion},
                        {"signer", v.content.signer},
                        {"signed_at", TimeText(v.content.signed_at_ms)},
                        {"key_images", v.content.key_images},
                        {"has_pdf", !v.content.pdf.empty()},
                        {"source", v.content.source},
                        {"sha256", v.sha256_hex},
                        {"received_at", TimeText(v.received_at_ms)},
                        {"received_by", v.received_by}});
  }
  const std::string status =
      r.versions.empty() ? "" : std::string(film::StatusName(r.versions.back().content.status));
  return {{"id", r.id},
          {"tenant", r.tenant},
          {"kind", film::KindName(r.kind)},
          {"study_uid", r.study_uid},
          {"accession", r.accession},
          {"status", status},
          {"versions", std::move(versions)}};
}

// FHIR R4 DiagnosticReport (docs/conformance.md, "Reports"): the kind from
// a category coding (HL7 v2-0074 diagnostic service sections, or our own
// code system naming the kind), the exam from identifiers.
std::optional<film::ReportKind> KindOfCategory(const nlohmann::json& resource) {
  static const std::pair<std::string_view, film::ReportKind> kSections[] = {
      {"RAD", film::ReportKind::kRadiology},  {"CT", film::ReportKind::kRadiology},
      {"NMR", film::ReportKind::kRadiology},  {"NMS", film::ReportKind::kRadiology},
      {"RX", film::ReportKind::kRadiology},   {"XRC", film::ReportKind::kRadiology},
      {"RUS", film::ReportKind::kUltrasound}, {"CUS", film::ReportKind::kUltrasound},
      {"OUS", film::ReportKind::kUltrasound}, {"VUS", film::ReportKind::kUltrasound},
      {"SP", film::ReportKind::kPathology},   {"CP", film::ReportKind::kPathology},
      {"PAT", film::ReportKind::kPathology},  {"EC", film::ReportKind::kEcg},
  };
  const auto categories = resource.find("category");
  if (categories == resource.end() || !categories->is_array()) return std::nullopt;
  for (const auto& category : *categories) {
    if (!category.is_object() || !category.contains("coding")) continue;
    for (const auto& coding : category["coding"]) {
      if (!coding.is_object()) continue;
      const std::string system = coding.value("system", "");
      const std::string code = coding.value("code", "");
      if (system == kKindSystem) {
        if (auto kind = film::ParseKind(code)) return kind;
      }
      if (system == "http://terminology.hl7.org/CodeSystem/v2-0074") {
        for (const auto& [section, kind] : kSections) {
          if (section == code) return kind;
        }
      }
    }
  }
  return std::nullopt;
}

Result<film::NewReportVersion> ParseDiagnosticReport(const Request& req) {
  auto parsed = JsonBody(req, "application/fhir+json");
  if (!parsed) return std::unexpected(parsed.error());
  const nlohmann::json& r = *parsed;
  if (r.value("resourceType", "") != "DiagnosticReport") {
    return Bad("resourceType must be DiagnosticReport");
  }
  film::NewReportVersion v;
  v.tenant = req.tenant;
  v.content.source = "fhir";
  const std::string status = r.value("status", "");
  if (status == "preliminary" || status == "partial") {
    v.content.status = film::ReportStatus::kPreliminary;
  } else if (status == "final") {
    v.content.status = film::ReportStatus::kFinal;
  } else if (status == "amended" || status == "corrected" || status == "appended") {
    v.content.status = film::ReportStatus::kAmended;
  } else {
    return Bad("status must be preliminary, partial, final, amended, corrected or appended");
  }
  const auto kind = KindOfCategory(r);
  if (!kind) {
    return Bad("category names no report kind: use HL7 v2-0074 (RAD, RUS, SP, EC, ...) or " +
               std::string(kKindSystem));
  }
  v.kind = *kind;
  // Accession: an identifier typed ACSN (v2-0203); Study Instance UID: an
  // identifier of system urn:dicom:uid ("urn:oid:1.2...").
  if (const auto ids = r.find("identifier"); ids != r.end() && ids->is_array()) {
    for (const auto& id : *ids) {
      if (!id.is_object()) continue;
      const std::string value = id.value("value", "");
      if (id.value("system", "") == "urn:dicom:uid") {
        v.study_uid = value.starts_with("urn:oid:") ? value.substr(8) : value;
      }
      if (id.contains("type") && id["type"].is_object() && id["type"].contains("coding")) {
        for (const auto& coding : id["type"]["coding"]) {
          if (coding.is_object() && coding.value("code", "") == "ACSN") v.accession = value;
        }
      }
    }
  }
  v.content.conclusion = r.value("conclusion", "");
  if (const auto who = r.find("resultsInterpreter"); who != r.end() && who->is_array()) {
    for (const auto& reference : *who) {
      if (reference.is_object() && reference.contains("display")) {
        if (!v.content.signer.empty()) v.content.signer += "; ";
        v.content.signer += reference.value("display", "");
      }
    }
  }
  if (const std::string issued = r.value("issued", ""); !issued.empty()) {
    auto ms = ParseRfc3339(issued);
    if (!ms) return Bad("issued must be an FHIR instant (RFC 3339 with a zone)");
    v.content.signed_at_ms = *ms;
  }
  if (const auto forms = r.find("presentedForm"); forms != r.end() && forms->is_array()) {
    for (const auto& form : *forms) {
      if (!form.is_object()) continue;
      const std::string content_type = form.value("contentType", "");
      const std::string data = form.value("data", "");
      if (data.empty()) continue;
      auto bytes = DecodeBase64(data, "presentedForm.data");
      if (!bytes) return std::unexpected(bytes.error());
      if (content_type == "application/pdf") {
        v.content.pdf = std::move(*bytes);
      } else if (content_type.starts_with("text/plain")) {
        v.content.sections.push_back(
            {form.value("title", "Report"),
             std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size())});
      }
    }
  }
  if (req.principal != nullptr) v.received_by = req.principal->Actor();
  return v;
}

// Files a version; a signed report of an exam whose images are in then
// issues the exam's film.
awaitable<Response> FileVersion(const ApiContext& ctx, Result<film::NewReportVersion> version) {
  if (!version) co_return ErrorResponse(version.error());
  auto report = co_await RunBlocking(ctx.blocking, [&]() -> Result<film::Report> {
    auto filed = ctx.reports->Submit(*version);
    if (filed && ctx.issuer != nullptr) ctx.issuer->OnReportFiled(*filed, version->received_by);
    return filed;
  });
  if (!report) co_return ErrorResponse(report.error());
  Response response = JsonResponse(ToJson(*report), 201);
  response.audit_study_uid = report->study_uid;
  response.SetHeader("Location", "/api/reports/" + report->id);
  co_return response;
}

awaitable<Response> SubmitFhir(const ApiContext& ctx, const Request& req) {
  return FileVersion(ctx, ParseDiagnosticReport(req));
}

awaitable<Response> Submit(const ApiContext& ctx, const Request& req) {
  const std::string report_id(req.Param("report"));
  auto version = ParseVersion(req, report_id.empty());
  if (version) version->report_id = report_id;
  return FileVersion(ctx, std::move(version));
}

awaitable<Response> List(const ApiContext& ctx, const Request& req) {
  film::ReportQuery query{req.scope};
  query.study_uid = req.query.Get("study").value_or("");
  query.accession = req.query.Get("accession").value_or("");
  auto found = co_await RunBlocking(ctx.blocking, [&] { return ctx.reports->Find(query); });
  if (!found) co_return ErrorResponse(found.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : *found) items.push_back(ToJson(r));
  co_return JsonResponse({{"items", std::move(items)}});
}

awaitable<Response> Get(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("report"));
  auto report = co_await RunBlocking(ctx.blocking, [&] { return ctx.reports->Get(req.scope, id); });
  if (!report) co_return ErrorResponse(report.error());
  Response response = JsonResponse(ToJson(*report));
  response.audit_study_uid = report->study_uid;
  co_return response;
}

awaitable<Response> Pdf(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("report"));
  const std::string wanted(req.Param("version"));
  auto report = co_await RunBlocking(ctx.blocking, [&] { return ctx.reports->Get(req.scope, id); });
  if (!report) co_return ErrorResponse(report.error());
  for (auto& v : report->versions) {
    if (std::to_string(v.version) != wanted) continue;
    if (v.content.pdf.empty() && ctx.printer == nullptr) {
      co_return ErrorResponse({ErrorCode::kNotFound, "this version has no PDF"});
    }
    // The department's own PDF, or the text printed (film/report_pdf.hpp).
    auto pdf = co_await RunBlocking(ctx.blocking, [&]() -> Result<Bytes> {
      if (!v.content.pdf.empty()) return std::move(v.content.pdf);
      return ctx.printer->Pdf(req.scope, *report, v);
    });
    if (!pdf) co_return ErrorResponse(pdf.error());
    Response response = BytesResponse(std::move(*pdf), "application/pdf");
    response.audit_study_uid = report->study_uid;
    response.SetHeader("Cache-Control", "private, no-store");
    response.SetHeader("Content-Disposition",
                       "inline; filename=\"report-" + report->id + "-v" + wanted + ".pdf\"");
    co_return response;
  }
  co_return ErrorResponse({ErrorCode::kNotFound, "unknown version of the report"});
}

}  // namespace

void AddReportRoutes(Router& router, const ApiContext& context) {
  if (context.reports == nullptr) return;
  using beast_http::verb;
  router.Add(verb::post, "/api/reports", {Permission::kWriteReports, Action::kStore},
             Bind<Submit>(context));
  router.Add(verb::post, "/api/reports/{report}/versions",
             {Permission::kWriteReports, Action::kStore}, Bind<Submit>(context));
  router.Add(verb::post, "/fhir/DiagnosticReport", {Permission::kWriteReports, Action::kStore},
             Bind<SubmitFhir>(context));
  router.Add(verb::get, "/api/reports", {Permission::kReadImages, Action::kQuery},
             Bind<List>(context));
  router.Add(verb::get, "/api/reports/{report}", {Permission::kReadImages, Action::kView},
             Bind<Get>(context));
  router.Add(verb::get, "/api/reports/{report}/versions/{version}/pdf",
             {Permission::kReadImages, Action::kDownload}, Bind<Pdf>(context));
}

}  // namespace cf::http
