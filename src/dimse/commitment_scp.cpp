// SPDX-License-Identifier: Apache-2.0
// Storage Commitment Push Model SCP (PS3.4 J.3). An instance is committed
// only when the catalog holds it and its stored bytes still match their
// recorded SHA-256 (archive::Archive::ReadBlob checks that), so a commitment
// says more than "indexed once". The N-EVENT-REPORT goes out on the
// requester's association while it is open; when the requester has already
// moved on (release or another request waiting), on a new association to
// the requester's AE title as configured in ScpOptions::destinations, with
// this server proposing the SCP role (PS3.4 J.3.3). A report that cannot be
// delivered so waits in the CommitmentOutbox and is retried with a growing
// delay (RetryDueCommitments). Logs carry counts only.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmnet/cond.h>

#include <algorithm>
#include <chrono>

#include "core/log.hpp"
#include "core/time_text.hpp"
#include "dimse/commitment_outbox.hpp"
#include "dimse/service.hpp"
#include "dimse/sop_classes.hpp"
#include "dimse/store_scu.hpp"

namespace cf::dimse {
namespace {

constexpr uint16_t kActionRequestCommitment = 1;
constexpr uint16_t kEventAllCommitted = 1;
constexpr uint16_t kEventSomeFailed = 2;
constexpr uint16_t kFailureNoSuchObjectInstance = 0x0112;
constexpr uint16_t kStatusNoSuchActionType = 0x0123;
constexpr uint16_t kStatusMissingAttribute = 0x0120;

std::string Text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  item.findAndGetOFString(tag, value);
  return value.c_str();
}

OFCondition SendActionResponse(Session& s, T_ASC_PresentationContextID pres_id,
                               const T_DIMSE_N_ActionRQ& request, uint16_t status) {
  T_DIMSE_Message message{};
  message.CommandField = DIMSE_N_ACTION_RSP;
  T_DIMSE_N_ActionRSP& rsp = message.msg.NActionRSP;
  rsp.MessageIDBeingRespondedTo = request.MessageID;
  rsp.DimseStatus = status;
  rsp.DataSetType = DIMSE_DATASET_NULL;
  rsp.ActionTypeID = request.ActionTypeID;
  rsp.opts = O_NACTION_AFFECTEDSOPCLASSUID | O_NACTION_AFFECTEDSOPINSTANCEUID;
  if (status == 0) rsp.opts |= O_NACTION_ACTIONTYPEID;
  OFStandard::strlcpy(rsp.AffectedSOPClassUID, request.RequestedSOPClassUID,
                      sizeof(rsp.AffectedSOPClassUID));
  OFStandard::strlcpy(rsp.AffectedSOPInstanceUID, request.RequestedSOPInstanceUID,
                      sizeof(rsp.AffectedSOPInstanceUID));
  return DIMSE_sendMessageUsingMemoryData(s.assoc, pres_id, &message, nullptr, nullptr, nullptr,
                                          nullptr);
}

void AddReference(DcmItem& parent, const DcmTagKey& sequence,
                  const CommitmentReport::Reference& ref, bool failed) {
  DcmItem* item = nullptr;
  if (parent.findOrCreateSequenceItem(sequence, item, -2).bad() || item == nullptr) return;
  item->putAndInsertString(DCM_ReferencedSOPClassUID, ref.sop_class_uid.c_str());
  item->putAndInsertString(DCM_ReferencedSOPInstanceUID, ref.sop_instance_uid.c_str());
  if (failed) item->putAndInsertUint16(DCM_FailureReason, kFailureNoSuchObjectInstance);
}

std::unique_ptr<DcmDataset> EventInformation(const CommitmentReport& report,
                                             const std::string& ae_title) {
  auto out = std::make_unique<DcmDataset>();
  out->putAndInsertString(DCM_TransactionUID, report.transaction_uid.c_str());
  out->putAndInsertString(DCM_RetrieveAETitle, ae_title.c_str());
  for (const auto& ref : report.committed)
    AddReference(*out, DCM_ReferencedSOPSequence, ref, false);
  for (const auto& ref : report.failed) AddReference(*out, DCM_FailedSOPSequence, ref, true);
  return out;
}

// Sends the N-EVENT-REPORT on `assoc` (context `pres_id`) and reads its response.
OFCondition SendEventReport(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                            const CommitmentReport& report, const std::string& ae_title,
                            int timeout_s, uint16_t& status) {
  T_DIMSE_Message message{};
  message.CommandField = DIMSE_N_EVENT_REPORT_RQ;
  T_DIMSE_N_EventReportRQ& rq = message.msg.NEventReportRQ;
  rq.MessageID = assoc->nextMsgID++;
  OFStandard::strlcpy(rq.AffectedSOPClassUID, std::string(kStorageCommitmentPushModel).c_str(),
                      sizeof(rq.AffectedSOPClassUID));
  OFStandard::strlcpy(rq.AffectedSOPInstanceUID, std::string(kStorageCommitmentInstance).c_str(),
                      sizeof(rq.AffectedSOPInstanceUID));
  rq.EventTypeID = report.failed.empty() ? kEventAllCommitted : kEventSomeFailed;
  rq.DataSetType = DIMSE_DATASET_PRESENT;
  auto info = EventInformation(report, ae_title);
  OFCondition cond = DIMSE_sendMessageUsingMemoryData(assoc, pres_id, &message, nullptr, info.get(),
                                                      nullptr, nullptr);
  if (cond.bad()) return cond;
  T_DIMSE_Message response{};
  T_ASC_PresentationContextID response_pres_id = 0;
  DcmDataset* detail = nullptr;
  cond = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, timeout_s, &response_pres_id, &response,
                              &detail);
  delete detail;
  if (cond.bad()) return cond;
  if (response.CommandField != DIMSE_N_EVENT_REPORT_RSP ||
      response.msg.NEventReportRSP.MessageIDBeingRespondedTo != rq.MessageID) {
    return makeDcmnetCondition(DIMSEC_UNEXPECTEDRESPONSE, OF_error,
                               "unexpected message instead of an N-EVENT-REPORT response");
  }
  status = response.msg.NEventReportRSP.DimseStatus;
  return EC_Normal;
}

// Committed: in the catalog, of the class the requester names, and its
// bytes verify.
bool Verify(archive::Archive& archive, const catalog::Scope& scope,
            const CommitmentReport::Reference& ref) {
  auto record = archive.GetInstanceVersion(scope, ref.sop_instance_uid);
  if (!record || record->sop_class_uid != ref.sop_class_uid) return false;
  return archive.ReadBlob(*record).has_value();
}

void LogReport(const char* event, const std::string& ae, const CommitmentReport& report,
               const char* via, uint16_t status) {
  const auto level = report.failed.empty() && status == 0 ? log::Level::kInfo : log::Level::kWarn;
  log::Write(level, event,
             {{"calling_ae", ae},
              {"committed", report.committed.size()},
              {"failed", report.failed.size()},
              {"via", via},
              {"status", StatusHex(status)}});
}

}  // namespace

OFCondition HandleCommitment(Session& session, T_DIMSE_N_ActionRQ& request,
                             T_ASC_PresentationContextID pres_id,
                             std::unique_ptr<CommitmentReport>& deferred) {
  std::unique_ptr<DcmDataset> info;
  if (request.DataSetType == DIMSE_DATASET_PRESENT) {
    if (OFCondition cond = ReceiveRequestDataSet(session, pres_id, info); cond.bad()) return cond;
  }
  if (request.ActionTypeID != kActionRequestCommitment) {
    log::Warn("dimse.commitment.refused",
              {{"calling_ae", session.calling_ae}, {"reason", "unknown action type"}});
    return SendActionResponse(session, pres_id, request, kStatusNoSuchActionType);
  }
  CommitmentReport report;
  DcmSequenceOfItems* references = nullptr;
  if (info) report.transaction_uid = Text(*info, DCM_TransactionUID);
  if (!info || report.transaction_uid.empty() ||
      info->findAndGetSequence(DCM_ReferencedSOPSequence, references).bad() ||
      references == nullptr) {
    log::Warn("dimse.commitment.refused",
              {{"calling_ae", session.calling_ae},
               {"reason", "Transaction UID or Referenced SOP Sequence missing"}});
    return SendActionResponse(session, pres_id, request, kStatusMissingAttribute);
  }
  std::vector<CommitmentReport::Reference> refs;
  for (unsigned long i = 0; i < references->card(); ++i) {
    DcmItem* item = references->getItem(i);
    refs.push_back(
        {Text(*item, DCM_ReferencedSOPClassUID), Text(*item, DCM_ReferencedSOPInstanceUID)});
  }
  // The request is taken: answer it before the (possibly long) verification.
  if (OFCondition cond = SendActionResponse(session, pres_id, request, 0); cond.bad()) {
    return cond;
  }
  archive::Archive& archive = session.context.Archive();
  for (auto& ref : refs) {
    const bool ok =
        !ref.sop_instance_uid.empty() && Verify(archive, catalog::Scope::Of(session.tenant), ref);
    (ok ? report.committed : report.failed).push_back(std::move(ref));
  }

  // Anything already waiting from the requester (a release, another
  // request) means it has moved on: report on a new association instead.
  if (ASC_dataWaiting(session.assoc, 0)) {
    deferred = std::make_unique<CommitmentReport>(std::move(report));
    return EC_Normal;
  }
  uint16_t status = 0;
  const OFCondition cond =
      SendEventReport(session.assoc, pres_id, report, session.context.Options().ae_title,
                      session.timeout_s, status);
  if (cond.bad()) {
    // The requester released (or dropped) the association instead of
    // answering: report on a new one, and let DCMTK finish this one.
    deferred = std::make_unique<CommitmentReport>(std::move(report));
    return cond;
  }
  LogReport("dimse.commitment", session.calling_ae, report, "same association", status);
  return EC_Normal;
}

namespace {

// One attempt to deliver `report` on a new association to `requester_ae`.
Result<void> DeliverCommitment(const ServerContext& context, const std::string& requester_ae,
                               const CommitmentReport& report, const char* how) {
  const ScpOptions& options = context.Options();
  const auto peer = context.DestinationOf(requester_ae);
  if (!peer) {
    return Fail(ErrorCode::kNotFound,
                "the requester released its association and its AE title has no address");
  }
  const OutboundAssociation::Proposal proposal{
      std::string(kStorageCommitmentPushModel),
      {std::string(kExplicitVrLittleEndian), std::string(kImplicitVrLittleEndian)},
      ASC_SC_ROLE_SCP};
  auto outbound = OutboundAssociation::Open({options.ae_title, requester_ae, *peer, options.max_pdu,
                                             static_cast<int>(options.acse_timeout.count())},
                                            std::span(&proposal, 1));
  if (!outbound) return std::unexpected(outbound.error());
  const auto contexts = AcceptedContexts((*outbound)->Get(), false);
  uint16_t status = 0;
  OFCondition cond =
      contexts.empty()
          ? makeDcmnetCondition(DIMSEC_BADDATA, OF_error, "no context")
          : SendEventReport((*outbound)->Get(), contexts.front().id, report, options.ae_title,
                            static_cast<int>(options.dimse_timeout.count()), status);
  (*outbound)->Release();
  if (cond.bad()) return Fail(ErrorCode::kStorageUnavailable, cond.text());
  LogReport("dimse.commitment", requester_ae, report, how, status);
  return {};
}

// The delay before attempt `attempts` + 1: the first delay, doubled after
// each failure, at most the maximum.
int64_t RetryDelayMs(const ScpOptions& options, int attempts) {
  int64_t delay = options.commitment_retry.count();
  for (int i = 1; i < attempts && delay < options.commitment_retry_max.count(); ++i) delay *= 2;
  return std::min<int64_t>(delay, options.commitment_retry_max.count());
}

}  // namespace

void SendDeferredCommitment(ServerContext& context, const std::string& requester_ae,
                            const CommitmentReport& report) {
  auto delivered = DeliverCommitment(context, requester_ae, report, "new association");
  if (delivered) return;
  CommitmentOutbox* outbox = context.Options().commitment_outbox;
  if (outbox == nullptr) {
    log::Warn("dimse.commitment.undelivered", {{"calling_ae", requester_ae},
                                               {"reason", delivered.error().message},
                                               {"committed", report.committed.size()},
                                               {"failed", report.failed.size()}});
    return;
  }
  const int64_t now = UnixNowMs();
  auto kept = outbox->Add(requester_ae, report, delivered.error().message, now,
                          now + RetryDelayMs(context.Options(), 1));
  if (!kept) {
    log::Error("dimse.commitment.undelivered", {{"calling_ae", requester_ae},
                                                {"reason", delivered.error().message},
                                                {"outbox_error", kept.error().message}});
    return;
  }
  log::Warn(
      "dimse.commitment.queued",
      {{"calling_ae", requester_ae}, {"reason", delivered.error().message}, {"outbox_id", *kept}});
}

int RetryDueCommitments(const ServerContext& context) {
  const ScpOptions& options = context.Options();
  CommitmentOutbox* outbox = options.commitment_outbox;
  if (outbox == nullptr) return 0;
  int delivered = 0;
  for (;;) {
    const int64_t now = UnixNowMs();
    // Leased for longer than an attempt can take (association and DIMSE
    // timeouts), so that another server does not try it at the same time.
    const int64_t lease =
        now + 1000 * (2 * options.acse_timeout.count() + options.dimse_timeout.count());
    auto due = outbox->ClaimDue(now, lease);
    if (!due) {
      log::Error("dimse.commitment.outbox_failed", {{"error", due.error().message}});
      return delivered;
    }
    if (!*due) return delivered;
    const auto& [pending, report] = **due;
    if (now - pending.created_ms >
        std::chrono::duration_cast<std::chrono::milliseconds>(options.commitment_give_up).count()) {
      (void)outbox->Drop(pending.id);
      log::Error("dimse.commitment.abandoned", {{"calling_ae", pending.requester_ae},
                                                {"attempts", pending.attempts},
                                                {"last_error", pending.last_error}});
      continue;
    }
    auto sent = DeliverCommitment(context, pending.requester_ae, report, "retry");
    if (sent) {
      (void)outbox->Delivered(pending.id);
      ++delivered;
      continue;
    }
    (void)outbox->Postpone(pending.id, sent.error().message,
                           now + RetryDelayMs(options, pending.attempts + 1));
    log::Warn("dimse.commitment.retry_failed", {{"calling_ae", pending.requester_ae},
                                                {"attempts", pending.attempts + 1},
                                                {"reason", sent.error().message}});
  }
}

}  // namespace cf::dimse
