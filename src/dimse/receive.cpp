// SPDX-License-Identifier: Apache-2.0
// The C-STORE data set receive loop (see receive.hpp). It follows DCMTK's
// own loop: take the next PDV from the current P-DATA PDU, read another PDU
// when there is none, stop after the PDV flagged last.
#include "dimse/receive.hpp"

#include <dcmtk/dcmnet/cond.h>
#include <dcmtk/dcmnet/dul.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dimse/file_meta.hpp"
#include "dimse/listen_socket.hpp"

namespace cf::dimse {
namespace {

OFCondition NextPdv(T_ASC_Association* assoc, int timeout_s, DUL_PDV* pdv) {
  if (DUL_NextPDV(&assoc->DULassociation, pdv).good()) return EC_Normal;
  OFCondition cond = DUL_ReadPDVs(&assoc->DULassociation, nullptr, DUL_NOBLOCK, timeout_s);
  if (cond.bad() && cond != DUL_PDATAPDUARRIVED) {  // "arrived" is what we wait for
    if (cond == DUL_READTIMEOUT) return DIMSE_NODATAAVAILABLE;
    return cond;  // peer released, aborted, or the connection broke
  }
  cond = DUL_NextPDV(&assoc->DULassociation, pdv);
  if (cond.bad()) return DIMSE_READPDVFAILED;
  return EC_Normal;
}

}  // namespace

Received ReceiveDataSet(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                        const T_DIMSE_C_StoreRQ& request, const std::string& transfer_syntax,
                        const ReceiveOptions& options, Bytes buffer) {
  Received result;
  result.file = std::move(buffer);
  if (request.DataSetType == DIMSE_DATASET_NULL) {
    result.condition = DIMSE_BADMESSAGE;  // a C-STORE without a data set
    return result;
  }
  const Bytes meta =
      BuildFileMeta(request.AffectedSOPClassUID, request.AffectedSOPInstanceUID, transfer_syntax);
  result.file.assign(meta.begin(), meta.end());
  result.file_size = result.file.size();
  bool keeping = true;
  // Hashing each PDV as it arrives costs the same CPU as hashing the whole
  // object at the end, but it runs while the sender is still sending, when
  // this thread would otherwise wait for the next PDU.
  crypto::Sha256Hasher hasher;
  hasher.Update(meta);

  const int timeout_s = static_cast<int>(options.timeout.count());
  for (;;) {
    DUL_PDV pdv{};
    result.condition = NextPdv(assoc, timeout_s, &pdv);
    if (result.condition.bad()) break;
    if (pdv.pdvType != DUL_DATASETPDV) {
      result.condition = DIMSE_UNEXPECTEDPDVTYPE;
      break;
    }
    if (pdv.presentationContextID != pres_id) {
      result.condition = makeDcmnetCondition(DIMSEC_INVALIDPRESENTATIONCONTEXTID, OF_error,
                                             "data set on another presentation context");
      break;
    }
    if (keeping) {
      if (result.file_size + pdv.fragmentLength > options.max_file_size) {
        result.too_large = true;
        keeping = false;  // drain the rest without keeping it
        Bytes().swap(result.file);
      } else {
        const auto* data = static_cast<const std::byte*>(pdv.data);
        result.file.insert(result.file.end(), data, data + pdv.fragmentLength);
        hasher.Update(ByteView(data, pdv.fragmentLength));
      }
    }
    result.file_size += pdv.fragmentLength;
    if (pdv.lastPDV) break;
  }
  if (result.condition.bad()) {
    Bytes().swap(result.file);
  } else if (keeping) {
    result.sha256 = hasher.Finish();
  }
  return result;
}

}  // namespace cf::dimse
