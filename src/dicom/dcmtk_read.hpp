// SPDX-License-Identifier: Apache-2.0
// An object in memory parsed by DCMTK, for the dicom part's readers (DICOM
// JSON, report documents): one place for the stream setup and the quieted
// logger. Not for ingest, whose parser (dcmtk_parser.cpp) also checks what
// follows the data set. Internal to the dicom part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dctagkey.h>

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

// An element's value(s) as DCMTK prints them ("\\"-joined), trailing spaces
// and NULs dropped; empty when absent.
std::string ElementText(DcmItem& item, const DcmTagKey& tag);

}  // namespace cf::dicom
