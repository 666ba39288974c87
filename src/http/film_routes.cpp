// SPDX-License-Identifier: Apache-2.0
#include "http/film_routes.hpp"

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "access/access.hpp"
#include "audit/event.hpp"
#include "core/time_text.hpp"
#include "crypto/base64.hpp"
#include "film/film_issuer.hpp"
#include "film/film_package.hpp"
#include "http/blocking.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/response.hpp"
#include "ledger/tree_head.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using access::Permission;
using audit::Action;
using boost::asio::awaitable;
using nlohmann::json;

json Hashes(const std::vector<ledger::Hash>& hashes) {
  json out = json::array();
  for (const auto& h : hashes) out.push_back(crypto::ToHex(h));
  return out;
}

// The RFC 3161 token (DER, base64) and what it says, for `openssl ts
// -verify` (ledger/timestamp.hpp); null until a TSA has stamped a head
// that covers the film.
json TimestampJson(const std::optional<ledger::TreeHeadTimestamp>& stamp) {
  if (!stamp) return nullptr;
  return {{"tree_size", stamp->tree_size},
          {"gen_time", Rfc3339Utc(stamp->gen_time_ms)},
          {"tsa", stamp->tsa},
          {"token", crypto::Base64Encode(stamp->token)}};
}

json Proof(const film::FilmVerification& v) {
  return {{"signature_valid", v.signature_valid},
          {"in_log", v.in_log},
          {"ledger_index", v.ledger_index},
          {"inclusion_proof", Hashes(v.inclusion_proof)},
          {"tree_head", json::parse(ledger::ToJson(v.tree_head), nullptr, false)},
          {"tree_head_timestamp", TimestampJson(v.tree_head_timestamp)},
          {"public_key_pem", v.public_key_pem},
          {"superseded_by", v.superseded_by}};
}

json ToJson(const film::Film& f) {
  return {{"id", f.id},
          {"tenant", f.tenant},
          {"study_uid", f.study_uid},
          {"issued_at_ms", f.issued_at_ms},
          {"issued_by", f.issued_by},
          {"supersedes", f.supersedes},
          {"manifest_sha256", f.manifest_sha256},
          {"signature_suite", f.suite},
          {"signing_key_id", f.key_id},
          {"signature", crypto::Base64Encode(f.signature)},
          {"ledger_index", f.ledger_index}};
}

awaitable<Response> Issue(const ApiContext& ctx, const Request& req) {
  auto body = JsonBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto study = StringField(*body, "study_uid", true);
  if (!study) co_return ErrorResponse(study.error());
  const std::string by = req.principal != nullptr ? req.principal->Actor() : "test";
  auto film =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.issuer->Issue(req.tenant, *study, by); });
  if (!film) co_return ErrorResponse(film.error());
  Response response = JsonResponse(ToJson(*film), 201);
  response.audit_study_uid = film->study_uid;
  response.SetHeader("Location", "/api/films/" + film->id);
  co_return response;
}

awaitable<Response> List(const ApiContext& ctx, const Request& req) {
  const std::string study(req.query.Get("study").value_or(""));
  if (study.empty()) {
    co_return ErrorResponse({ErrorCode::kInvalidArgument, "query parameter 'study' is required"});
  }
  auto films =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.films->ForStudy(req.scope, study); });
  if (!films) co_return ErrorResponse(films.error());
  json items = json::array();
  for (const auto& f : *films) items.push_back(ToJson(f));
  co_return JsonResponse({{"items", std::move(items)}});
}

awaitable<Response> Get(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("film"));
  std::string study;
  auto answer = co_await RunBlocking(ctx.blocking, [&]() -> Result<json> {
    auto film = ctx.films->Get(req.scope, id);
    if (!film) return std::unexpected(film.error());
    auto verification = ctx.issuer->Verify(*film);
    if (!verification) return std::unexpected(verification.error());
    json out = ToJson(*film);
    out["manifest"] = film->manifest;  // the exact signed bytes, as a string
    out["verification"] = Proof(*verification);
    study = film->study_uid;
    return out;
  });
  if (!answer) co_return ErrorResponse(answer.error());
  // Someone other than the patient opened the film: the patient hears of
  // it (doctor shares are notified when they are opened).
  if (ctx.access != nullptr && req.principal != nullptr &&
      req.principal->kind != access::Principal::Kind::kShare) {
    const std::string tenant = (*answer)["tenant"].get<std::string>();
    (void)co_await RunBlocking(ctx.blocking, [&] {
      ctx.access->NoticeFilmOpened(tenant, id, *req.principal);
      return true;
    });
  }
  Response response = JsonResponse(*answer);
  response.audit_study_uid = study;
  response.SetHeader("Cache-Control", "private, no-store");
  co_return response;
}

// The package as it is produced: each piece is zipped when the server asks
// for it (on the blocking pool, once the previous one was sent), so the
// answer starts at once and goes at the client's pace, and nothing of the
// exam touches the disk. An error after the first piece cuts the
// connection (server.cpp): the client never gets a complete-looking ZIP.
class PackageBody final : public BodySource {
 public:
  explicit PackageBody(std::unique_ptr<film::PackageStream> stream) : stream_(std::move(stream)) {}
  Result<Bytes> Next() override { return stream_->Next(); }

 private:
  std::unique_ptr<film::PackageStream> stream_;
};

awaitable<Response> Package(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("film"));
  std::string name;
  std::string study;
  auto stream =
      co_await RunBlocking(ctx.blocking, [&]() -> Result<std::unique_ptr<film::PackageStream>> {
        auto film = ctx.films->Get(req.scope, id);
        if (!film) return std::unexpected(film.error());
        name = film::PackageFileName(*film);
        study = film->study_uid;
        return ctx.packager->Open(*film);
      });
  if (!stream) co_return ErrorResponse(stream.error());
  Response response;
  response.content_type = "application/zip";
  response.stream = std::make_shared<PackageBody>(std::move(*stream));
  response.SetHeader("Content-Disposition", "attachment; filename=\"" + name + "\"");
  response.SetHeader("Cache-Control", "private, no-store");
  response.audit_study_uid = study;  // the exam's audit trail shows the download
  co_return response;
}

// Public: anyone holding a film id (printed on the patient's slip) may
// ask whether it is what the hospital issued. Nothing about the patient.
awaitable<Response> PublicVerify(const ApiContext& ctx, const Request& req) {
  const std::string id(req.Param("film"));
  auto v = co_await RunBlocking(ctx.blocking, [&]() -> Result<film::FilmVerification> {
    auto film = ctx.films->GetAnyTenant(id);
    if (!film) return std::unexpected(film.error());
    return ctx.issuer->Verify(*film);
  });
  if (!v) co_return ErrorResponse(v.error());
  json out = Proof(*v);
  out["film_id"] = v->film_id;
  out["hospital"] = v->tenant;
  out["issued_at_ms"] = v->issued_at_ms;
  out["manifest_sha256"] = v->manifest_sha256;
  out["signature_suite"] = v->suite;
  out["signing_key_id"] = v->key_id;
  std::string verdict = "NOT VERIFIED";
  if (v->signature_valid && v->in_log) {
    verdict = "issued by " + v->tenant + ", unaltered, recorded in the transparency log";
    if (v->tree_head_timestamp) {
      verdict += "; time-stamped by an RFC 3161 authority at " +
                 Rfc3339Utc(v->tree_head_timestamp->gen_time_ms);
    }
  }
  out["verdict"] = verdict;
  co_return JsonResponse(out);
}

}  // namespace

void AddFilmRoutes(Router& router, const ApiContext& context) {
  if (context.films == nullptr || context.issuer == nullptr) return;
  using beast_http::verb;
  router.Add(verb::post, "/api/films", {Permission::kWriteReports, Action::kStore},
             Bind<Issue>(context));
  router.Add(verb::get, "/api/films", {Permission::kReadImages, Action::kQuery},
             Bind<List>(context));
  router.Add(verb::get, "/api/films/{film}", {Permission::kReadImages, Action::kView},
             Bind<Get>(context));
  if (context.packager != nullptr) {
    router.Add(verb::get, "/api/films/{film}/package", {Permission::kReadImages, Action::kDownload},
               Bind<Package>(context));
  }
  router.Add(verb::get, "/verify/films/{film}", Permission::kPublic, Bind<PublicVerify>(context));
}

}  // namespace cf::http
