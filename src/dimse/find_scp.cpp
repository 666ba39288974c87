// SPDX-License-Identifier: Apache-2.0
// C-FIND SCP (PS3.4 C.4.1), Patient Root and Study Root at every level: the
// identifier becomes a catalog::Query (identifier.cpp), matches are read
// page by page (never all at once) and each goes out as a pending response
// with every requested key; a C-CANCEL between two responses ends the
// search with 0xFE00. Logs carry the level and counts, never key values.
#include <chrono>

#include "core/log.hpp"
#include "dimse/identifier.hpp"
#include "dimse/retrieve.hpp"
#include "dimse/service.hpp"
#include "dimse/store_status.hpp"

namespace cf::dimse {

OFCondition HandleFind(Session& session, T_DIMSE_C_FindRQ& request,
                       T_ASC_PresentationContextID pres_id) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<DcmDataset> identifier;
  if (OFCondition cond = ReceiveRequestDataSet(session, pres_id, identifier); cond.bad()) {
    return cond;
  }
  int64_t matches = 0;
  std::string level;
  auto respond = [&](uint16_t status, DcmDataset* ids, std::string_view comment) {
    T_DIMSE_C_FindRSP response{};
    response.DimseStatus = status;
    std::unique_ptr<DcmDataset> detail;
    if (!comment.empty()) detail = ErrorCommentDetail(comment);
    return DIMSE_sendFindResponse(session.assoc, pres_id, &request, &response, ids, detail.get());
  };
  auto finish = [&](uint16_t status, std::string_view comment) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    const auto log_level =
        status == kStatusSuccess || status == kStatusCancel ? log::Level::kInfo : log::Level::kWarn;
    log::Write(log_level, "dimse.find",
               {{"calling_ae", session.calling_ae},
                {"level", level},
                {"status", StatusHex(status)},
                {"matches", matches},
                {"comment", comment},
                {"ms", ms}});
    return respond(status, nullptr, comment);
  };

  auto parsed = ParseFindIdentifier(*identifier, ModelOf(request.AffectedSOPClassUID),
                                    catalog::Scope::Of(session.tenant));
  if (!parsed) return finish(kStatusIdentifierDoesNotMatch, parsed.error().message);
  level = parsed->level;
  catalog::Query query = parsed->query;
  {
    // Audited before any match leaves, with the keys the auditor needs to
    // see whose data was looked for.
    audit::Event event =
        session.context.Event(session.calling_ae, session.peer, audit::Action::kQuery, "C-FIND");
    event.detail = "level " + level;
    for (const auto& condition : query.conditions) {
      if (condition.attr == catalog::QueryAttr::kPatientId) event.patient_id = condition.value;
      if (condition.attr == catalog::QueryAttr::kStudyInstanceUid)
        event.study_uid = condition.value;
      if (condition.attr == catalog::QueryAttr::kPatientName) {
        event.detail += "; PatientName=" + condition.value;
      }
      if (condition.attr == catalog::QueryAttr::kAccessionNumber) {
        event.detail += "; AccessionNumber=" + condition.value;
      }
    }
    if (!session.context.Audit(std::move(event))) {
      return finish(kStatusUnableToProcess, "the audit trail cannot be written");
    }
  }
  query.limit = session.context.Options().query_page_size;
  const std::string& ae_title = session.context.Options().ae_title;
  for (query.offset = 0;; query.offset += query.limit) {
    auto page = session.context.Archive().Search(query);
    if (!page) {
      const bool invalid = page.error().code == ErrorCode::kInvalidArgument;
      return finish(invalid ? kStatusIdentifierDoesNotMatch : kStatusUnableToProcess,
                    page.error().message);
    }
    for (const auto& match : page->items) {
      if (DIMSE_checkForCancelRQ(session.assoc, pres_id, request.MessageID).good()) {
        return finish(kStatusCancel, "");
      }
      auto response = BuildFindResponse(*parsed, match, ae_title);
      if (OFCondition cond = respond(kStatusPending, response.get(), ""); cond.bad()) return cond;
      ++matches;
    }
    if (static_cast<int64_t>(page->items.size()) < query.limit) break;
  }
  return finish(kStatusSuccess, "");
}

}  // namespace cf::dimse
