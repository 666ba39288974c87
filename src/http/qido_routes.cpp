// SPDX-License-Identifier: Apache-2.0
// Matching keys accepted at study level: PatientID, PatientName (with '*'
// and '?'), StudyDate (single or range), AccessionNumber, StudyInstanceUID,
// ModalitiesInStudy, by keyword or by tag (00100020); limit and offset.
// includefield is accepted; every study attribute we index is returned.
#include "http/qido_routes.hpp"

#include <boost/beast/http/verb.hpp>

#include "http/blocking.hpp"
#include "http/dicom_json.hpp"
#include "http/problem.hpp"
#include "http/response.hpp"

namespace cf::http {
namespace {
using boost::asio::awaitable;

std::optional<std::string_view> Key(const QueryParams& q, std::string_view keyword,
                                    std::string_view tag) {
  if (auto v = q.Get(keyword)) return v;
  return q.Get(tag);
}

Result<catalog::StudyQuery> ParseQidoStudyQuery(const QueryParams& q) {
  catalog::StudyQuery query;
  auto limit = GetInt(q, "limit", kDefaultLimit, 0, kMaxLimit);
  if (!limit) return std::unexpected(limit.error());
  auto offset = GetInt(q, "offset", 0, 0, std::numeric_limits<int64_t>::max());
  if (!offset) return std::unexpected(offset.error());
  query.limit = *limit;
  query.offset = *offset;
  auto text = [](std::optional<std::string_view> v) { return v ? std::string(*v) : std::string(); };
  query.patient_id = text(Key(q, "PatientID", "00100020"));
  query.patient_name = text(Key(q, "PatientName", "00100010"));
  query.accession_number = text(Key(q, "AccessionNumber", "00080050"));
  query.study_instance_uid = text(Key(q, "StudyInstanceUID", "0020000D"));
  query.modality = text(Key(q, "ModalitiesInStudy", "00080061"));
  if (auto date = Key(q, "StudyDate", "00080020")) {
    auto range = ParseDateRange("StudyDate", *date);
    if (!range) return std::unexpected(range.error());
    query.study_date_from = std::move(range->from);
    query.study_date_to = std::move(range->to);
  }
  return query;
}

awaitable<Response> SearchStudies(const ApiContext& ctx, const Request& req) {
  const auto query = ParseQidoStudyQuery(req.query);
  if (!query) co_return ErrorResponse(query.error());
  auto page = co_await RunBlocking(ctx.blocking, [&] { return ctx.archive.FindStudies(*query); });
  if (!page) co_return ErrorResponse(page.error());
  nlohmann::json body = nlohmann::json::array();
  for (const auto& study : page->items) body.push_back(StudyToDicomJson(study));
  Response res = JsonResponse(body);
  res.content_type = "application/dicom+json";
  co_return res;
}

}  // namespace

void AddQidoRoutes(Router& router, const ApiContext& context) {
  router.Add(boost::beast::http::verb::get, "/dicom-web/studies",
             [&context](const Request& req) { return SearchStudies(context, req); });
}

}  // namespace cf::http
