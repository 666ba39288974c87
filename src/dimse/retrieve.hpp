// SPDX-License-Identifier: Apache-2.0
// What C-MOVE and C-GET share: resolving the identifier to instances,
// sending them as C-STORE sub-operations with counts, honouring C-CANCEL,
// and the final status. move_scp.cpp and get_scp.cpp differ only in where
// the sub-operations go and how a response is sent. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmnet/assoc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "catalog/query.hpp"
#include "dimse/store_scu.hpp"

namespace cf::dimse {

struct Session;

inline constexpr uint16_t kStatusPending = 0xFF00;
inline constexpr uint16_t kStatusCancel = 0xFE00;
inline constexpr uint16_t kStatusSubOperationsFailed = 0xB000;  // some failed or warned
inline constexpr uint16_t kStatusMoveDestinationUnknown = 0xA801;
inline constexpr uint16_t kStatusUnableToPerformSubOperations = 0xA702;
inline constexpr uint16_t kStatusIdentifierDoesNotMatch = 0xA900;
inline constexpr uint16_t kStatusUnableToProcess = 0xC000;

struct SubOperations {
  int remaining = 0;
  int completed = 0;
  int failed = 0;
  int warning = 0;
  std::vector<std::string> failed_uids;  // SOP Instance UIDs
  bool cancelled = false;
};

// The instances `query` (instance level) matches, first version of each
// (catalog Search handles UID lists), read `page_size` at a time.
Result<std::vector<catalog::InstanceRecord>> ResolveInstances(archive::Archive& archive,
                                                              const catalog::Query& query,
                                                              int page_size);

// Where sub-operations go.
struct SubOperationTarget {
  T_ASC_Association* assoc = nullptr;  // not owned
  std::vector<AcceptedContext> contexts;
  std::string move_originator_ae;  // C-MOVE only
  uint16_t move_originator_message_id = 0;
  std::optional<uint16_t> cancel_message_id;  // C-GET: C-CANCEL may come between responses
  int timeout_s = 60;
};

// Sends every instance of `instances` to `target`, each in the best
// transfer syntax the target accepted (transcoded losslessly when needed,
// never lossy). Before each one `cancelled()` is asked; after each one
// `progress(ops)` sends a pending response. Returns a bad condition when
// `target` broke (the rest of `instances` are counted as failed) or
// `progress` failed; `ops` holds the counts either way. The caller sets
// `ops.remaining` first: `instances` and whatever it sends after them on
// other associations (C-MOVE batches), so pending counts cover the whole
// retrieve.
OFCondition RunSubOperations(archive::Archive& archive,
                             const std::vector<catalog::InstanceRecord>& instances,
                             SubOperationTarget& target, const std::function<bool()>& cancelled,
                             const std::function<OFCondition(const SubOperations&)>& progress,
                             SubOperations& ops);

// The final status for `ops`: cancel, 0xB000 when any failed or warned,
// success otherwise.
uint16_t FinalStatus(const SubOperations& ops);

// The final response identifier: Failed SOP Instance UID List (0008,0058),
// or nullptr when nothing failed.
std::unique_ptr<DcmDataset> FailedInstancesIdentifier(const SubOperations& ops);

// A status detail data set holding only an Error Comment (0000,0902).
std::unique_ptr<DcmDataset> ErrorCommentDetail(std::string_view comment);

// The instances a C-MOVE or C-GET identifier names; on failure, the status
// (0xA900 for an identifier we refuse, 0xC000 otherwise) and the comment.
struct RetrieveRefusal {
  uint16_t status = kStatusUnableToProcess;
  std::string comment;
};
// Also writes the audit event of the retrieve (one per study matched, for
// `service` "C-MOVE" or "C-GET" to `destination`) before anything is sent;
// a retrieve that cannot be audited is refused.
std::expected<std::vector<catalog::InstanceRecord>, RetrieveRefusal> ResolveRetrieve(
    Session& session, DcmDataset& identifier, std::string_view sop_class_uid,
    std::string_view service, std::string_view destination);

// Sub-operation counts into a C-MOVE or C-GET response, whose structs have
// the same fields but their own flag constants; Remaining only while the
// operation is pending (or cancelled), as PS3.4 C.4.2.1.6 wants.
template <class Response>
void SetSubOperationCounts(Response& response, uint16_t status, const SubOperations& counts,
                           unsigned remaining_flag, unsigned other_flags) {
  const auto clamp = [](int n) { return static_cast<DIC_US>(std::clamp(n, 0, 65535)); };
  response.NumberOfRemainingSubOperations = clamp(counts.remaining);
  response.NumberOfCompletedSubOperations = clamp(counts.completed);
  response.NumberOfFailedSubOperations = clamp(counts.failed);
  response.NumberOfWarningSubOperations = clamp(counts.warning);
  response.opts |= other_flags;
  if (status == kStatusPending || status == kStatusCancel) response.opts |= remaining_flag;
}

// The log line of a finished C-MOVE (`event` "dimse.move") or C-GET
// ("dimse.get", whose destination is the requester): AE titles and counts
// only.
void LogRetrieve(std::string_view event, const Session& session, std::string_view destination,
                 uint16_t status, int64_t matched, const SubOperations& ops,
                 std::string_view comment, std::chrono::steady_clock::time_point started);

}  // namespace cf::dimse
