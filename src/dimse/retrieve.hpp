// SPDX-License-Identifier: Apache-2.0
// What C-MOVE and C-GET share: resolving the identifier to instances,
// sending them as C-STORE sub-operations with counts, honouring C-CANCEL,
// and the final status. move_scp.cpp and get_scp.cpp differ only in where
// the sub-operations go and how a response is sent. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmnet/assoc.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "catalog/query.hpp"
#include "dimse/store_scu.hpp"

namespace cf::dimse {

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
// `target` broke (the rest are counted as failed) or `progress` failed;
// `ops` holds the counts either way.
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

}  // namespace cf::dimse
