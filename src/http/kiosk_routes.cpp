// SPDX-License-Identifier: Apache-2.0
// Kiosk routes. Two credentials meet here: the kiosk's own (its account's
// session cookie or token, permission share-films, its hospital) and the
// patient's, a share session opened at the kiosk with the slip and the
// second factor (Access::OpenShare: the same attempt limits, lockout and
// audit as on a phone). The patient's session lives in the HttpOnly cookie
// cf_kiosk_patient, "<share session token>.<share token>": no script on the
// kiosk reads it, and the share token is what the film sheet's QR code
// carries. Every read goes through the share's scope (its studies), so the
// kiosk account itself reads no patient data and cannot list patients.
// Nothing here logs a token, a factor or patient data.
#include "http/kiosk_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "access/access.hpp"
#include "audit/event.hpp"
#include "core/time_text.hpp"
#include "film/film_sheet.hpp"
#include "film/film_store.hpp"
#include "film/print_log.hpp"
#include "film/report_pdf.hpp"
#include "film/report_store.hpp"
#include "http/blocking.hpp"
#include "http/film_share.hpp"
#include "http/film_sheet_source.hpp"
#include "http/json_body.hpp"
#include "http/request_info.hpp"
#include "http/response.hpp"
#include "http/session_answers.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using access::Permission;
using audit::Action;
using boost::asio::awaitable;
using nlohmann::json;

constexpr std::string_view kPatientCookie = "cf_kiosk_patient";
// A patient's session at a kiosk ends well before a phone's: the page
// signs out after its idle timeout, and the cookie dies after this anyway.
constexpr int64_t kKioskSessionMaxS = 15 * 60;

// The share token in what a scanner typed: a share URL (".../s/{token}",
// maybe with a query or fragment) or the bare token printed under the QR
// code. Empty when it is neither.
std::string TokenOfCode(std::string_view code) {
  while (!code.empty() && (code.front() == ' ' || code.front() == '\t')) code.remove_prefix(1);
  while (!code.empty() && (code.back() == ' ' || code.back() == '\t' || code.back() == '\r' ||
                           code.back() == '\n')) {
    code.remove_suffix(1);
  }
  if (const auto cut = code.find_first_of("?#"); cut != std::string_view::npos) {
    code = code.substr(0, cut);
  }
  if (const auto at = code.rfind("/s/"); at != std::string_view::npos) code = code.substr(at + 3);
  while (!code.empty() && code.back() == '/') code.remove_suffix(1);
  if (code.size() != 22) return {};
  for (const char c : code) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return {};
  }
  return std::string(code);
}

// The patient at this kiosk: the share session of the cookie, of the
// kiosk's own hospital. No patient (no cookie, or its session ended) is
// kNotFound, not 401: the kiosk itself is signed in, only the patient's
// session is gone, and the page goes back to its start screen.
struct Patient {
  access::Principal share;
  std::string share_token;
  catalog::Scope scope = catalog::Scope::Of("");
};

Result<Patient> PatientOf(const ApiContext& ctx, const Request& req) {
  const std::string_view cookie = CookieValue(req.raw, kPatientCookie);
  const auto dot = cookie.find('.');
  if (cookie.empty() || dot == std::string_view::npos) {
    return Fail(ErrorCode::kNotFound, "no patient at this kiosk: scan the slip again");
  }
  const std::string bearer = "Bearer " + std::string(cookie.substr(0, dot));
  access::Credentials credentials;
  credentials.authorization = bearer;
  credentials.source = req.peer;
  auto share = ctx.access->Authenticate(credentials);
  if (!share || share->kind != access::Principal::Kind::kShare) {
    return Fail(ErrorCode::kNotFound,
                "the patient's session at this kiosk ended: scan the slip again");
  }
  if (share->tenant != req.principal->tenant) {
    return Fail(ErrorCode::kPermissionDenied, "this slip is from another hospital");
  }
  Patient patient;
  patient.scope = catalog::Scope::Studies(share->tenant, share->share_studies);
  patient.share = std::move(*share);
  patient.share_token = std::string(cookie.substr(dot + 1));
  return patient;
}

json PrintedJson(film::PrintLog* prints, const film::PrintTarget& target) {
  if (prints == nullptr) return nullptr;
  auto record = prints->Get(target);
  if (!record || !*record) return nullptr;
  return {{"first_ms", (*record)->first_ms},
          {"last_ms", (*record)->last_ms},
          {"count", (*record)->count}};
}

// Every exam of the share with its latest film and every report (latest
// version), each with its printed status.
Result<json> Documents(const ApiContext& ctx, const Patient& patient) {
  json exams = json::array();
  json person = nullptr;
  const std::string& tenant = patient.share.tenant;
  for (const auto& uid : patient.share.share_studies) {
    auto study = ctx.archive.GetStudy(patient.scope, uid);
    if (!study) {
      if (study.error().code == ErrorCode::kNotFound) continue;
      return std::unexpected(study.error());
    }
    if (person.is_null()) {
      person = {{"name", study->patient_name},
                {"sex", study->patient_sex},
                {"birth_date", study->patient_birth_date}};
    }
    json film = nullptr;
    auto films = ctx.films->ForStudy(patient.scope, uid);
    if (!films) return std::unexpected(films.error());
    if (!films->empty()) {
      const film::Film& latest = films->back();
      film = {{"id", latest.id},
              {"issued_ms", latest.issued_at_ms},
              {"printed",
               PrintedJson(ctx.prints, {tenant, film::PrintKind::kFilmSheet, latest.id, 0})}};
    }
    json reports = json::array();
    if (ctx.reports != nullptr) {
      std::set<std::string> seen;
      std::vector<film::Report> found;
      for (const bool by_accession : {false, true}) {
        if (by_accession && study->accession_number.empty()) continue;
        film::ReportQuery query{patient.scope};
        if (by_accession) {
          query.accession = study->accession_number;
        } else {
          query.study_uid = uid;
        }
        auto some = ctx.reports->Find(query);
        if (!some) return std::unexpected(some.error());
        for (auto& r : *some) {
          if (seen.insert(r.id).second) found.push_back(std::move(r));
        }
      }
      for (const auto& r : found) {
        if (r.versions.empty()) continue;
        const film::ReportVersion& v = r.versions.back();
        reports.push_back({{"id", r.id},
                           {"kind", film::KindName(r.kind)},
                           {"version", v.version},
                           {"status", film::StatusName(v.content.status)},
                           {"signed_at_ms", v.content.signed_at_ms},
                           {"printed", PrintedJson(ctx.prints, {tenant, film::PrintKind::kReport,
                                                                r.id, v.version})}});
      }
    }
    exams.push_back({{"study_uid", uid},
                     {"study_date", study->study_date},
                     {"modalities", study->modalities},
                     {"description", study->study_description},
                     {"accession", study->accession_number},
                     {"film", std::move(film)},
                     {"reports", std::move(reports)}});
  }
  return json{{"patient", std::move(person)},
              {"share", {{"id", patient.share.token_id}}},
              {"exams", std::move(exams)}};
}

Response NoStore(Response response) {
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

Response ClearPatientCookie(Response response, const Request& req) {
  response.headers.emplace_back("Set-Cookie", Cookie(kPatientCookie, "", 0, true, IsHttps(req)));
  return response;
}

// POST /api/kiosk/sessions {"code": slip, "factor": answer}: opens the
// patient's share for this kiosk.
awaitable<Response> OpenPatient(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return Problem(body.error());
  auto code = StringField(*body, "code", true);
  if (!code) co_return Problem(code.error());
  auto factor = StringField(*body, "factor");
  if (!factor) co_return Problem(factor.error());
  const std::string token = TokenOfCode(*code);
  if (token.empty()) {
    co_return Problem({ErrorCode::kInvalidArgument,
                       "this is not a cloudfilm slip: scan the QR code on the slip"});
  }
  const access::ClientInfo client = Client(req);
  const std::string tenant = req.principal->tenant;
  auto session = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.access->OpenShare(token, *factor, client, tenant); });
  std::ranges::fill(*factor, '\0');
  if (!session) co_return Problem(session.error());
  if (!session->share.parent.empty()) {
    // A doctor share may have no factor at all: at a public kiosk a
    // photographed one would print the patient's reports. Kiosks print the
    // patient's own slip.
    (void)co_await RunBlocking(ctx.blocking,
                               [&] { return ctx.access->EndShareSession(session->token); });
    co_return Problem({ErrorCode::kPermissionDenied,
                       "this is a link the patient gave a doctor; a kiosk prints the patient's "
                       "own slip"});
  }
  if (session->share.scope == access::ShareScope::kPatient) {
    auto extended = co_await RunBlocking(ctx.blocking, [&] {
      auto now = PatientStudiesNow(ctx.archive, session->share);
      if (!now) return Result<std::vector<std::string>>(std::unexpected(now.error()));
      return ctx.access->ExtendPatientShare(session->share.id, *now);
    });
    if (extended) session->share.study_uids = std::move(*extended);
  }
  Patient patient;
  patient.share.kind = access::Principal::Kind::kShare;
  patient.share.tenant = session->share.tenant;
  patient.share.token_id = session->share.id;
  patient.share.share_studies = session->share.study_uids;
  patient.scope = catalog::Scope::Studies(session->share.tenant, session->share.study_uids);
  auto documents = co_await RunBlocking(ctx.blocking, [&] { return Documents(ctx, patient); });
  if (!documents) co_return Problem(documents.error());
  const int64_t max_age =
      std::clamp<int64_t>((session->expires_ms - UnixNowMs()) / 1000, 0, kKioskSessionMaxS);
  (*documents)["expires_ms"] = std::min(session->expires_ms, UnixNowMs() + max_age * 1000);
  Response response = JsonResponse(*documents, 201);
  response.headers.emplace_back("Set-Cookie", Cookie(kPatientCookie, session->token + "." + token,
                                                     max_age, true, IsHttps(req)));
  co_return NoStore(std::move(response));
}

awaitable<Response> ListDocuments(const ApiContext& ctx, const Request& req) {
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    auto patient = PatientOf(ctx, req);
    if (!patient) return std::unexpected(patient.error());
    return Documents(ctx, *patient);
  });
  if (!answer) co_return Problem(answer.error());
  co_return NoStore(JsonResponse(*answer));
}

// Ends the patient's session at this kiosk (not the patient's others).
awaitable<Response> EndPatient(const ApiContext& ctx, const Request& req) {
  const std::string cookie(CookieValue(req.raw, kPatientCookie));
  const auto dot = cookie.find('.');
  if (dot != std::string::npos) {
    (void)co_await RunBlocking(ctx.blocking,
                               [&] { return ctx.access->EndShareSession(cookie.substr(0, dot)); });
  }
  Response response;
  response.status = 204;
  co_return ClearPatientCookie(NoStore(std::move(response)), req);
}

Response PdfResponse(Bytes pdf, const std::string& filename) {
  Response response = BytesResponse(std::move(pdf), "application/pdf");
  response.SetHeader("Cache-Control", "private, no-store");
  response.SetHeader("Content-Disposition", "inline; filename=\"" + filename + "\"");
  return response;
}

// The report version of the patient's exams, or kNotFound.
Result<std::pair<film::Report, film::ReportVersion>> ReportVersionOf(const ApiContext& ctx,
                                                                     const Patient& patient,
                                                                     const Request& req) {
  auto report = ctx.reports->Get(patient.scope, req.Param("report"));
  if (!report) return std::unexpected(report.error());
  for (auto& v : report->versions) {
    if (std::to_string(v.version) == req.Param("version")) return std::pair(*report, v);
  }
  return Fail(ErrorCode::kNotFound, "unknown version of the report");
}

awaitable<Response> ReportPdf(const ApiContext& ctx, const Request& req) {
  std::string study;
  auto pdf = co_await RunBlocking(ctx.blocking, [&]() -> Result<Bytes> {
    auto patient = PatientOf(ctx, req);
    if (!patient) return std::unexpected(patient.error());
    auto found = ReportVersionOf(ctx, *patient, req);
    if (!found) return std::unexpected(found.error());
    auto& [report, version] = *found;
    study = report.study_uid;
    if (!version.content.pdf.empty()) return std::move(version.content.pdf);
    if (ctx.printer == nullptr) return Fail(ErrorCode::kNotFound, "this version has no PDF");
    return ctx.printer->Pdf(patient->scope, report, version);
  });
  if (!pdf) co_return Problem(pdf.error());
  Response response =
      PdfResponse(std::move(*pdf), "report-" + std::string(req.Param("report")) + "-v" +
                                       std::string(req.Param("version")) + ".pdf");
  response.audit_study_uid = study;
  co_return response;
}

awaitable<Response> FilmSheet(const ApiContext& ctx, const Request& req) {
  std::string study;
  auto pdf = co_await RunBlocking(ctx.blocking, [&]() -> Result<Bytes> {
    auto patient = PatientOf(ctx, req);
    if (!patient) return std::unexpected(patient.error());
    auto film = ctx.films->Get(patient->scope, req.Param("film"));
    if (!film) return std::unexpected(film.error());
    study = film->study_uid;
    // The QR code is the patient's own link, never one a client made up.
    auto matches = ctx.access->ShareTokenMatches(patient->share.token_id, patient->share_token);
    if (!matches) return std::unexpected(matches.error());
    const std::string base = PublicBase(ctx.public_base_url, req);
    SheetRequest sheet_request;
    sheet_request.hospital = ctx.hospital_name ? ctx.hospital_name(film->tenant) : film->tenant;
    if (*matches) sheet_request.share_url = ShareUrl(base, patient->share_token);
    sheet_request.verify_url = base + "/verify/films/" + film->id;
    auto sheet = BuildFilmSheet(ctx.archive, ctx.reports, patient->scope, *film, sheet_request);
    if (!sheet) return std::unexpected(sheet.error());
    return film::RenderFilmSheetPdf(*sheet);
  });
  if (!pdf) co_return Problem(pdf.error());
  Response response =
      PdfResponse(std::move(*pdf), "film-" + std::string(req.Param("film")) + ".pdf");
  response.audit_study_uid = study;
  co_return response;
}

// Records a print of what the kiosk printed: the route's audit event
// ("print", naming the exam and, for a film, the film) is the trail; the
// print log is the status the kiosk shows.
awaitable<Response> MarkPrinted(const ApiContext& ctx, const Request& req) {
  const bool is_film = !req.Param("film").empty();
  std::string study;
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    auto patient = PatientOf(ctx, req);
    if (!patient) return std::unexpected(patient.error());
    film::PrintTarget target;
    target.tenant = patient->share.tenant;
    if (is_film) {
      auto film = ctx.films->Get(patient->scope, req.Param("film"));
      if (!film) return std::unexpected(film.error());
      study = film->study_uid;
      target.kind = film::PrintKind::kFilmSheet;
      target.id = film->id;
    } else {
      auto found = ReportVersionOf(ctx, *patient, req);
      if (!found) return std::unexpected(found.error());
      study = found->first.study_uid;
      target.kind = film::PrintKind::kReport;
      target.id = found->first.id;
      target.version = found->second.version;
    }
    auto record = ctx.prints->Record(target, req.principal->Actor(), UnixNowMs());
    if (!record) return std::unexpected(record.error());
    return json{
        {"printed",
         {{"first_ms", record->first_ms}, {"last_ms", record->last_ms}, {"count", record->count}}}};
  });
  if (!answer) co_return Problem(answer.error());
  Response response = JsonResponse(*answer);
  response.audit_study_uid = study;
  co_return NoStore(std::move(response));
}

// What the kiosk page needs before a patient comes: its hospital and the
// second factor that hospital's shares ask. No patient data.
awaitable<Response> KioskInfo(const ApiContext& ctx, const Request& req) {
  const std::string& tenant = req.principal->tenant;
  co_return NoStore(
      JsonResponse({{"login", req.principal->login},
                    {"tenant", tenant},
                    {"hospital", ctx.hospital_name ? ctx.hospital_name(tenant) : tenant},
                    {"factor", access::ShareFactorName(ctx.access->ShareFactorOf(tenant))}}));
}

}  // namespace

void AddKioskRoutes(Router& router, const ApiContext& context) {
  if (context.access == nullptr || context.films == nullptr || context.prints == nullptr) return;
  using beast_http::verb;
  // share-films: kiosks, and the service desk's staff (admins, doctors).
  // Access::OpenShare audits the opening (login, login-failed).
  router.Add(verb::get, "/api/kiosk", Permission::kShareFilms, Bind<KioskInfo>(context));
  router.Add(verb::post, "/api/kiosk/sessions", Permission::kShareFilms,
             Bind<OpenPatient>(context));
  router.Add(verb::get, "/api/kiosk/session", {Permission::kShareFilms, Action::kQuery},
             Bind<ListDocuments>(context));
  router.Add(verb::delete_, "/api/kiosk/session", Permission::kShareFilms,
             Bind<EndPatient>(context));
  router.Add(verb::get, "/api/kiosk/reports/{report}/versions/{version}/pdf",
             {Permission::kShareFilms, Action::kDownload}, Bind<ReportPdf>(context));
  router.Add(verb::get, "/api/kiosk/films/{film}/sheet",
             {Permission::kShareFilms, Action::kDownload}, Bind<FilmSheet>(context));
  router.Add(verb::post, "/api/kiosk/reports/{report}/versions/{version}/printed",
             {Permission::kShareFilms, Action::kPrint}, Bind<MarkPrinted>(context));
  router.Add(verb::post, "/api/kiosk/films/{film}/printed",
             {Permission::kShareFilms, Action::kPrint}, Bind<MarkPrinted>(context));
}

}  // namespace cf::http
