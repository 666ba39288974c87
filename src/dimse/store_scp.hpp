// SPDX-License-Identifier: Apache-2.0
// One association, from negotiation to release: the DcmSCP subclass that
// DcmSCPPool runs on a worker thread. It checks AE titles, accepts
// presentation contexts by SopClassPolicy, answers C-ECHO, and receives each
// C-STORE dataset bit-exact into memory and ingests it before answering.
// C-FIND, C-MOVE, C-GET and Storage Commitment requests go to the handlers
// of service.hpp. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/scpthrd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/bytes.hpp"
#include "crypto/sha256.hpp"
#include "dimse/server_context.hpp"
#include "dimse/service.hpp"
#include "dimse/store_status.hpp"

namespace cf::dimse {

class StoreScp : public DcmThreadSCP {
 public:
  // DcmSCPPool creates workers with a default constructor, on the thread that
  // hands them the association; the context comes from the ContextScope in
  // force there.
  StoreScp();
  ~StoreScp() override;

  // Called by the pool's worker thread with an association whose request has
  // been received.
  OFCondition run(T_ASC_Association* assoc) override;

  // Names the server whose associations the StoreScp objects constructed on
  // this thread, while the scope lives, will serve.
  class ContextScope {
   public:
    explicit ContextScope(ServerContext& context);
    ~ContextScope();
    ContextScope(const ContextScope&) = delete;
    ContextScope& operator=(const ContextScope&) = delete;
  };

 protected:
  void notifyAssociationRequest(const T_ASC_Parameters& params,
                                DcmSCPActionType& desired_action) override;
  OFBool checkCalledAETitleAccepted(const OFString& called_ae) override;
  OFBool checkCallingAETitleAccepted(const OFString& calling_ae) override;
  OFCondition negotiateAssociation() override;
  OFCondition handleIncomingCommand(T_DIMSE_Message* message,
                                    const DcmPresentationContextInfo& pres_info) override;
  void notifyAssociationAcknowledge() override;
  void notifyReleaseRequest() override;
  void notifyAbortRequest() override;
  void notifyDIMSEError(const OFCondition& cond) override;
  void notifyAssociationTermination() override;

 private:
  OFCondition HandleStore(T_DIMSE_C_StoreRQ& request, T_ASC_PresentationContextID pres_id);
  StoreResponse IngestReceived(ByteView bytes, const std::optional<crypto::Sha256Digest>& sha256,
                               const T_DIMSE_C_StoreRQ& request);
  OFCondition SendResponse(T_ASC_PresentationContextID pres_id, const T_DIMSE_C_StoreRQ& request,
                           const StoreResponse& response);

  ServerContext* context_;  // not owned; the server outlives its workers
  std::string CertificateTenant() const;

  T_ASC_Association* assoc_ = nullptr;  // owned by DcmSCP once run() starts
  std::string calling_ae_;
  std::string tenant_;  // the calling AE title's hospital, once accepted
  std::string peer_;
  bool refused_ = false;       // refused and logged during negotiation
  bool acknowledged_ = false;  // negotiation succeeded
  std::string end_;            // how the association ended, for the log
  std::chrono::steady_clock::time_point started_;
  int64_t stored_ = 0;
  int64_t warned_ = 0;
  int64_t failed_ = 0;
  uint64_t bytes_ = 0;
  std::set<std::string> audited_studies_;  // studies of this association already audited
  Bytes buffer_;                           // reused across the objects of the association
  // A Storage Commitment result to report once this association has ended.
  std::unique_ptr<CommitmentReport> deferred_commitment_;
};

}  // namespace cf::dimse
