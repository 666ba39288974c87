// SPDX-License-Identifier: Apache-2.0
// QIDO-RS (PS3.18 10.6): the search resources at study, series and
// instance level, mapped onto catalog::Query. Parameters:
//
// - matching keys by keyword or tag ("PatientName" or "00100010") with
//   the values and matching rules of catalog/query.hpp;
// - a known DICOM attribute we do not index: with a value it cannot be
//   matched and is reported in a Warning header (PS3.18 8.3.4.1), without
//   a value it is returned like an includefield;
// - includefield (repeated or comma-separated, or "all"), fuzzymatching,
//   limit (default 1000, at most 10000) and offset; when more matches
//   exist than were returned, a Warning header says so.
//
// Attributes outside the index (an includefield such as ImageType) are
// read from the stored objects: each instance's own at instance level, the
// first instance of the series or study at the levels above. "all" at
// instance level returns every attribute of the object except bulk data
// (named by BulkDataURI); at study and series level, every indexed one.
#include "http/qido_routes.hpp"

#include <boost/beast/http/verb.hpp>

#include <set>
#include <string>
#include <vector>

#include "catalog/query.hpp"
#include "dicom/dataset_json.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/instance.hpp"
#include "http/blocking.hpp"
#include "http/dicom_json.hpp"
#include "http/problem.hpp"
#include "http/request_info.hpp"
#include "http/response.hpp"

namespace cf::http {
namespace {
using boost::asio::awaitable;
using catalog::QueryLevel;

constexpr int64_t kQidoDefaultLimit = 1000;
constexpr int64_t kQidoMaxLimit = 10000;

struct Scope {
  QueryLevel level;
  std::string study;   // fixed by the path, or empty
  std::string series;  // fixed by the path, or empty
};

struct QidoRequest {
  catalog::Query query;
  std::set<uint32_t> include = {};  // tags outside the index to return
  bool include_all = false;
  std::vector<std::string> unmatched = {};  // keys we could not match on
};

std::unexpected<Error> Bad(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

std::string TagHex(uint32_t tag) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, tag >>= 4) out[static_cast<size_t>(i)] = kHex[tag & 0xF];
  return out;
}

Result<void> AddIncludes(QidoRequest& r, std::string_view list) {
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(',', start), list.size());
    const std::string_view name = list.substr(start, end - start);
    start = end + 1;
    if (name.empty()) continue;
    if (name == "all") {
      r.include_all = true;
      continue;
    }
    const auto tag = dicom::TagForKeywordOrHex(name);
    if (!tag) {
      return Bad("includefield names an unknown attribute '" + std::string(name) + "'");
    }
    if (!catalog::QueryAttrForTag(*tag)) r.include.insert(*tag);
  }
  return {};
}

Result<QidoRequest> ParseQido(const Request& req, const Scope& scope) {
  QidoRequest r{catalog::Query{req.scope}};
  r.query.level = scope.level;
  for (const auto& [name, value] : req.query.Items()) {
    if (name == "limit") {
      auto limit = GetInt(req.query, "limit", kQidoDefaultLimit, 1, kQidoMaxLimit);
      if (!limit) return std::unexpected(limit.error());
      continue;
    }
    if (name == "offset") {
      auto offset = GetInt(req.query, "offset", 0, 0, std::numeric_limits<int32_t>::max());
      if (!offset) return std::unexpected(offset.error());
      continue;
    }
    if (name == "fuzzymatching") {
      if (value != "true" && value != "false") return Bad("fuzzymatching must be true or false");
      r.query.fuzzy_names = value == "true";
      continue;
    }
    if (name == "includefield") {
      if (auto ok = AddIncludes(r, value); !ok) return std::unexpected(ok.error());
      continue;
    }
    // Generic parameters of PS3.18 8.3.3 that do not change a search.
    if (name == "accept" || name == "charset") continue;
    // A sequence path ("00400275.00401001"): not indexed.
    if (name.find('.') != std::string::npos) {
      for (size_t start = 0; start <= name.size();) {
        const size_t end = std::min(name.find('.', start), name.size());
        if (!dicom::TagForKeywordOrHex(std::string_view(name).substr(start, end - start))) {
          return Bad("unknown query parameter '" + name + "'");
        }
        start = end + 1;
      }
      if (!value.empty()) r.unmatched.push_back(name);
      continue;
    }
    const auto tag = dicom::TagForKeywordOrHex(name);
    if (!tag) return Bad("unknown query parameter '" + name + "'");
    if (const auto attr = catalog::QueryAttrForTag(*tag)) {
      if (static_cast<int>(catalog::LevelOf(*attr)) > static_cast<int>(scope.level)) {
        return Bad(name + " cannot be matched when searching for " +
                   (scope.level == QueryLevel::kStudy ? "studies" : "series"));
      }
      r.query.conditions.push_back({*attr, value});
      continue;
    }
    r.include.insert(*tag);
    if (!value.empty()) r.unmatched.push_back(name);
  }
  auto limit = GetInt(req.query, "limit", kQidoDefaultLimit, 1, kQidoMaxLimit);
  auto offset = GetInt(req.query, "offset", 0, 0, std::numeric_limits<int32_t>::max());
  r.query.limit = *limit + 1;  // one more tells whether there are more
  r.query.offset = *offset;
  if (!scope.study.empty()) {
    if (!dicom::IsValidUid(scope.study)) return Bad("the study UID in the path is not a valid UID");
    r.query.conditions.push_back({catalog::QueryAttr::kStudyInstanceUid, scope.study});
  }
  if (!scope.series.empty()) {
    if (!dicom::IsValidUid(scope.series)) {
      return Bad("the series UID in the path is not a valid UID");
    }
    r.query.conditions.push_back({catalog::QueryAttr::kSeriesInstanceUid, scope.series});
  }
  if (auto valid = catalog::ValidateQuery(r.query); !valid) return std::unexpected(valid.error());
  return r;
}

// The attributes of `record`'s header (`bytes`, from ReadMetadataBytes)
// that `r` asks for beyond the index, added to `out` where it does not have
// them yet.
Result<void> AddStoredAttributes(nlohmann::json& out, const QidoRequest& r, bool all,
                                 const Result<Bytes>& bytes, const catalog::InstanceRecord& record,
                                 const std::string& root) {
  if (!bytes) return std::unexpected(bytes.error());
  dicom::JsonOptions options;
  options.bulk_data_uri_prefix = root + "/studies/" + record.study_instance_uid + "/series/" +
                                 record.series_instance_uid + "/instances/" +
                                 record.sop_instance_uid + "/bulkdata/";
  if (!all) options.only_tags.assign(r.include.begin(), r.include.end());  // a set: sorted
  auto text = dicom::DatasetToJson(*bytes, options);
  if (!text) return std::unexpected(text.error());
  auto object = nlohmann::json::parse(*text, nullptr, false);
  if (!object.is_object()) return Fail(ErrorCode::kInternal, "stored object gave invalid JSON");
  if (all) {
    for (auto& [key, value] : object.items()) {
      if (!out.contains(key)) out[key] = std::move(value);
    }
    return {};
  }
  for (uint32_t tag : r.include) {
    const std::string key = TagHex(tag);
    if (out.contains(key)) continue;
    if (auto it = object.find(key); it != object.end()) {
      out[key] = std::move(*it);
    } else {
      out[key] = {{"vr", dicom::DictionaryVr(tag)}};  // asked for, not in the object
    }
  }
  return {};
}

// The instance whose stored header answers for each match: the match
// itself at instance level; above it, the first instance of its study or
// series, found for the whole page at once.
Result<std::vector<std::optional<catalog::InstanceRecord>>> Representatives(
    archive::Archive& archive, const std::vector<catalog::QueryMatch>& matches, QueryLevel level) {
  if (level == QueryLevel::kInstance) {
    std::vector<std::optional<catalog::InstanceRecord>> out;
    out.reserve(matches.size());
    for (const auto& m : matches) out.emplace_back(m.instance);
    return out;
  }
  std::vector<catalog::TenantUid> parents;
  parents.reserve(matches.size());
  for (const auto& m : matches) {
    parents.push_back({m.patient.tenant, level == QueryLevel::kSeries
                                             ? m.series.series_instance_uid
                                             : m.study.study_instance_uid});
  }
  return archive.FirstInstances(level, parents);
}

struct QidoAnswer {
  nlohmann::json body = nlohmann::json::array();
  bool more = false;
};

Result<QidoAnswer> RunQido(archive::Archive& archive, const QidoRequest& r, const Scope& scope,
                           const std::string& root) {
  auto page = archive.Search(r.query);
  if (!page) return std::unexpected(page.error());
  QidoAnswer answer;
  const auto wanted = static_cast<size_t>(r.query.limit - 1);
  answer.more = page->items.size() > wanted;
  if (answer.more) page->items.resize(wanted);
  const bool stored_all = r.include_all && scope.level == QueryLevel::kInstance;
  const bool need_stored = stored_all || !r.include.empty();
  // The headers of the page's representatives come in one catalog query
  // rather than one per match.
  constexpr size_t kNoSource = SIZE_MAX;
  std::vector<size_t> source_of(page->items.size(), kNoSource);  // index into `sources`
  std::vector<catalog::InstanceRecord> sources;
  std::vector<Result<Bytes>> headers;
  if (need_stored) {
    auto representatives = Representatives(archive, page->items, scope.level);
    if (!representatives) return std::unexpected(representatives.error());
    for (size_t i = 0; i < representatives->size(); ++i) {
      if (!(*representatives)[i]) continue;  // a study or series emptied meanwhile
      sources.push_back(std::move(*(*representatives)[i]));
      source_of[i] = sources.size() - 1;
    }
    headers = archive.ReadMetadataBytes(std::span<const catalog::InstanceRecord>(sources));
  }
  for (size_t i = 0; i < page->items.size(); ++i) {
    const auto& m = page->items[i];
    nlohmann::json object = nlohmann::json::object();
    const std::string study_url = root + "/studies/" + m.study.study_instance_uid;
    const std::string series_url = study_url + "/series/" + m.series.series_instance_uid;
    switch (scope.level) {
      case QueryLevel::kPatient:
        AddPatientJson(object, m.patient);
        break;
      case QueryLevel::kStudy:
        AddStudyJson(object, m.study, study_url);
        break;
      case QueryLevel::kSeries:
        // A search over all series also answers with the study's
        // attributes (PS3.18 table 10.6.3-5); within a study only the series'.
        if (scope.study.empty() || r.include_all) AddStudyJson(object, m.study, {});
        AddSeriesJson(object, m.series, series_url);
        break;
      case QueryLevel::kInstance:
        if (scope.study.empty() || r.include_all) AddStudyJson(object, m.study, {});
        if (scope.series.empty() || r.include_all) AddSeriesJson(object, m.series, {});
        AddInstanceJson(object, m.instance,
                        series_url + "/instances/" + m.instance.sop_instance_uid);
        break;
    }
    if (const size_t s = source_of[i]; s != kNoSource) {
      if (auto added = AddStoredAttributes(object, r, stored_all, headers[s], sources[s], root);
          !added) {
        return std::unexpected(added.error());
      }
    }
    answer.body.push_back(std::move(object));
  }
  return answer;
}

awaitable<Response> Search(const ApiContext& ctx, const Request& req, QueryLevel level) {
  const auto ranges = AcceptedRanges(req);
  if (!ranges) co_return ErrorResponse(ranges.error());
  if (!AcceptsDicomJson(*ranges)) {
    co_return NotAcceptable("search results are available as application/dicom+json only");
  }
  const Scope scope{level, std::string(req.Param("study")), std::string(req.Param("series"))};
  const auto parsed = ParseQido(req, scope);
  if (!parsed) co_return ErrorResponse(parsed.error());
  const std::string root = ServiceRoot(req);
  auto answer = co_await RunBlocking(ctx.blocking,
                                     [&] { return RunQido(ctx.archive, *parsed, scope, root); });
  if (!answer) co_return ErrorResponse(answer.error());
  Response res = JsonResponse(answer->body);
  res.content_type = "application/dicom+json";
  std::string warning;
  auto warn = [&](const std::string& text) {
    if (!warning.empty()) warning += ", ";
    warning += "299 cloudfilm \"" + text + "\"";
  };
  if (answer->more) warn("There are additional results that can be requested");
  if (!parsed->unmatched.empty()) {
    std::string names;
    for (const auto& n : parsed->unmatched) names += (names.empty() ? "" : ", ") + n;
    warn("The following attributes are not supported as matching keys and were ignored: " + names);
  }
  if (!warning.empty()) res.SetHeader("Warning", warning);
  res.SetHeader("Cache-Control", "private, no-cache");
  co_return res;
}

}  // namespace

void AddQidoRoutes(Router& router, const ApiContext& context) {
  const auto add = [&](const std::string& pattern, QueryLevel level) {
    router.Add(boost::beast::http::verb::get, pattern,
               {access::Permission::kReadImages, audit::Action::kQuery},
               [&context, level](const Request& req) { return Search(context, req, level); });
  };
  add("/dicom-web/studies", QueryLevel::kStudy);
  add("/dicom-web/series", QueryLevel::kSeries);
  add("/dicom-web/instances", QueryLevel::kInstance);
  add("/dicom-web/studies/{study}/series", QueryLevel::kSeries);
  add("/dicom-web/studies/{study}/instances", QueryLevel::kInstance);
  add("/dicom-web/studies/{study}/series/{series}/instances", QueryLevel::kInstance);
}

}  // namespace cf::http
