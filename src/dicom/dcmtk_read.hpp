// SPDX-License-Identifier: Apache-2.0
// An object in memory parsed by DCMTK, for the dicom part's readers (DICOM
// JSON, report documents): one place for the stream setup and the quieted
// logger. Not for ingest, whose parser (dcmtk_parser.cpp) also checks what
// follows the data set. Internal to the dicom part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dctagkey.h>

#include <exception>
#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::dicom {

// A Part 10 file or a raw data set; kInvalidDicom "cannot parse: ..."
// when DCMTK cannot read it. With `stop`, the top-level elements from
// that tag on are left unread (a reader that wants a few early ones).
Result<std::unique_ptr<DcmFileFormat>> ReadWithDcmtk(ByteView bytes,
                                                     const DcmTagKey& stop = DCM_UndefinedTagKey);

// Keeps DCMTK's parse warnings off stderr (errors come back as values).
void QuietDcmtk();

// Runs `read`, a DCMTK parse returning its condition, as a Result:
// kInvalidDicom "cannot parse: ..." when it fails, and also when it
// throws. DCMTK 3.6.7 throws std::out_of_range from inside the parse of a
// directory record whose type comes twice (found by the package fuzzer in
// a DICOMDIR; dcmdump aborts on it too): a parse failure like any other,
// not the end of the command or the request that read it.
template <class Read>
Result<void> ParseGuarded(Read&& read) {
  try {
    const OFCondition status = read();
    if (status.bad())
      return Fail(ErrorCode::kInvalidDicom, std::string("cannot parse: ") + status.text());
    return {};
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInvalidDicom,
                std::string("cannot parse: DCMTK failed on it: ") + e.what());
  }
}

// An element's value(s) as DCMTK prints them ("\\"-joined), trailing spaces
// and NULs dropped; empty when absent.
std::string ElementText(DcmItem& item, const DcmTagKey& tag);

}  // namespace cf::dicom
