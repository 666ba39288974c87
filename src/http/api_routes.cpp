// SPDX-License-Identifier: Apache-2.0
// Handlers of the JSON API. Each validates its parameters first (a 400 that
// names the parameter), then makes one RunBlocking hop that does all of its
// Archive calls, then builds the JSON on the I/O thread. Nothing here logs:
// the values are patient data, and the router logs failures by route.
#include "http/api_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/version.hpp"
#include "http/blocking.hpp"
#include "http/json_records.hpp"
#include "http/problem.hpp"
#include "http/response.hpp"
#include "http/site_summary.hpp"

namespace cf::http {
namespace beast_http = boost::beast::http;
using boost::asio::awaitable;

namespace {

std::string Text(std::optional<std::string_view> value) {
  return value ? std::string(*value) : std::string{};
}

Result<std::string> GetDate(const QueryParams& query, std::string_view name) {
  const auto value = query.Get(name);
  if (!value) return std::string{};
  if (!IsValidDicomDate(*value)) {
    return Fail(ErrorCode::kInvalidArgument,
                "query parameter '" + std::string(name) + "' must be a date YYYYMMDD");
  }
  return std::string(*value);
}

awaitable<Response> Healthz(const ApiContext&, const Request&) {
  co_return JsonResponse({{"status", "ok"}});
}

// A hospital admin's counts and bytes are its hospital's; the platform
// admin's, the node's (or one hospital's with ?tenant=). The compression
// figures since start are the node's: they name no hospital.
awaitable<Response> System(const ApiContext& ctx, const Request& req) {
  // A restricted scope (a share) has no route here; its tenant is still
  // the right bound.
  const catalog::Scope scope =
      req.scope.all() ? catalog::Scope::All() : catalog::Scope::Of(req.scope.tenant());
  auto totals = co_await RunBlocking(ctx.blocking, [&] { return ctx.archive.Totals(scope); });
  if (!totals) co_return ErrorResponse(totals.error());
  auto usage =
      co_await RunBlocking(ctx.blocking, [&] { return ctx.archive.UsageByModality(scope); });
  if (!usage) co_return ErrorResponse(usage.error());
  nlohmann::json body = {
      {"name", "cloudfilm"},
      {"version", kVersion},
      {"tenant", scope.all() ? nlohmann::json(nullptr) : nlohmann::json(scope.tenant())}};
  body.update(ToJson(*totals));
  const archive::StorageStats storage = ctx.archive.Storage();
  nlohmann::json by_modality = nlohmann::json::array();
  for (const auto& u : *usage) by_modality.push_back(ToJson(u));
  body["storage"] = {{"compression", ctx.archive.Options().compression},
                     {"ratio", Ratio(totals->bytes_received, totals->bytes_stored)},
                     {"by_modality", by_modality},
                     {"backlog", storage.backlog},
                     {"since_start",
                      {{"compressed", storage.compressed},
                       {"as_received", storage.as_received},
                       {"verify_failures", storage.verify_failures},
                       {"read_back_from_journal", storage.read_back},
                       {"as_received_by_reason", storage.as_received_by_reason}}}};
  co_return JsonResponse(body);
}

// A hospital admin sees its own hospital only; the DICOM listeners and
// destinations are the node's, shared by all.
awaitable<Response> Site(const ApiContext& ctx, const Request& req) {
  const SiteSummary& site = *ctx.site;
  const bool platform =
      req.principal != nullptr && req.principal->role == access::Role::kPlatformAdmin;
  nlohmann::json tenants = nlohmann::json::array();
  for (const auto& t : site.tenants) {
    if (!platform && t.code != req.tenant) continue;
    tenants.push_back({{"code", t.code},
                       {"name", t.name},
                       {"region", t.region},
                       {"ae_titles", t.ae_titles},
                       {"service_tier_years", t.service_tier_years},
                       {"crypto_suite", t.crypto_suite},
                       {"share_factor", t.share_factor}});
  }
  nlohmann::json destinations = nlohmann::json::array();
  for (const auto& d : site.destinations) {
    destinations.push_back({{"ae_title", d.ae_title}, {"host", d.host}, {"port", d.port}});
  }
  nlohmann::json dicom = {{"ae_title", site.ae_title},
                          {"port", site.dicom_port},
                          {"tls_port", site.dicom_tls_port ? nlohmann::json(*site.dicom_tls_port)
                                                           : nlohmann::json(nullptr)},
                          {"unknown_callers", site.unknown_callers},
                          {"destinations", destinations}};
  co_return JsonResponse({{"tenants", tenants}, {"dicom", dicom}});
}

awaitable<Response> Patients(const ApiContext& ctx, const Request& req) {
  const auto paging = GetPaging(req.query);
  if (!paging) co_return ErrorResponse(paging.error());
  catalog::PatientQuery query{req.scope};
  query.patient_id = Text(req.query.Get("patient_id"));
  query.patient_name = Text(req.query.Get("name"));
  query.limit = paging->limit;
  query.offset = paging->offset;
  auto page = co_await RunBlocking(ctx.blocking, [&] { return ctx.archive.FindPatients(query); });
  if (!page) co_return ErrorResponse(page.error());
  co_return JsonResponse(PageToJson(*page, query.limit, query.offset));
}

Result<catalog::StudyQuery> ParseStudyQuery(const QueryParams& params,
                                            const catalog::Scope& scope) {
  const auto paging = GetPaging(params);
  if (!paging) return std::unexpected(paging.error());
  catalog::StudyQuery query{scope};
  query.patient_id = Text(params.Get("patient_id"));
  query.patient_name = Text(params.Get("name"));
  query.modality = Text(params.Get("modality"));
  query.accession_number = Text(params.Get("accession"));
  query.limit = paging->limit;
  query.offset = paging->offset;

  auto from = GetDate(params, "date_from");
  if (!from) return std::unexpected(from.error());
  auto to = GetDate(params, "date_to");
  if (!to) return std::unexpected(to.error());
  if (const auto date = params.Get("date")) {
    if (!from->empty() || !to->empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "query parameter 'date' cannot be combined with 'date_from' or 'date_to'");
    }
    auto range = ParseDateRange("date", *date);
    if (!range) return std::unexpected(range.error());
    *from = std::move(range->from);
    *to = std::move(range->to);
  }
  if (!from->empty() && !to->empty() && *from > *to) {
    return Fail(ErrorCode::kInvalidArgument, "query parameter 'date_from' is after 'date_to'");
  }
  query.study_date_from = std::move(*from);
  query.study_date_to = std::move(*to);
  return query;
}

awaitable<Response> Studies(const ApiContext& ctx, const Request& req) {
  const auto query = ParseStudyQuery(req.query, req.scope);
  if (!query) co_return ErrorResponse(query.error());
  auto page = co_await RunBlocking(ctx.blocking, [&] { return ctx.archive.FindStudies(*query); });
  if (!page) co_return ErrorResponse(page.error());
  co_return JsonResponse(PageToJson(*page, query->limit, query->offset));
}

struct StudyTree {
  catalog::StudyRecord study;
  std::vector<std::pair<catalog::SeriesRecord, std::vector<catalog::InstanceRecord>>> series;
};

Result<StudyTree> LoadStudyTree(archive::Archive& archive, const catalog::Scope& requested,
                                std::string_view study_uid) {
  StudyTree tree;
  auto study = archive.GetStudy(requested, study_uid);
  if (!study) return std::unexpected(study.error());
  tree.study = std::move(*study);
  // Within the study's own hospital from here on (one platform-wide
  // request may not mix two hospitals' series under one UID).
  const catalog::Scope scope = catalog::Scope::Of(tree.study.tenant);
  auto series = archive.ListSeries(scope, study_uid);
  if (!series) return std::unexpected(series.error());
  for (auto& one : *series) {
    auto instances = archive.ListInstances(scope, one.series_instance_uid);
    if (!instances) return std::unexpected(instances.error());
    tree.series.emplace_back(std::move(one), std::move(*instances));
  }
  return tree;
}

awaitable<Response> Study(const ApiContext& ctx, const Request& req) {
  const std::string uid(req.Param("study"));
  auto tree = co_await RunBlocking(ctx.blocking,
                                   [&] { return LoadStudyTree(ctx.archive, req.scope, uid); });
  if (!tree) co_return ErrorResponse(tree.error());
  nlohmann::json body = ToJson(tree->study);
  nlohmann::json series = nlohmann::json::array();
  for (const auto& [record, instances] : tree->series) {
    nlohmann::json entry = ToJson(record);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& instance : instances) list.push_back(ToJson(instance));
    entry["instances"] = std::move(list);
    series.push_back(std::move(entry));
  }
  body["series"] = std::move(series);
  co_return JsonResponse(body);
}

awaitable<Response> Instance(const ApiContext& ctx, const Request& req) {
  const std::string uid(req.Param("instance"));
  auto versions = co_await RunBlocking(
      ctx.blocking, [&] { return ctx.archive.GetInstanceVersions(req.scope, uid); });
  if (!versions) co_return ErrorResponse(versions.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& version : *versions) list.push_back(ToJson(version));
  co_return JsonResponse({{"sop_instance_uid", uid}, {"versions", std::move(list)}});
}

struct FileAnswer {
  catalog::InstanceRecord record;
  Bytes bytes;
  bool not_modified = false;
};

std::string QuotedEtag(std::string_view sha256_hex) {
  return "\"" + std::string(sha256_hex) + "\"";
}

// The received bytes are named by their SHA-256; a conversion by that and
// the transfer syntax (the same input and target give the same output).
std::string FileEtag(const catalog::InstanceRecord& record, const std::string& transfer_syntax) {
  if (transfer_syntax.empty() || transfer_syntax == record.transfer_syntax_uid) {
    return QuotedEtag(record.sha256_hex);
  }
  return QuotedEtag(record.sha256_hex + ";" + transfer_syntax);
}

Result<FileAnswer> LoadFile(archive::Archive& archive, const catalog::Scope& scope,
                            std::string_view uid, std::optional<int> version,
                            std::string_view if_none_match, const std::string& transfer_syntax,
                            bool allow_lossy) {
  auto record = archive.GetInstanceVersion(scope, uid, version);
  if (!record) return std::unexpected(record.error());
  FileAnswer answer;
  answer.record = std::move(*record);
  if (!if_none_match.empty() &&
      EtagMatches(if_none_match, FileEtag(answer.record, transfer_syntax))) {
    answer.not_modified = true;
    return answer;
  }
  auto bytes = transfer_syntax.empty()
                   ? archive.ReadBlob(answer.record)
                   : archive.ReadBlobAs(answer.record, transfer_syntax, allow_lossy);
  if (!bytes) return std::unexpected(bytes.error());
  answer.bytes = std::move(*bytes);
  return answer;
}

awaitable<Response> InstanceFile(const ApiContext& ctx, const Request& req) {
  const std::string uid(req.Param("instance"));
  std::optional<int> version;
  if (req.query.Get("version")) {
    const auto parsed = GetInt(req.query, "version", 1, 1, INT32_MAX);
    if (!parsed) co_return ErrorResponse(parsed.error());
    version = static_cast<int>(*parsed);
  }
  // ?transfer-syntax=UID converts (lossless targets; lossy ones only with
  // &lossy=true); without it, the exact received bytes.
  const std::string transfer_syntax = Text(req.query.Get("transfer-syntax"));
  const bool allow_lossy = Text(req.query.Get("lossy")) == "true";
  const auto header = req.raw[beast_http::field::if_none_match];
  const std::string if_none_match(header.data(), header.size());
  auto answer = co_await RunBlocking(ctx.blocking, [&] {
    return LoadFile(ctx.archive, req.scope, uid, version, if_none_match, transfer_syntax,
                    allow_lossy);
  });
  if (!answer && answer.error().code == ErrorCode::kUnsupported && !transfer_syntax.empty()) {
    co_return ProblemResponse(406, ProblemType(ErrorCode::kUnsupported), "Not acceptable",
                              answer.error().message);
  }
  if (!answer) co_return ErrorResponse(answer.error());

  Response response;
  if (answer->not_modified) {
    response.status = 304;
  } else {
    response = BytesResponse(std::move(answer->bytes), "application/dicom");
    response.SetHeader("Content-Disposition",
                       "attachment; filename=\"" + answer->record.sop_instance_uid + ".dcm\"");
  }
  response.SetHeader("ETag", FileEtag(answer->record, transfer_syntax));
  response.audit_study_uid = answer->record.study_instance_uid;
  // Patient data: never in a shared cache; the browser revalidates by ETag.
  response.SetHeader("Cache-Control", "private, no-cache");
  co_return response;
}

}  // namespace

void AddApiRoutes(Router& router, const ApiContext& context) {
  using access::Permission;
  using audit::Action;
  using beast_http::verb;
  router.Add(verb::get, "/healthz", Permission::kPublic, Bind<Healthz>(context));
  router.Add(verb::get, "/api/system", Permission::kReadSystem, Bind<System>(context));
  if (context.site != nullptr) {
    router.Add(verb::get, "/api/site", Permission::kReadSystem, Bind<Site>(context));
  }
  router.Add(verb::get, "/api/patients", {Permission::kReadImages, Action::kQuery},
             Bind<Patients>(context));
  router.Add(verb::get, "/api/studies", {Permission::kReadImages, Action::kQuery},
             Bind<Studies>(context));
  router.Add(verb::get, "/api/studies/{study}", {Permission::kReadImages, Action::kView},
             Bind<Study>(context));
  router.Add(verb::get, "/api/instances/{instance}", {Permission::kReadImages, Action::kView},
             Bind<Instance>(context));
  router.Add(verb::get, "/api/instances/{instance}/file",
             {Permission::kReadImages, Action::kDownload}, Bind<InstanceFile>(context));
}

}  // namespace cf::http
