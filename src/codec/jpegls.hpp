// SPDX-License-Identifier: Apache-2.0
// Lossless JPEG-LS (CharLS) of one frame of samples, as the stored form
// uses it. Internal to the codec part.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

struct FrameShape {
  uint32_t width = 0;
  uint32_t height = 0;
  uint16_t components = 1;
  uint16_t bits_per_sample = 8;  // 2..16; samples of more than 8 bits are uint16
  bool planar = false;           // components one plane after the other
  // HTJ2K, 3 components: the reversible colour transform (RGB as YBR_RCT);
  // off for data already in a luminance/chrominance space (YBR_FULL).
  bool colour_transform = true;
};

// `samples` holds width*height*components samples (bytes, or uint16 in
// host order when bits_per_sample > 8), each below 2^bits_per_sample.
Result<Bytes> EncodeJpegLs(const FrameShape& shape, ByteView samples);

// Decodes into `out` (resized), refusing a stream whose shape differs.
Result<void> DecodeJpegLs(const FrameShape& shape, ByteView stream, Bytes& out);

}  // namespace cf::codec
