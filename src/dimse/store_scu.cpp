// SPDX-License-Identifier: Apache-2.0
// C-STORE requests as an SCU (see store_scu.hpp): the command is encoded
// with DCMTK, the data set bytes are cut into PDVs as they are, and the
// response is read with DCMTK's DIMSE layer.
#include "dimse/store_scu.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmnet/cond.h>
#include <dcmtk/dcmnet/dul.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "dimse/sop_classes.hpp"
#include "dimse/transport.hpp"

namespace cf::dimse {
namespace {

constexpr uint16_t kCommandStoreRq = 0x0001;
constexpr uint16_t kDataSetPresent = 0x0000;  // anything but 0x0101 means present

OFCondition Failure(const char* text) {
  return makeDcmnetCondition(DIMSEC_SENDFAILED, OF_error, text);
}

// The command set, implicit VR little endian with its group length (PS3.7 6.3.1).
Result<Bytes> EncodeStoreCommand(const StoreRequest& r) {
  DcmDataset command;
  command.putAndInsertString(DCM_AffectedSOPClassUID, r.sop_class_uid.c_str());
  command.putAndInsertUint16(DCM_CommandField, kCommandStoreRq);
  command.putAndInsertUint16(DCM_MessageID, r.message_id);
  command.putAndInsertUint16(DCM_Priority, 0x0000);  // medium
  command.putAndInsertUint16(DCM_CommandDataSetType, kDataSetPresent);
  command.putAndInsertString(DCM_AffectedSOPInstanceUID, r.sop_instance_uid.c_str());
  if (!r.move_originator_ae.empty()) {
    command.putAndInsertString(DCM_MoveOriginatorApplicationEntityTitle,
                               r.move_originator_ae.c_str());
    command.putAndInsertUint16(DCM_MoveOriginatorMessageID, r.move_originator_message_id);
  }
  std::array<unsigned char, 4096> buffer{};
  DcmOutputBufferStream out(buffer.data(), buffer.size());
  command.transferInit();
  const OFCondition cond = command.write(out, EXS_LittleEndianImplicit, EET_ExplicitLength, nullptr,
                                         EGL_withGL, EPD_withoutPadding);
  command.transferEnd();
  if (cond.bad()) return Fail(ErrorCode::kInternal, "cannot encode a C-STORE command");
  void* data = nullptr;
  offile_off_t length = 0;
  out.flushBuffer(data, length);
  const auto* begin = static_cast<const std::byte*>(data);
  return Bytes(begin, begin + length);
}

OFCondition WritePdv(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                     DUL_DATAPDV type, const std::byte* data, size_t length, bool last) {
  DUL_PDV pdv{};
  pdv.fragmentLength = static_cast<unsigned long>(length);
  pdv.presentationContextID = pres_id;
  pdv.pdvType = type;
  pdv.lastPDV = last ? OFTrue : OFFalse;
  // DUL copies the fragment into its PDU; it never writes through this pointer.
  pdv.data = const_cast<std::byte*>(data);
  DUL_PDVLIST list{};
  list.count = 1;
  list.pdv = &pdv;
  const OFCondition cond = DUL_WritePDVs(&assoc->DULassociation, &list);
  return cond.good() ? EC_Normal : cond;
}

// The largest data PDV the peer accepts, as DCMTK's own sender computes it.
size_t MaxFragment(const T_ASC_Association* assoc) {
  size_t length = assoc->sendPDVLength;
  const size_t max_pdu = dcmMaxOutgoingPDUSize.get();
  if (length + 12 > max_pdu) length = max_pdu - 12;
  return std::max<size_t>(length & ~size_t{1}, 2);  // even: data set bytes come in pairs
}

}  // namespace

StoreReply SendStore(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                     const StoreRequest& request, int timeout_s,
                     std::optional<uint16_t> cancel_message_id) {
  StoreReply reply;
  auto command = EncodeStoreCommand(request);
  if (!command) {
    reply.condition = Failure("cannot encode a C-STORE command");
    return reply;
  }
  reply.condition =
      WritePdv(assoc, pres_id, DUL_COMMANDPDV, command->data(), command->size(), true);
  const size_t fragment = MaxFragment(assoc);
  const ByteView data = request.dataset;
  for (size_t pos = 0; reply.condition.good() && pos < data.size(); pos += fragment) {
    const size_t length = std::min(fragment, data.size() - pos);
    reply.condition = WritePdv(assoc, pres_id, DUL_DATASETPDV, data.data() + pos, length,
                               pos + length == data.size());
  }
  if (reply.condition.bad()) return reply;

  for (;;) {
    T_DIMSE_Message message{};
    T_ASC_PresentationContextID response_pres_id = 0;
    DcmDataset* detail = nullptr;
    reply.condition = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, timeout_s, &response_pres_id,
                                           &message, &detail);
    delete detail;
    if (reply.condition.bad()) return reply;
    if (message.CommandField == DIMSE_C_CANCEL_RQ && cancel_message_id &&
        message.msg.CCancelRQ.MessageIDBeingRespondedTo == *cancel_message_id) {
      reply.cancel_received = true;
      continue;
    }
    if (message.CommandField != DIMSE_C_STORE_RSP ||
        message.msg.CStoreRSP.MessageIDBeingRespondedTo != request.message_id) {
      reply.condition = makeDcmnetCondition(DIMSEC_UNEXPECTEDRESPONSE, OF_error,
                                            "unexpected message instead of a C-STORE response");
      return reply;
    }
    reply.status = message.msg.CStoreRSP.DimseStatus;
    return reply;
  }
}

std::vector<AcceptedContext> AcceptedContexts(T_ASC_Association* assoc, bool scp_role_only) {
  std::vector<AcceptedContext> out;
  const int count = ASC_countPresentationContexts(assoc->params);
  for (int i = 0; i < count; ++i) {
    T_ASC_PresentationContext pc;
    if (ASC_getPresentationContext(assoc->params, i, &pc).bad()) continue;
    if (pc.resultReason != ASC_P_ACCEPTANCE) continue;
    if (scp_role_only && pc.acceptedRole != ASC_SC_ROLE_SCP &&
        pc.acceptedRole != ASC_SC_ROLE_SCUSCP) {
      continue;
    }
    out.push_back({pc.presentationContextID, pc.abstractSyntax, pc.acceptedTransferSyntax});
  }
  return out;
}

const AcceptedContext* ChooseContext(std::span<const AcceptedContext> contexts,
                                     std::string_view sop_class, std::string_view stored_ts) {
  const AcceptedContext* best = nullptr;
  int best_rank = 99;
  for (const auto& c : contexts) {
    if (c.sop_class_uid != sop_class) continue;
    int rank = 3;
    if (c.transfer_syntax_uid == stored_ts) {
      rank = 0;
    } else if (c.transfer_syntax_uid == kExplicitVrLittleEndian) {
      rank = 1;
    } else if (c.transfer_syntax_uid == kImplicitVrLittleEndian) {
      rank = 2;
    }
    if (rank < best_rank) {
      best = &c;
      best_rank = rank;
    }
  }
  return best;
}

struct OutboundAssociation::Network {
  ScpTransportLayer transport;  // TCP_NODELAY, as on the accepting side
  T_ASC_Network* net = nullptr;
  ~Network() {
    if (net != nullptr) ASC_dropNetwork(&net);
  }
};

Result<std::unique_ptr<OutboundAssociation>> OutboundAssociation::Open(
    const Params& params, std::span<const Proposal> proposals) {
  auto unavailable = [&](const std::string& what) {
    return Fail(ErrorCode::kStorageUnavailable, "DICOM peer " + params.called_ae + ": " + what);
  };
  std::unique_ptr<OutboundAssociation> out(new OutboundAssociation());
  out->network_ = std::make_unique<Network>();
  OFCondition cond = ASC_initializeNetwork(NET_REQUESTOR, 0, params.timeout_s, &out->network_->net);
  if (cond.bad()) return unavailable(std::string("network: ") + cond.text());
  cond = ASC_setTransportLayer(out->network_->net, &out->network_->transport, 0);
  if (cond.bad()) return unavailable(std::string("transport: ") + cond.text());

  T_ASC_Parameters* p = nullptr;
  cond = ASC_createAssociationParameters(&p, static_cast<long>(params.max_pdu));
  if (cond.bad()) return unavailable(std::string("parameters: ") + cond.text());
  ASC_setAPTitles(p, params.calling_ae.c_str(), params.called_ae.c_str(), nullptr);
  const std::string address = params.peer.host + ":" + std::to_string(params.peer.port);
  ASC_setPresentationAddresses(p, "localhost", address.c_str());
  int id = 1;  // odd, 1..255
  for (const auto& proposal : proposals) {
    if (id > 255) break;
    std::vector<const char*> syntaxes;
    for (const auto& ts : proposal.transfer_syntaxes) syntaxes.push_back(ts.c_str());
    cond = ASC_addPresentationContext(p, static_cast<T_ASC_PresentationContextID>(id),
                                      proposal.sop_class_uid.c_str(), syntaxes.data(),
                                      static_cast<int>(syntaxes.size()), proposal.role);
    if (cond.bad()) {
      ASC_destroyAssociationParameters(&p);
      return unavailable(std::string("proposal: ") + cond.text());
    }
    id += 2;
  }
  // On failure DCMTK still hands back the association (to read the reject
  // reason); it owns the parameters from here on.
  cond = ASC_requestAssociation(out->network_->net, p, &out->assoc_);
  if (cond.bad()) {
    const bool rejected = cond == DUL_ASSOCIATIONREJECTED;
    if (out->assoc_ != nullptr) {
      ASC_destroyAssociation(&out->assoc_);  // with its parameters
    } else {
      ASC_destroyAssociationParameters(&p);
    }
    return unavailable(rejected ? "association rejected" : std::string(cond.text()));
  }
  if (ASC_countAcceptedPresentationContexts(out->assoc_->params) == 0) {
    out->Release();
    return unavailable("no proposed presentation context was accepted");
  }
  return out;
}

void OutboundAssociation::Release() {
  if (assoc_ == nullptr) return;
  if (ASC_releaseAssociation(assoc_).bad()) ASC_abortAssociation(assoc_);
  ASC_destroyAssociation(&assoc_);
}

OutboundAssociation::~OutboundAssociation() { Release(); }

}  // namespace cf::dimse
