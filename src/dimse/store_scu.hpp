// SPDX-License-Identifier: Apache-2.0
// Sending C-STORE requests: on an association we requested (C-MOVE
// sub-operations) or on the one a peer requested (C-GET sub-operations).
// The data set goes out byte for byte as stored (or as transcoded), not
// re-encoded by DCMTK: DCMTK's own send path rewrites undefined lengths and
// group lengths, so the receiver would not get the data set that was
// archived. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "dimse/scp_server.hpp"

namespace cf::dimse {

struct StoreRequest {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  ByteView dataset;  // in the presentation context's transfer syntax, no file meta
  uint16_t message_id = 1;
  std::string move_originator_ae;  // empty: not a C-MOVE sub-operation
  uint16_t move_originator_message_id = 0;
};

struct StoreReply {
  OFCondition condition;         // bad: no response; the association cannot be used
  uint16_t status = 0;           // the C-STORE-RSP status when `condition` is good
  bool cancel_received = false;  // a C-CANCEL-RQ for `cancel_message_id` arrived meanwhile
};

// Sends `request` on `pres_id` and waits (up to `timeout_s` per read) for
// its response. With `cancel_message_id`, a C-CANCEL-RQ for that message
// arriving before the response is noted, not treated as an error (C-GET).
StoreReply SendStore(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                     const StoreRequest& request, int timeout_s,
                     std::optional<uint16_t> cancel_message_id = std::nullopt);

// A presentation context accepted on an association.
struct AcceptedContext {
  T_ASC_PresentationContextID id = 0;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
};

// The accepted contexts of `assoc`. With `scp_role_only`, only those on
// which this side may act as storage SCU although it accepted the
// association: the peer proposed SCP role for itself (C-GET).
std::vector<AcceptedContext> AcceptedContexts(T_ASC_Association* assoc, bool scp_role_only);

// The context to send an object of `sop_class` stored in `stored_ts` on:
// one in that transfer syntax, else explicit then implicit VR little
// endian, else any other accepted for the class (the object is then
// transcoded, losslessly or not at all). nullptr when the class has none.
const AcceptedContext* ChooseContext(std::span<const AcceptedContext> contexts,
                                     std::string_view sop_class, std::string_view stored_ts);

// An association this server requests from a peer.
class OutboundAssociation {
 public:
  struct Proposal {
    std::string sop_class_uid;
    std::vector<std::string> transfer_syntaxes;
    T_ASC_SC_ROLE role = ASC_SC_ROLE_DEFAULT;
  };
  struct Params {
    std::string calling_ae;
    std::string called_ae;
    DicomPeer peer;
    uint32_t max_pdu = 131072;
    int timeout_s = 30;
  };

  // Connects and negotiates; at most 128 proposals (the rest are dropped).
  // kStorageUnavailable when the peer cannot be reached, refuses the
  // association or accepts none of the proposals.
  static Result<std::unique_ptr<OutboundAssociation>> Open(const Params& params,
                                                           std::span<const Proposal> proposals);
  ~OutboundAssociation();  // releases (or aborts) the association if still open
  OutboundAssociation(const OutboundAssociation&) = delete;
  OutboundAssociation& operator=(const OutboundAssociation&) = delete;

  T_ASC_Association* Get() const { return assoc_; }
  // Releases the association; aborts it when the release fails.
  void Release();

 private:
  OutboundAssociation() = default;
  struct Network;
  std::unique_ptr<Network> network_;
  T_ASC_Association* assoc_ = nullptr;
};

}  // namespace cf::dimse
