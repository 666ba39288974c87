// SPDX-License-Identifier: Apache-2.0
// C-MOVE SCP (PS3.4 C.4.2): the identifier's instances go, as C-STORE
// sub-operations, to a destination AE this server knows from its options,
// on an association of its own; the requester hears a pending response
// with the counts after each one and a final status. Logs carry AE titles
// and counts only.
#include <dcmtk/dcmdata/dcdeftag.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <span>

#include "core/log.hpp"
#include "dimse/identifier.hpp"
#include "dimse/move_batches.hpp"
#include "dimse/retrieve.hpp"
#include "dimse/service.hpp"
#include "dimse/sop_classes.hpp"
#include "dimse/store_status.hpp"

namespace cf::dimse {
namespace {

std::string Trimmed(const char* text) {
  std::string s(text);
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(' ') - first + 1);
}

}  // namespace

OFCondition HandleMove(Session& session, T_DIMSE_C_MoveRQ& request,
                       T_ASC_PresentationContextID pres_id) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<DcmDataset> identifier;
  if (OFCondition cond = ReceiveRequestDataSet(session, pres_id, identifier); cond.bad()) {
    return cond;
  }
  const std::string destination = Trimmed(request.MoveDestination);
  SubOperations ops;

  auto respond = [&](uint16_t status, const SubOperations* counts, DcmDataset* ids,
                     std::string_view comment) {
    T_DIMSE_C_MoveRSP response{};
    response.DimseStatus = status;
    response.opts = O_MOVE_AFFECTEDSOPCLASSUID;
    OFStandard::strlcpy(response.AffectedSOPClassUID, request.AffectedSOPClassUID,
                        sizeof(response.AffectedSOPClassUID));
    if (counts != nullptr) {
      SetSubOperationCounts(response, status, *counts, O_MOVE_NUMBEROFREMAININGSUBOPERATIONS,
                            O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS |
                                O_MOVE_NUMBEROFFAILEDSUBOPERATIONS |
                                O_MOVE_NUMBEROFWARNINGSUBOPERATIONS);
    }
    response.DataSetType = ids != nullptr ? DIMSE_DATASET_PRESENT : DIMSE_DATASET_NULL;
    std::unique_ptr<DcmDataset> detail;
    if (!comment.empty()) detail = ErrorCommentDetail(comment);
    return DIMSE_sendMoveResponse(session.assoc, pres_id, &request, &response, ids, detail.get());
  };
  auto finish = [&](uint16_t status, const SubOperations* counts, DcmDataset* ids,
                    std::string_view comment, int64_t matched) {
    LogRetrieve("dimse.move", session, destination, status, matched, ops, comment, started);
    return respond(status, counts, ids, comment);
  };

  // Read now, not when the association started: a node an admin has just
  // registered is a destination at once, a removed one no longer.
  const auto peer = session.context.DestinationOf(destination);
  if (!peer) {
    return finish(kStatusMoveDestinationUnknown, nullptr, nullptr, "move destination unknown", 0);
  }
  // One hospital's images never go to another's node, whoever asks.
  if (session.context.TenantOf(destination) != session.tenant) {
    return finish(kStatusMoveDestinationUnknown, nullptr, nullptr,
                  "move destination belongs to another hospital", 0);
  }
  auto instances =
      ResolveRetrieve(session, *identifier, request.AffectedSOPClassUID, "C-MOVE", destination);
  if (!instances) {
    return finish(instances.error().status, nullptr, nullptr, instances.error().comment, 0);
  }
  const auto matched = static_cast<int64_t>(instances->size());
  if (instances->empty()) return finish(kStatusSuccess, &ops, nullptr, "", 0);

  const ScpOptions& options = session.context.Options();
  OFCondition requester = EC_Normal;  // the requester's association, not the destination's
  auto cancelled = [&] {
    return DIMSE_checkForCancelRQ(session.assoc, pres_id, request.MessageID).good();
  };
  auto progress = [&](const SubOperations& now) {
    requester = respond(kStatusPending, &now, nullptr, "");
    return requester;
  };
  // Once the destination is unreachable or broke, the objects of every
  // later association fail with it rather than being retried one by one.
  auto fail_from = [&](std::span<const MoveBatch> batches) {
    for (const auto& batch : batches) {
      for (const auto& i : batch.instances) ops.failed_uids.push_back(i.sop_instance_uid);
      ops.failed += static_cast<int>(batch.instances.size());
      ops.remaining -= static_cast<int>(batch.instances.size());
    }
  };
  const std::vector<MoveBatch> batches = PlanMoveBatches(*instances);
  ops.remaining = static_cast<int>(matched);
  std::string comment;
  bool never_associated = false;
  for (size_t b = 0; b < batches.size() && !ops.cancelled; ++b) {
    auto outbound =
        OutboundAssociation::Open({options.ae_title, destination, *peer, options.max_pdu,
                                   static_cast<int>(options.acse_timeout.count())},
                                  batches[b].proposals);
    if (!outbound) {
      fail_from(std::span(batches).subspan(b));
      comment = "cannot associate with the move destination";
      never_associated = b == 0;
      break;
    }
    SubOperationTarget target;
    target.assoc = (*outbound)->Get();
    target.contexts = AcceptedContexts(target.assoc, false);
    target.move_originator_ae = session.calling_ae;
    target.move_originator_message_id = request.MessageID;
    target.timeout_s = session.timeout_s;
    const OFCondition sent = RunSubOperations(session.context.Archive(), batches[b].instances,
                                              target, cancelled, progress, ops);
    if (requester.bad()) return requester;  // cannot answer any more
    if (sent.bad()) {
      fail_from(std::span(batches).subspan(b + 1));
      comment = "the move destination failed";
      break;
    }
    (*outbound)->Release();
  }
  auto ids = FailedInstancesIdentifier(ops);
  const uint16_t status = never_associated ? kStatusUnableToPerformSubOperations : FinalStatus(ops);
  return finish(status, &ops, ids.get(), comment, matched);
}

}  // namespace cf::dimse
