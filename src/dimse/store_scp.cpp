// SPDX-License-Identifier: Apache-2.0
// The per-association DcmSCP subclass (see store_scp.hpp). This is the DIMSE
// boundary: exceptions stop here, every object leaves a log line with the
// calling AE, status and outcome (never patient data).
#include "dimse/store_scp.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <pthread.h>

#include <algorithm>
#include <exception>
#include <system_error>
#include <vector>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "dimse/receive.hpp"
#include "dimse/service.hpp"

namespace cf::dimse {
namespace {

thread_local ServerContext* t_creating_context = nullptr;

constexpr size_t kKeptBufferBytes = 64u << 20;

std::string Trimmed(const char* text) {
  std::string s(text);
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(' ') - first + 1);
}

std::string Hex(uint16_t status) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "0x0000";
  for (int i = 0; i < 4; ++i) out[5 - i] = kDigits[(status >> (4 * i)) & 0xF];
  return out;
}

}  // namespace

StoreScp::ContextScope::ContextScope(ServerContext& context) { t_creating_context = &context; }
StoreScp::ContextScope::~ContextScope() { t_creating_context = nullptr; }

StoreScp::StoreScp() : context_(t_creating_context) {}

StoreScp::~StoreScp() = default;

OFCondition StoreScp::run(T_ASC_Association* assoc) {
  // DcmSCPPool (DCMTK 3.6.7) never joins a worker thread while it serves
  // (the worker deletes itself when its association ends), so a joinable
  // thread would keep its stack mapped forever: one leak per association.
  ::pthread_detach(::pthread_self());
  if (context_ == nullptr) {
    log::Error("dimse.worker.no_context");
    return EC_IllegalCall;
  }
  assoc_ = assoc;
  started_ = std::chrono::steady_clock::now();
  OFCondition result = EC_Normal;
  try {
    result = DcmThreadSCP::run(assoc);
  } catch (const std::exception& e) {
    log::Error("dimse.unhandled", {{"calling_ae", calling_ae_}, {"what", e.what()}});
    result = EC_IllegalCall;
  }
  // Registered by the pool before this thread started; DCMTK closes the
  // socket only after run() returns.
  context_->RemoveSocket(assoc);
  // This thread is DCMTK's: an exception escaping it would end the process.
  // The commitment report first: a PACS waits for it before deleting.
  try {
    if (deferred_commitment_) {
      SendDeferredCommitment(*context_, calling_ae_, *deferred_commitment_);
    }
    if (stored_ + failed_ > 0) {
      audit::Event event = context_->Event(calling_ae_, peer_, audit::Action::kStore, "C-STORE");
      event.outcome = failed_ == 0 ? audit::Outcome::kSuccess : audit::Outcome::kFailure;
      event.detail = "association ended: " + std::to_string(stored_) + " stored, " +
                     std::to_string(warned_) + " with warnings, " + std::to_string(failed_) +
                     " failed, " + std::to_string(audited_studies_.size()) + " studies";
      (void)context_->Audit(std::move(event));
    }
  } catch (const std::exception& e) {
    log::Error("dimse.unhandled", {{"calling_ae", calling_ae_}, {"what", e.what()}});
  }
  return result;
}

void StoreScp::notifyAssociationRequest(const T_ASC_Parameters& params,
                                        DcmSCPActionType& desired_action) {
  calling_ae_ = Trimmed(params.DULparams.callingAPTitle);
  peer_ = params.DULparams.callingPresentationAddress;
  desired_action = DCMSCP_ACTION_UNDEFINED;
}

OFBool StoreScp::checkCalledAETitleAccepted(const OFString& called_ae) {
  const ScpOptions& options = context_->Options();
  if (!options.check_called_ae || Trimmed(called_ae.c_str()) == options.ae_title) return OFTrue;
  refused_ = true;
  log::Warn("dimse.association.refused", {{"reason", "called AE title not recognized"},
                                          {"called_ae", Trimmed(called_ae.c_str())},
                                          {"calling_ae", calling_ae_},
                                          {"peer", peer_}});
  return OFFalse;
}

// The hospital the client certificate of this (TLS) association is bound
// to; empty without a certificate or a binding.
std::string StoreScp::CertificateTenant() const {
  if (context_->Options().certificate_tenants.empty() || assoc_ == nullptr) return {};
  const unsigned long length = ASC_getPeerCertificateLength(assoc_);
  if (length == 0) return {};
  Bytes der(length);
  if (ASC_getPeerCertificate(assoc_, der.data(), length) != length) return {};
  return context_->TenantOfCertificate(der);
}

OFBool StoreScp::checkCallingAETitleAccepted(const OFString& calling_ae) {
  const std::string caller = Trimmed(calling_ae.c_str());
  const std::optional<std::string> known = context_->KnownTenantOf(caller);
  const std::string by_certificate = CertificateTenant();
  std::string refusal;  // for the log and the audit trail; empty: accepted
  if (!by_certificate.empty()) {
    // The certificate names the hospital; an AE title of another is a
    // node of that hospital, or a spoof, and refused either way.
    tenant_ = by_certificate;
    if (known && *known != by_certificate) {
      refusal = "calling AE title of another hospital than its client certificate";
    }
  } else {
    tenant_ = known.value_or(context_->Options().unknown_caller_tenant);
    if (tenant_.empty()) {
      refusal = "calling AE title belongs to no hospital";
    } else if (context_->RequiresCertificate(tenant_)) {
      refusal = "this hospital's AE titles need one of its client certificates (DICOM TLS)";
    }
  }
  if (refusal.empty() && !context_->CallerAllowed(caller)) refusal = "calling AE title not allowed";
  if (refusal.empty()) return OFTrue;
  refused_ = true;
  log::Warn("dimse.association.refused",
            {{"reason", refusal}, {"calling_ae", caller}, {"peer", peer_}});
  audit::Event event = context_->Event(caller, peer_, audit::Action::kAccessDenied, "A-ASSOCIATE");
  event.outcome = audit::Outcome::kDenied;
  event.detail = refusal;
  (void)context_->Audit(std::move(event));
  return OFFalse;
}

OFCondition StoreScp::negotiateAssociation() {
  T_ASC_Parameters* params = assoc_->params;
  const SopClassPolicy& policy = context_->SopClasses();
  const int count = ASC_countPresentationContexts(params);
  for (int i = 0; i < count; ++i) {
    T_ASC_PresentationContext pc;
    OFCondition cond = ASC_getPresentationContext(params, i, &pc);
    if (cond.bad()) return cond;
    std::vector<std::string> proposed;
    proposed.reserve(pc.transferSyntaxCount);
    for (int t = 0; t < pc.transferSyntaxCount; ++t) {
      proposed.emplace_back(pc.proposedTransferSyntaxes[t]);
    }
    if (!policy.IsAccepted(pc.abstractSyntax)) {
      cond = ASC_refusePresentationContext(params, pc.presentationContextID,
                                           ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
    } else if (auto ts = policy.ChooseTransferSyntax(pc.abstractSyntax, proposed)) {
      // A C-GET requester proposes the SCP role for the storage classes it
      // wants back; echoing the proposed role grants it (DCMTK's table in
      // dul.h), and a default proposal stays default.
      const T_ASC_SC_ROLE role =
          policy.IsStorage(pc.abstractSyntax) ? pc.proposedRole : ASC_SC_ROLE_DEFAULT;
      cond = ASC_acceptPresentationContext(params, pc.presentationContextID, ts->c_str(), role);
      if (cond == ASC_SCPSCUROLESELECTIONFAILED) {
        cond = ASC_refusePresentationContext(params, pc.presentationContextID, ASC_P_NOREASON);
      }
    } else {
      cond = ASC_refusePresentationContext(params, pc.presentationContextID,
                                           ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
    }
    if (cond.bad()) return cond;
  }
  if (ASC_countAcceptedPresentationContexts(params) == 0 && !refused_) {
    log::Warn("dimse.association.refused", {{"reason", "no acceptable presentation context"},
                                            {"calling_ae", calling_ae_},
                                            {"peer", peer_},
                                            {"proposed", count}});
    refused_ = true;
  }
  return EC_Normal;
}

OFCondition StoreScp::handleIncomingCommand(T_DIMSE_Message* message,
                                            const DcmPresentationContextInfo& pres_info) {
  try {
    const T_ASC_PresentationContextID pres_id = pres_info.presentationContextID;
    const std::string sop_class = pres_info.abstractSyntax.c_str();
    Session session{assoc_,      *context_,
                    calling_ae_, static_cast<int>(context_->Options().dimse_timeout.count()),
                    peer_,       tenant_};
    switch (message->CommandField) {
      case DIMSE_C_STORE_RQ:
        return HandleStore(message->msg.CStoreRQ, pres_id);
      case DIMSE_C_FIND_RQ:
        if (!IsQueryRetrieve(sop_class)) break;
        return HandleFind(session, message->msg.CFindRQ, pres_id);
      case DIMSE_C_MOVE_RQ:
        if (!IsQueryRetrieve(sop_class)) break;
        return HandleMove(session, message->msg.CMoveRQ, pres_id);
      case DIMSE_C_GET_RQ:
        if (!IsQueryRetrieve(sop_class)) break;
        return HandleGet(session, message->msg.CGetRQ, pres_id);
      case DIMSE_N_ACTION_RQ:
        if (sop_class != kStorageCommitmentPushModel) break;
        return HandleCommitment(session, message->msg.NActionRQ, pres_id, deferred_commitment_);
      case DIMSE_C_CANCEL_RQ:
        // A cancel that arrives after its operation ended has nothing to stop.
        return EC_Normal;
      default:
        break;
    }
    // C-ECHO on the Verification context; anything else ends the association.
    return DcmThreadSCP::handleIncomingCommand(message, pres_info);
  } catch (const std::exception& e) {
    log::Error("dimse.unhandled", {{"calling_ae", calling_ae_}, {"what", e.what()}});
    return EC_IllegalCall;  // aborts the association
  }
}

OFCondition StoreScp::HandleStore(T_DIMSE_C_StoreRQ& request, T_ASC_PresentationContextID pres_id) {
  OFString abstract_syntax;
  OFString transfer_syntax;
  findPresentationContext(pres_id, abstract_syntax, transfer_syntax);
  const ScpOptions& options = context_->Options();
  Received received =
      ReceiveDataSet(assoc_, pres_id, request, transfer_syntax.c_str(),
                     {options.dimse_timeout, options.max_object_size}, std::move(buffer_));
  if (received.condition.bad()) {
    ++failed_;
    log::Warn("dimse.store.receive_failed", {{"calling_ae", calling_ae_},
                                             {"peer", peer_},
                                             {"received_bytes", received.file_size},
                                             {"error", received.condition.text()}});
    return received.condition;  // the association is gone or unusable
  }

  StoreResponse response;
  if (received.too_large) {
    response = ResponseForError(Error{
        ErrorCode::kTooLarge,
        "object larger than the limit of " + std::to_string(options.max_object_size) + " bytes"});
  } else if (abstract_syntax != request.AffectedSOPClassUID) {
    response = {0x0122, ToErrorComment("SOP Class differs from the presentation context"),
                "refused"};
  } else {
    try {
      response = IngestReceived(received.file, received.sha256, request);
    } catch (const std::exception& e) {
      log::Error("dimse.unhandled", {{"calling_ae", calling_ae_}, {"what", e.what()}});
      response = {kStatusProcessingFailure, ToErrorComment("internal error"), "refused"};
    }
  }

  const bool ok = response.status == kStatusSuccess;
  const bool warning = (response.status & 0xF000) == 0xB000;
  if (ok || warning) {
    ++stored_;
    bytes_ += received.file_size;
  }
  if (warning) ++warned_;
  if (!ok && !warning) ++failed_;
  const auto level = ok ? log::Level::kDebug : (warning ? log::Level::kInfo : log::Level::kWarn);
  if (log::Enabled(level)) {
    log::Write(level, "dimse.store",
               {{"calling_ae", calling_ae_},
                {"status", Hex(response.status)},
                {"outcome", response.outcome},
                {"bytes", received.file_size},
                {"transfer_syntax", transfer_syntax.c_str()},
                {"comment", response.comment}});
  }
  // Keep the buffer for the next object unless one huge object grew it.
  if (received.file.capacity() <= kKeptBufferBytes) {
    buffer_ = std::move(received.file);
    buffer_.clear();
  }
  return SendResponse(pres_id, request, response);
}

StoreResponse StoreScp::IngestReceived(ByteView bytes,
                                       const std::optional<crypto::Sha256Digest>& sha256,
                                       const T_DIMSE_C_StoreRQ& request) {
  auto receipt = context_->Archive().Ingest(bytes, {"dimse", calling_ae_, tenant_}, {}, sha256);
  if (!receipt) return ResponseForError(receipt.error());
  // The first object of each study on an association is an audit event,
  // written before the sender hears success; the association's end
  // records the totals.
  if (audited_studies_.insert(receipt->study_instance_uid).second) {
    audit::Event event = context_->Event(calling_ae_, peer_, audit::Action::kStore, "C-STORE");
    event.study_uid = receipt->study_instance_uid;
    event.series_uid = receipt->series_instance_uid;
    event.sop_uid = receipt->sop_instance_uid;
    event.detail = "first object of the study on this association";
    if (!context_->Audit(std::move(event))) {
      audited_studies_.erase(receipt->study_instance_uid);
      return ResponseForError(
          Error{ErrorCode::kStorageUnavailable, "the audit trail cannot be written"});
    }
  }
  // A data set whose UIDs differ from the command is kept (under the data
  // set's own UIDs, which say what it is), but the sender hears a failure so
  // that its operator sees the fault.
  return ResponseForReceipt(*receipt, request.AffectedSOPClassUID, request.AffectedSOPInstanceUID);
}

OFCondition StoreScp::SendResponse(T_ASC_PresentationContextID pres_id,
                                   const T_DIMSE_C_StoreRQ& request,
                                   const StoreResponse& response) {
  DcmDataset* detail = nullptr;
  DcmDataset detail_storage;
  if (!response.comment.empty()) {
    detail_storage.putAndInsertString(DCM_ErrorComment, response.comment.c_str());
    detail = &detail_storage;
  }
  return sendSTOREResponse(pres_id, request.MessageID, request.AffectedSOPClassUID,
                           request.AffectedSOPInstanceUID, response.status, detail);
}

void StoreScp::notifyAssociationAcknowledge() { acknowledged_ = true; }

void StoreScp::notifyReleaseRequest() { end_ = "released"; }

void StoreScp::notifyAbortRequest() { end_ = "aborted by peer"; }

void StoreScp::notifyDIMSEError(const OFCondition& cond) {
  end_ = cond == DIMSE_NODATAAVAILABLE ? "idle timeout" : std::string("error: ") + cond.text();
}

void StoreScp::notifyAssociationTermination() {
  if (!acknowledged_) {
    if (!refused_) {
      log::Warn("dimse.association.refused",
                {{"reason", "negotiation failed"}, {"calling_ae", calling_ae_}, {"peer", peer_}});
    }
    return;
  }
  const auto elapsed = std::chrono::steady_clock::now() - started_;
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  const auto level = failed_ > 0 || end_ != "released" ? log::Level::kWarn : log::Level::kInfo;
  log::Write(level, "dimse.association.end",
             {{"calling_ae", calling_ae_},
              {"peer", peer_},
              {"end", end_.empty() ? std::string("unknown") : end_},
              {"stored", stored_},
              {"warnings", warned_},
              {"failed", failed_},
              {"bytes", bytes_},
              {"ms", ms}});
}

}  // namespace cf::dimse
