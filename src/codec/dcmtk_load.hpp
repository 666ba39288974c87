// SPDX-License-Identifier: Apache-2.0
// A Part 10 file parsed by DCMTK with its pixels made native, for the
// codec's DCMTK-based consumers (rendering) that would otherwise decode to
// bytes with Transcode and parse those again. Internal to the codec part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <memory>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

// `part10` parsed, Pixel Data (if any) decoded to native samples in place
// whatever the transfer syntax (our own decoders for JPEG 2000, HTJ2K and
// JPEG-LS, DCMTK's for the rest). Errors as Transcode's.
Result<std::unique_ptr<DcmFileFormat>> LoadNative(ByteView part10);

}  // namespace cf::codec
