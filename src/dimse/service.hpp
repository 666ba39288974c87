// SPDX-License-Identifier: Apache-2.0
// The services an association offers besides C-ECHO and C-STORE: C-FIND,
// C-MOVE and C-GET (Query/Retrieve, PS3.4 C) and Storage Commitment Push
// Model (PS3.4 J). Each handler runs on the association's worker thread,
// receives the rest of its request (the identifier or action information),
// answers, and returns a bad condition only when the association can no
// longer be used. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

#include <memory>
#include <string>
#include <vector>

#include "dimse/commitment_outbox.hpp"
#include "dimse/server_context.hpp"

namespace cf::dimse {

// What a handler needs of the association it serves.
struct Session {
  T_ASC_Association* assoc = nullptr;  // not owned
  ServerContext& context;
  std::string calling_ae;
  int timeout_s = 60;  // for each read from the peer
  std::string peer;    // the requester's address, for the audit trail
  std::string tenant;  // the calling AE title's hospital: all it may see
};

// Receives the data set that follows a request command (a Query/Retrieve
// identifier, N-ACTION information) on `pres_id`. A bad condition means the
// association cannot be used.
OFCondition ReceiveRequestDataSet(Session& session, T_ASC_PresentationContextID pres_id,
                                  std::unique_ptr<DcmDataset>& out);

// "0x0000" for logs.
std::string StatusHex(uint16_t status);

OFCondition HandleFind(Session& session, T_DIMSE_C_FindRQ& request,
                       T_ASC_PresentationContextID pres_id);
OFCondition HandleMove(Session& session, T_DIMSE_C_MoveRQ& request,
                       T_ASC_PresentationContextID pres_id);
OFCondition HandleGet(Session& session, T_DIMSE_C_GetRQ& request,
                      T_ASC_PresentationContextID pres_id);

// N-ACTION on the Storage Commitment Push Model context: answers the
// N-ACTION, checks every referenced instance, and reports the result with
// N-EVENT-REPORT on this association. When that is not possible (the
// requester released it), `deferred` receives the report to send on a new
// association once this one has ended (see SendDeferredCommitment).
OFCondition HandleCommitment(Session& session, T_DIMSE_N_ActionRQ& request,
                             T_ASC_PresentationContextID pres_id,
                             std::unique_ptr<CommitmentReport>& deferred);
// Reports on a new association; when that fails, the report waits in the
// outbox (ScpOptions::commitment_outbox) or, without one, is logged.
void SendDeferredCommitment(ServerContext& context, const std::string& requester_ae,
                            const CommitmentReport& report);
// Tries the outbox's reports that are due; returns how many were delivered.
int RetryDueCommitments(const ServerContext& context);

}  // namespace cf::dimse
