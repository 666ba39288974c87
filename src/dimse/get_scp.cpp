// SPDX-License-Identifier: Apache-2.0
// C-GET SCP (PS3.4 C.4.3): the identifier's instances go back as C-STORE
// sub-operations on the requester's own association, on the storage
// presentation contexts for which it proposed the SCP role (see the role
// selection in store_scp.cpp), with a pending response and counts after
// each one and a final status. Logs carry AE titles and counts only.
#include <algorithm>
#include <chrono>

#include "core/log.hpp"
#include "dimse/identifier.hpp"
#include "dimse/retrieve.hpp"
#include "dimse/service.hpp"
#include "dimse/store_status.hpp"

namespace cf::dimse {

OFCondition HandleGet(Session& session, T_DIMSE_C_GetRQ& request,
                      T_ASC_PresentationContextID pres_id) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<DcmDataset> identifier;
  if (OFCondition cond = ReceiveRequestDataSet(session, pres_id, identifier); cond.bad()) {
    return cond;
  }
  SubOperations ops;
  auto respond = [&](uint16_t status, const SubOperations* counts, DcmDataset* ids,
                     std::string_view comment) {
    T_DIMSE_C_GetRSP response{};
    response.DimseStatus = status;
    response.opts = O_GET_AFFECTEDSOPCLASSUID;
    OFStandard::strlcpy(response.AffectedSOPClassUID, request.AffectedSOPClassUID,
                        sizeof(response.AffectedSOPClassUID));
    if (counts != nullptr) {
      SetSubOperationCounts(response, status, *counts, O_GET_NUMBEROFREMAININGSUBOPERATIONS,
                            O_GET_NUMBEROFCOMPLETEDSUBOPERATIONS |
                                O_GET_NUMBEROFFAILEDSUBOPERATIONS |
                                O_GET_NUMBEROFWARNINGSUBOPERATIONS);
    }
    response.DataSetType = ids != nullptr ? DIMSE_DATASET_PRESENT : DIMSE_DATASET_NULL;
    std::unique_ptr<DcmDataset> detail;
    if (!comment.empty()) detail = ErrorCommentDetail(comment);
    return DIMSE_sendGetResponse(session.assoc, pres_id, &request, &response, ids, detail.get());
  };
  auto finish = [&](uint16_t status, const SubOperations* counts, DcmDataset* ids,
                    std::string_view comment, int64_t matched) {
    LogRetrieve("dimse.get", session, session.calling_ae, status, matched, ops, comment, started);
    return respond(status, counts, ids, comment);
  };

  auto instances = ResolveRetrieve(session, *identifier, request.AffectedSOPClassUID, "C-GET",
                                   session.calling_ae);
  if (!instances) {
    return finish(instances.error().status, nullptr, nullptr, instances.error().comment, 0);
  }
  const auto matched = static_cast<int64_t>(instances->size());

  SubOperationTarget target;
  target.assoc = session.assoc;
  target.contexts = AcceptedContexts(session.assoc, true);
  target.cancel_message_id = request.MessageID;
  target.timeout_s = session.timeout_s;
  auto cancelled = [&] {
    return DIMSE_checkForCancelRQ(session.assoc, pres_id, request.MessageID).good();
  };
  auto progress = [&](const SubOperations& now) {
    return respond(kStatusPending, &now, nullptr, "");
  };
  ops.remaining = static_cast<int>(matched);
  // On this association a failed sub-operation send means the requester is gone.
  if (OFCondition sent =
          RunSubOperations(session.context.Archive(), *instances, target, cancelled, progress, ops);
      sent.bad()) {
    return sent;
  }
  auto ids = FailedInstancesIdentifier(ops);
  const bool no_context = target.contexts.empty() && matched > 0;
  return finish(FinalStatus(ops), &ops, ids.get(),
                no_context ? "no storage context with SCP role was negotiated" : "", matched);
}

}  // namespace cf::dimse
