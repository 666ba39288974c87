// SPDX-License-Identifier: Apache-2.0
#include "codec/jpegls.hpp"

#include <charls/charls.h>

#include "codec/frame_decoders.hpp"

#include <algorithm>
#include <cstring>

namespace cf::codec {
namespace {

// CharLS 2.4 stops reading a scan at a marker, where it checks that no
// bit was read past the data, or at the last byte, where that check is
// missing: a codestream without its EOI whose last bits are zeros has it
// read zeros until a 32-bit bit counter wraps around, about 4 billion
// reads (10 s of CPU for a 270-byte frame a fuzzer made, in any request
// that renders it). Every codestream reaches CharLS ending in an EOI
// marker, which stops it in time; a valid one has it already.
ByteView EndingInEoi(ByteView stream, Bytes& copy) {
  size_t end = stream.size();
  while (end > 0 && stream[end - 1] == std::byte{0}) --end;  // a fragment's even-length padding
  if (end >= 2 && stream[end - 2] == std::byte{0xff} && stream[end - 1] == std::byte{0xd9}) {
    return stream;
  }
  copy.assign(stream.begin(), stream.end());
  copy.push_back(std::byte{0xff});
  copy.push_back(std::byte{0xd9});
  return copy;
}

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
    Bytes copy;
    stream = EndingInEoi(stream, copy);
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

Result<DecodedFrame> DecodeJpegLsStream(ByteView stream, std::optional<FrameSize> expected) {
  try {
    Bytes copy;
    stream = EndingInEoi(stream, copy);
    charls::jpegls_decoder decoder(stream.data(), stream.size(), true);
    const charls::frame_info info = decoder.frame_info();
    DecodedFrame f;
    f.width = info.width;
    f.height = info.height;
    f.components = static_cast<uint16_t>(info.component_count);
    f.precision = static_cast<uint16_t>(info.bits_per_sample);
    if (f.components == 0 || f.components > 4 || info.bits_per_sample > 16) {
      return Fail(ErrorCode::kUnsupported, "JPEG-LS: unsupported components or depth");
    }
    const uint64_t count = uint64_t{f.width} * f.height * f.components;
    if (count == 0 || count > (1ull << 30)) {
      return Fail(ErrorCode::kInvalidDicom, "JPEG-LS: implausible image size");
    }
    if (auto mismatch = SizeMismatch("JPEG-LS", f.width, f.height, f.components, expected)) {
      return std::unexpected(*mismatch);
    }
    Bytes raw(decoder.destination_size());
    decoder.decode(raw.data(), raw.size());
    // Interleave mode none gives planes one after the other.
    const bool planar = decoder.interleave_mode() == charls::interleave_mode::none;
    const size_t plane = size_t{f.width} * f.height;
    f.samples.resize(count);
    for (size_t i = 0; i < count; ++i) {
      int32_t v;
      if (f.precision > 8) {
        uint16_t w;
        std::memcpy(&w, raw.data() + 2 * i, 2);
        v = w;
      } else {
        v = std::to_integer<int32_t>(raw[i]);
      }
      const size_t at = planar && f.components > 1 ? (i % plane) * f.components + i / plane : i;
      f.samples[at] = v;
    }
    return f;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInvalidDicom, std::string("JPEG-LS: corrupt stream: ") + e.what());
  }
}

Result<Bytes> EncodeJpegLsFrame(uint32_t width, uint32_t height, uint16_t components, uint16_t bits,
                                const std::vector<int32_t>& samples) {
  const uint32_t mask = bits >= 32 ? 0xFFFFFFFFu : (uint32_t{1} << bits) - 1;
  Bytes packed(samples.size() * (bits > 8 ? 2 : 1));
  for (size_t i = 0; i < samples.size(); ++i) {
    const uint32_t v = static_cast<uint32_t>(samples[i]) & mask;
    if (bits > 8) {
      const uint16_t w = static_cast<uint16_t>(v);
      std::memcpy(packed.data() + 2 * i, &w, 2);
    } else {
      packed[i] = static_cast<std::byte>(v);
    }
  }
  return EncodeJpegLs({width, height, components, std::max<uint16_t>(bits, 2), false}, packed);
}

}  // namespace cf::codec
