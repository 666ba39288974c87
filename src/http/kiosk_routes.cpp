// SPDX-License-Identifier: Apache-2.0
// Kiosk routes. Two credentials meet here: the kiosk's own (its account's
// session cookie or token, permission share-films, its hospital) and the
// patient's, a share session opened at the kiosk with the slip and the
// second factor (Access::OpenShare: the same attempt limits, lockout and
// audit as on a phone). A patient without the slip types the visit number
// instead: the kiosk finds the live patient shares of that visit's exams
// and opens them with the same factor (Access::OpenShareById), which counts
// the same attempts. The patient's session lives in the HttpOnly cookie
// cf_kiosk_patient, "<share session token>.<share token>" after a scan, or
// "v.<visit number, base64url>.<session token>,<session token>..." after a
// visit number: no script on the kiosk reads it, and the share token is
// what the film sheet's QR code carries (a visit number has none: its
// sheet carries only the verification link). Every read goes through the share's scope (its
// studies), so the kiosk account itself reads no patient data and cannot list patients. Nothing
// here logs a token, a factor or patient data.
#include "http/kiosk_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "access/access.hpp"
#include "audit/event.hpp"
#include "core/time_text.hpp"
#include "crypto/token.hpp"
#include "film/film_sheet.hpp"
#include "film/film_store.hpp"
#include "film/print_log.hpp"
#include "film/report_pdf.hpp"
#include "film/report_store.hpp"
#include "film/visit_store.hpp"
#include "http/blocking.hpp"
#include "http/film_share.hpp"
#include "http/film_sheet_source.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
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
  access::Principal share;  // the first share; share_studies: all of them
  std::string share_token;  // empty after a visit number
  catalog::Scope scope = catalog::Scope::Of("");
};

// What the patient cookie holds (see the file comment).
struct KioskCookie {
  std::vector<std::string> sessions;
  std::string share_token;
  std::string visit_id;
};

std::string CookieOf(const KioskCookie& c) {
  if (c.visit_id.empty()) return c.sessions.front() + "." + c.share_token;
  std::string value = "v." + crypto::Base64UrlEncode(std::as_bytes(std::span(c.visit_id))) + ".";
  for (size_t i = 0; i < c.sessions.size(); ++i) {
    if (i > 0) value += ',';
    value += c.sessions[i];
  }
  return value;
}

std::optional<KioskCookie> ParseCookie(std::string_view value) {
  KioskCookie c;
  if (value.starts_with("v.")) {
    value.remove_prefix(2);
    const auto dot = value.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto visit = crypto::Base64UrlDecode(value.substr(0, dot));
    if (!visit || visit->empty()) return std::nullopt;
    c.visit_id.assign(reinterpret_cast<const char*>(visit->data()), visit->size());
    for (std::string_view rest = value.substr(dot + 1); !rest.empty();) {
      const auto comma = rest.find(',');
      c.sessions.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  } else {
    const auto dot = value.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    c.sessions.emplace_back(value.substr(0, dot));
    c.share_token = std::string(value.substr(dot + 1));
  }
  if (c.sessions.empty() || c.sessions.size() > 16 ||
      std::ranges::any_of(c.sessions, [](const std::string& s) { return s.empty(); })) {
    return std::nullopt;
  }
  return c;
}

// The exams of a visit: the patient's exams at the hospital with one of
// the visit's accession numbers, or all of them when the hospital sent
// none. A visit sent without an issuer names the hospital's own patient
// ID under whatever issuer its images carry (as VisitStore::Last).
Result<std::vector<std::string>> VisitStudies(const ApiContext& ctx, const film::Visit& visit) {
  catalog::StudyQuery query{catalog::Scope::Of(visit.tenant)};
  query.patient_id = visit.patient_id;
  query.limit = 1000;
  auto found = ctx.archive.FindStudies(query);
  if (!found) return std::unexpected(found.error());
  const std::set<std::string> accessions(visit.accessions.begin(), visit.accessions.end());
  std::vector<std::string> uids;
  for (const auto& s : found->items) {
    if (s.tenant != visit.tenant || s.patient_id != visit.patient_id) continue;
    if (!visit.issuer_of_patient_id.empty() &&
        s.issuer_of_patient_id != visit.issuer_of_patient_id) {
      continue;
    }
    if (!accessions.empty() && !accessions.contains(s.accession_number)) continue;
    uids.push_back(s.study_instance_uid);
  }
  return uids;
}

Result<film::Visit> VisitOf(const ApiContext& ctx, std::string_view tenant,
                            std::string_view visit_id) {
  if (ctx.visits == nullptr) {
    return Fail(ErrorCode::kUnsupported, "this server does not know visit numbers");
  }
  auto visit = ctx.visits->Find(tenant, visit_id);
  if (!visit) return std::unexpected(visit.error());
  if (!*visit) {
    return Fail(ErrorCode::kNotFound,
                "this visit number is unknown here: check it, or scan the slip", "visit-unknown");
  }
  return std::move(**visit);
}

Result<Patient> PatientOf(const ApiContext& ctx, const Request& req) {
  const auto cookie = ParseCookie(CookieValue(req.raw, kPatientCookie));
  if (!cookie) {
    return std::unexpected(Error{
        ErrorCode::kNotFound, "no patient at this kiosk: scan the slip again", "kiosk-no-patient"});
  }
  Patient patient;
  std::set<std::string> studies;
  for (const auto& session : cookie->sessions) {
    const std::string bearer = "Bearer " + session;
    access::Credentials credentials;
    credentials.authorization = bearer;
    credentials.source = req.peer;
    auto share = ctx.access->Authenticate(credentials);
    if (!share || share->kind != access::Principal::Kind::kShare) {
      return Fail(ErrorCode::kNotFound,
                  "the patient's session at this kiosk ended: scan the slip again",
                  "kiosk-no-patient");
    }
    if (share->tenant != req.principal->tenant) {
      return Fail(ErrorCode::kPermissionDenied, "this slip is from another hospital",
                  "other-hospital");
    }
    studies.insert(share->share_studies.begin(), share->share_studies.end());
    if (patient.share.token_id.empty()) patient.share = std::move(*share);
  }
  std::vector<std::string> uids(studies.begin(), studies.end());
  if (!cookie->visit_id.empty()) {
    // What the visit names now, within what the factor opened.
    auto visit = VisitOf(ctx, patient.share.tenant, cookie->visit_id);
    if (!visit) return std::unexpected(visit.error());
    auto of_visit = VisitStudies(ctx, *visit);
    if (!of_visit) return std::unexpected(of_visit.error());
    std::erase_if(uids, [&](const std::string& uid) {
      return std::ranges::find(*of_visit, uid) == of_visit->end();
    });
  }
  patient.share.share_studies = uids;
  patient.scope = catalog::Scope::Studies(patient.share.tenant, std::move(uids));
  patient.share_token = cookie->share_token;
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

// The patient's exams a patient-scope share covers now (it covers exams
// stored after it was made too).
void ExtendIfPatientScope(const ApiContext& ctx, access::ShareSession& session) {
  if (session.share.scope != access::ShareScope::kPatient) return;
  auto now = PatientStudiesNow(ctx.archive, session.share);
  if (!now) return;
  if (auto extended = ctx.access->ExtendPatientShare(session.share.id, *now)) {
    session.share.study_uids = std::move(*extended);
  }
}

// The live patient shares (not doctor shares) that may open the visit's
// exams: those covering one of them, and the patient-scope shares of the
// patient (which cover the exams stored since they were made once opened).
// Patient-scope first, then newest first.
Result<std::vector<access::ShareInfo>> VisitShares(const ApiContext& ctx,
                                                   const access::Principal& kiosk,
                                                   const std::vector<std::string>& patient_studies,
                                                   const std::set<std::string>& of_visit) {
  std::vector<access::ShareInfo> found;
  std::set<std::string> seen;
  for (const auto& uid : patient_studies) {
    access::ShareFilter filter;
    filter.tenant = kiosk.tenant;
    filter.study_uid = uid;
    filter.state = "live";
    auto shares = ctx.access->SearchShares(kiosk, filter);
    if (!shares) return std::unexpected(shares.error());
    for (auto& share : *shares) {
      if (!share.parent.empty() || share.factor == access::ShareFactor::kNone) continue;
      const bool useful = share.scope == access::ShareScope::kPatient || of_visit.contains(uid);
      if (useful && seen.insert(share.id).second) found.push_back(std::move(share));
    }
  }
  std::ranges::stable_sort(found, [](const access::ShareInfo& a, const access::ShareInfo& b) {
    const bool pa = a.scope == access::ShareScope::kPatient;
    const bool pb = b.scope == access::ShareScope::kPatient;
    if (pa != pb) return pa;
    return a.created_ms > b.created_ms;
  });
  return found;
}

struct Opened {
  std::vector<access::ShareSession> sessions;
  KioskCookie cookie;
  std::optional<std::set<std::string>> only;  // a visit's exams
};

// A visit number and the factor: the patient's shares of the visit's exams
// opened with that factor. The first share's answer is the patient's
// (wrong factor, locked...); the others are opened only while they add
// exams, and only when they ask the same kind of factor and it is not a
// one-time code (each share has its own), so that a patient's one answer
// is never counted against a share it could not open.
// The visit's exams and the shares that may open them (VisitShares), for
// the kiosk's hospital. kNotFound, saying what to do, for an unknown visit
// number, a visit whose exams are not stored yet, or no share issued.
struct VisitCandidates {
  std::set<std::string> of_visit;
  std::vector<access::ShareInfo> shares;
};

Result<VisitCandidates> CandidatesOf(const ApiContext& ctx, const access::Principal& kiosk,
                                     const std::string& visit_id) {
  auto visit = VisitOf(ctx, kiosk.tenant, visit_id);
  if (!visit) return std::unexpected(visit.error());
  film::Visit whole = *visit;
  whole.accessions.clear();
  auto patient_studies = VisitStudies(ctx, whole);
  if (!patient_studies) return std::unexpected(patient_studies.error());
  auto visit_studies = VisitStudies(ctx, *visit);
  if (!visit_studies) return std::unexpected(visit_studies.error());
  if (visit_studies->empty()) {
    return Fail(ErrorCode::kNotFound,
                "no exam of this visit is stored yet: ask at the service desk", "visit-no-exam");
  }
  VisitCandidates out;
  out.of_visit.insert(visit_studies->begin(), visit_studies->end());
  auto shares = VisitShares(ctx, kiosk, *patient_studies, out.of_visit);
  if (!shares) return std::unexpected(shares.error());
  if (shares->empty()) {
    return Fail(ErrorCode::kNotFound,
                "no cloud film has been issued for this visit yet: ask at the service desk",
                "visit-no-exam");
  }
  out.shares = std::move(*shares);
  return out;
}

Result<Opened> OpenVisit(const ApiContext& ctx, const Request& req, const std::string& visit_id,
                         const std::string& factor) {
  const std::string& tenant = req.principal->tenant;
  auto found = CandidatesOf(ctx, *req.principal, visit_id);
  if (!found) return std::unexpected(found.error());
  const std::set<std::string>& of_visit = found->of_visit;
  const access::ClientInfo client = Client(req);
  Opened opened;
  opened.cookie.visit_id = visit_id;
  opened.only = of_visit;
  std::set<std::string> covered;
  for (const auto& share : found->shares) {
    if (!opened.sessions.empty()) {
      const access::ShareInfo& first = opened.sessions.front().share;
      if (share.factor != first.factor || share.factor == access::ShareFactor::kOneTimeCode) {
        continue;
      }
      const bool adds = std::ranges::any_of(share.study_uids, [&](const std::string& uid) {
        return of_visit.contains(uid) && !covered.contains(uid);
      });
      if (!adds) continue;
    }
    auto session = ctx.access->OpenShareById(share.id, factor, client, tenant);
    if (!session) {
      if (opened.sessions.empty()) return std::unexpected(session.error());
      continue;
    }
    ExtendIfPatientScope(ctx, *session);
    covered.insert(session->share.study_uids.begin(), session->share.study_uids.end());
    opened.cookie.sessions.push_back(session->token);
    opened.sessions.push_back(std::move(*session));
    if (std::ranges::includes(covered, of_visit)) break;
  }
  return opened;
}

// A scanned slip and the factor: the slip's share.
Result<Opened> OpenSlip(const ApiContext& ctx, const Request& req, const std::string& code,
                        const std::string& factor) {
  const std::string token = TokenOfCode(code);
  if (token.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "this is not a cloudfilm slip: scan the QR code on the slip", "not-a-slip");
  }
  auto session = ctx.access->OpenShare(token, factor, Client(req), req.principal->tenant);
  if (!session) return std::unexpected(session.error());
  if (!session->share.parent.empty()) {
    // A doctor share may have no factor at all: at a public kiosk a
    // photographed one would print the patient's reports. Kiosks print the
    // patient's own slip.
    (void)ctx.access->EndShareSession(session->token);
    return Fail(ErrorCode::kPermissionDenied,
                "this is a link the patient gave a doctor; a kiosk prints the patient's own slip",
                "doctor-link");
  }
  ExtendIfPatientScope(ctx, *session);
  Opened opened;
  opened.cookie.sessions.push_back(session->token);
  opened.cookie.share_token = token;
  opened.sessions.push_back(std::move(*session));
  return opened;
}

// POST /api/kiosk/sessions {"code": slip, "factor": answer} or {"visit":
// visit number, "factor": answer}: opens the patient's share(s) for this
// kiosk.
awaitable<Response> OpenPatient(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto visit = StringField(*body, "visit");
  if (!visit) co_return ErrorResponse(visit.error());
  auto code = StringField(*body, "code", visit->empty());
  if (!code) co_return ErrorResponse(code.error());
  auto factor = StringField(*body, "factor");
  if (!factor) co_return ErrorResponse(factor.error());
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<std::pair<json, Opened>> {
    auto opened =
        visit->empty() ? OpenSlip(ctx, req, *code, *factor) : OpenVisit(ctx, req, *visit, *factor);
    if (!opened) return std::unexpected(opened.error());
    Patient patient;
    patient.share.kind = access::Principal::Kind::kShare;
    patient.share.tenant = opened->sessions.front().share.tenant;
    patient.share.token_id = opened->sessions.front().share.id;
    std::set<std::string> studies;
    for (const auto& session : opened->sessions) {
      for (const auto& uid : session.share.study_uids) {
        if (!opened->only || opened->only->contains(uid)) studies.insert(uid);
      }
    }
    patient.share.share_studies.assign(studies.begin(), studies.end());
    patient.scope = catalog::Scope::Studies(patient.share.tenant, patient.share.share_studies);
    auto documents = Documents(ctx, patient);
    if (!documents) return std::unexpected(documents.error());
    return std::pair(std::move(*documents), std::move(*opened));
  });
  std::ranges::fill(*factor, '\0');
  if (!answer) co_return ErrorResponse(answer.error());
  auto& [documents, opened] = *answer;
  int64_t expires_ms = UnixNowMs() + kKioskSessionMaxS * 1000;
  for (const auto& session : opened.sessions) expires_ms = std::min(expires_ms, session.expires_ms);
  const int64_t max_age = std::max<int64_t>(0, (expires_ms - UnixNowMs()) / 1000);
  documents["expires_ms"] = expires_ms;
  Response response = JsonResponse(documents, 201);
  response.headers.emplace_back(
      "Set-Cookie", Cookie(kPatientCookie, CookieOf(opened.cookie), max_age, true, IsHttps(req)));
  co_return NoStore(std::move(response));
}

// POST /api/kiosk/visit-code {"visit": visit number}: sends the one-time
// code of the visit's first share, for a hospital whose shares ask one.
awaitable<Response> SendVisitCode(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto visit_id = StringField(*body, "visit", true);
  if (!visit_id) co_return ErrorResponse(visit_id.error());
  auto sent = co_await RunBlocking(ctx.blocking, [&]() -> Result<void> {
    auto found = CandidatesOf(ctx, *req.principal, *visit_id);
    if (!found) return std::unexpected(found.error());
    return ctx.access->SendShareCodeById(found->shares.front().id, Client(req),
                                         req.principal->tenant);
  });
  if (!sent) co_return ErrorResponse(sent.error());
  Response response;
  response.status = 204;
  co_return NoStore(std::move(response));
}

awaitable<Response> ListDocuments(const ApiContext& ctx, const Request& req) {
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    auto patient = PatientOf(ctx, req);
    if (!patient) return std::unexpected(patient.error());
    return Documents(ctx, *patient);
  });
  if (!answer) co_return ErrorResponse(answer.error());
  co_return NoStore(JsonResponse(*answer));
}

// Ends the patient's session at this kiosk (not the patient's others).
awaitable<Response> EndPatient(const ApiContext& ctx, const Request& req) {
  if (const auto cookie = ParseCookie(CookieValue(req.raw, kPatientCookie))) {
    (void)co_await RunBlocking(ctx.blocking, [&] {
      for (const auto& session : cookie->sessions) (void)ctx.access->EndShareSession(session);
      return Result<void>();
    });
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
  if (!pdf) co_return ErrorResponse(pdf.error());
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
  if (!pdf) co_return ErrorResponse(pdf.error());
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
  if (!answer) co_return ErrorResponse(answer.error());
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
  router.Add(verb::post, "/api/kiosk/visit-code", Permission::kShareFilms,
             Bind<SendVisitCode>(context));
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
