// SPDX-License-Identifier: Apache-2.0
#include "codec/jpegls.hpp"

#include <charls/charls.h>

namespace cf::codec {
namespace {

charls::interleave_mode Interleave(const FrameShape& s) {
  if (s.components == 1) return charls::interleave_mode::none;
  return s.planar ? charls::interleave_mode::none : charls::interleave_mode::sample;
}

}  // namespace

Result<Bytes> EncodeJpegLs(const FrameShape& shape, ByteView samples) {
  try {
    charls::jpegls_encoder encoder;
    encoder.frame_info({shape.width, shape.height, shape.bits_per_sample, shape.components})
        .interleave_mode(Interleave(shape));
    Bytes out(encoder.estimated_destination_size());
    encoder.destination(out.data(), out.size());
    out.resize(encoder.encode(samples.data(), samples.size()));
    return out;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kUnsupported, std::string("JPEG-LS encode: ") + e.what());
  }
}

Result<void> DecodeJpegLs(const FrameShape& shape, ByteView stream, Bytes& out) {
  try {
    charls::jpegls_decoder decoder(stream.data(), stream.size(), true);
    const charls::frame_info info = decoder.frame_info();
    if (info.width != shape.width || info.height != shape.height ||
        info.bits_per_sample != shape.bits_per_sample || info.component_count != shape.components) {
      return Fail(ErrorCode::kInternal, "JPEG-LS frame shape differs from the stored layout");
    }
    out.resize(decoder.destination_size());
    decoder.decode(out.data(), out.size());
    return {};
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("JPEG-LS decode: ") + e.what());
  }
}

}  // namespace cf::codec
