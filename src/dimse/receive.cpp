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

// Writes everything or reports why not.
bool WriteAll(int fd, const std::byte* data, size_t size, std::string& error) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? std::strerror(errno) : "short write";
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Received ReceiveDataSet(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                        const T_DIMSE_C_StoreRQ& request, const std::string& transfer_syntax,
                        const std::filesystem::path& path, const ReceiveOptions& options) {
  Received result;
  if (request.DataSetType == DIMSE_DATASET_NULL) {
    result.condition = DIMSE_BADMESSAGE;  // a C-STORE without a data set
    return result;
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.Valid()) result.write_error = std::string("cannot create file: ") + std::strerror(errno);
  bool writing = fd.Valid();
  if (writing) {
    const Bytes meta =
        BuildFileMeta(request.AffectedSOPClassUID, request.AffectedSOPInstanceUID, transfer_syntax);
    writing = WriteAll(fd.Get(), meta.data(), meta.size(), result.write_error);
    result.file_size = meta.size();
  }

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
    if (writing) {
      if (result.file_size + pdv.fragmentLength > options.max_file_size) {
        result.too_large = true;
        writing = false;  // drain the rest without keeping it
      } else {
        writing = WriteAll(fd.Get(), static_cast<const std::byte*>(pdv.data), pdv.fragmentLength,
                           result.write_error);
      }
    }
    result.file_size += pdv.fragmentLength;
    if (pdv.lastPDV) break;
  }
  fd.Reset();
  if (result.condition.bad() || result.too_large || !result.write_error.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  return result;
}

}  // namespace cf::dimse
