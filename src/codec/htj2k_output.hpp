// SPDX-License-Identifier: Apache-2.0
// A Part 10 file in HTJ2K (1.2.840.10008.1.2.4.201 lossless only, or .203)
// made from one in explicit VR little endian with native pixels: every
// element kept as it is except the file meta's transfer syntax and Pixel
// Data, which becomes an encapsulated sequence (Basic Offset Table filled,
// one fragment per frame) of reversible HTJ2K codestreams. DCMTK 3.6.7 does
// not know these transfer syntaxes, so the file is assembled here. Internal
// to the codec part; Transcode calls it.
#pragma once

#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

// `native` must be explicit VR little endian with a file meta group.
// 8- or 16-bit images, grayscale (one sample) or unsigned colour (RGB: coded
// with the reversible colour transform and labelled YBR_RCT; YBR_FULL:
// without a transform, label unchanged; Planar Configuration set to 0), and
// only when every sample fits in Bits Stored (signed data sign-extended
// above it), so that the codestream's precision is Bits Stored as PS3.5
// 8.2.4 wants; anything else is kUnsupported.
Result<Bytes> EncodeAsHtj2k(ByteView native, std::string_view target_ts);

}  // namespace cf::codec
