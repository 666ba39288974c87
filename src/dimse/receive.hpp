// SPDX-License-Identifier: Apache-2.0
// Receiving the data set of a C-STORE request into memory, byte for byte as
// it arrives, behind our own file meta header. DCMTK's
// DcmSCP::receiveSTORERequest(filename) does nearly this, but DCMTK 3.6.7
// refuses data sets in transfer syntaxes it does not know (HTJ2K, JPEG XL,
// fragmentable MPEG, encapsulated uncompressed), writes the sender's AE
// title into the meta, and cannot stop writing at a size limit or when the
// disk is full. This loop reads the PDVs with the same DUL calls and keeps
// the association usable in those two cases. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "crypto/sha256.hpp"

namespace cf::dimse {

struct ReceiveOptions {
  std::chrono::seconds timeout{60};  // for each read
  uint64_t max_file_size = 0;        // file meta included
};

struct Received {
  // Bad when the association can no longer be used (peer gone, timeout,
  // protocol error); the bytes are then dropped.
  OFCondition condition;
  uint64_t file_size = 0;  // bytes received, file meta included
  bool too_large = false;  // stopped keeping bytes at max_file_size; bytes dropped
  Bytes file;              // file meta + data set as received
  // SHA-256 of `file`, hashed piece by piece as the PDVs arrived (set when
  // the whole data set was kept), so that Archive::Ingest need not hash the
  // whole object again after the last PDV, while the sender waits.
  std::optional<crypto::Sha256Digest> sha256;
};

// Receives the data set announced by `request` on `pres_id` in memory, as a
// Part 10 file in `transfer_syntax`: our file meta, then the data set bytes
// exactly as they arrive. In memory rather than through a temporary file:
// Archive::Ingest needs the bytes in memory anyway, and the file's write and
// read-back cost more CPU than the rest of the receive path (measured). When
// `too_large` is set, the rest of the data set has been read and dropped:
// answer the request with a failure status and go on. `buffer` is reused
// for the bytes (its capacity kept): growing a fresh vector for each object
// faulted in new pages every time.
Received ReceiveDataSet(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                        const T_DIMSE_C_StoreRQ& request, const std::string& transfer_syntax,
                        const ReceiveOptions& options, Bytes buffer = {});

}  // namespace cf::dimse
