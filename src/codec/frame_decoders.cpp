// SPDX-License-Identifier: Apache-2.0
#include "codec/frame_decoders.hpp"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

namespace cf::codec {
namespace {

// A frame larger than this is refused before decoding: a damaged header
// must not make us allocate what it claims.
constexpr uint64_t kMaxSamples = 1ull << 30;

struct MemoryReader {
  ByteView data;
  uint64_t pos = 0;
};

OPJ_SIZE_T Read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* r = static_cast<MemoryReader*>(user);
  if (r->pos >= r->data.size()) return static_cast<OPJ_SIZE_T>(-1);
  const uint64_t take = std::min<uint64_t>(n, r->data.size() - r->pos);
  std::memcpy(buffer, r->data.data() + r->pos, take);
  r->pos += take;
  return take;
}
OPJ_OFF_T Skip(OPJ_OFF_T n, void* user) {
  auto* r = static_cast<MemoryReader*>(user);
  const int64_t to = std::clamp<int64_t>(static_cast<int64_t>(r->pos) + n, 0,
                                         static_cast<int64_t>(r->data.size()));
  const OPJ_OFF_T moved = to - static_cast<int64_t>(r->pos);
  r->pos = static_cast<uint64_t>(to);
  return moved;
}
OPJ_BOOL Seek(OPJ_OFF_T to, void* user) {
  auto* r = static_cast<MemoryReader*>(user);
  if (to < 0 || static_cast<uint64_t>(to) > r->data.size()) return OPJ_FALSE;
  r->pos = static_cast<uint64_t>(to);
  return OPJ_TRUE;
}

struct CodecDeleter {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct ImageDeleter {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};

void Quiet(const char*, void*) {}

}  // namespace

std::optional<Error> SizeMismatch(const char* codec, uint32_t width, uint32_t height,
                                  uint32_t components, const std::optional<FrameSize>& expected) {
  if (!expected || (width == expected->width && height == expected->height &&
                    components == expected->components)) {
    return std::nullopt;
  }
  const auto size = [](uint32_t w, uint32_t h, uint32_t c) {
    return std::to_string(w) + "x" + std::to_string(h) + "x" + std::to_string(c);
  };
  return Error{ErrorCode::kInvalidDicom,
               std::string(codec) + ": the codestream declares " + size(width, height, components) +
                   ", Columns, Rows and Samples per Pixel say " +
                   size(expected->width, expected->height, expected->components)};
}

Result<DecodedFrame> DecodeJ2k(ByteView codestream, std::optional<FrameSize> expected) {
  static constexpr unsigned char kJp2Signature[] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' '};
  const bool jp2 = codestream.size() >= 8 && std::memcmp(codestream.data(), kJp2Signature, 8) == 0;
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(
      opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  if (!codec) return Fail(ErrorCode::kInternal, "JPEG 2000: no decoder");
  opj_set_info_handler(codec.get(), Quiet, nullptr);
  opj_set_warning_handler(codec.get(), Quiet, nullptr);
  opj_set_error_handler(codec.get(), Quiet, nullptr);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec.get(), &params)) {
    return Fail(ErrorCode::kInternal, "JPEG 2000: decoder setup failed");
  }
  MemoryReader reader{codestream};
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(1 << 16, OPJ_TRUE));
  opj_stream_set_user_data(stream.get(), &reader, nullptr);
  opj_stream_set_user_data_length(stream.get(), codestream.size());
  opj_stream_set_read_function(stream.get(), Read);
  opj_stream_set_skip_function(stream.get(), Skip);
  opj_stream_set_seek_function(stream.get(), Seek);
  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw)) {
    return Fail(ErrorCode::kInvalidDicom, "JPEG 2000: unreadable codestream header");
  }
  std::unique_ptr<opj_image_t, ImageDeleter> image(raw);
  if (image->numcomps == 0 || image->numcomps > 4) {
    return Fail(ErrorCode::kInvalidDicom, "JPEG 2000: unsupported component count");
  }
  const uint64_t declared =
      uint64_t{image->x1 - image->x0} * (image->y1 - image->y0) * image->numcomps;
  if (declared == 0 || declared > kMaxSamples) {
    return Fail(ErrorCode::kInvalidDicom, "JPEG 2000: implausible image size");
  }
  if (auto mismatch = SizeMismatch("JPEG 2000", image->x1 - image->x0, image->y1 - image->y0,
                                   image->numcomps, expected)) {
    return std::unexpected(*mismatch);
  }
  if (!opj_decode(codec.get(), stream.get(), image.get()) ||
      !opj_end_decompress(codec.get(), stream.get())) {
    return Fail(ErrorCode::kInvalidDicom, "JPEG 2000: corrupt codestream");
  }
  DecodedFrame f;
  const opj_image_comp_t& c0 = image->comps[0];
  f.width = c0.w;
  f.height = c0.h;
  f.components = static_cast<uint16_t>(image->numcomps);
  f.precision = static_cast<uint16_t>(c0.prec);
  f.is_signed = c0.sgnd != 0;
  for (uint32_t c = 0; c < image->numcomps; ++c) {
    const opj_image_comp_t& ci = image->comps[c];
    if (ci.w != f.width || ci.h != f.height || ci.dx != 1 || ci.dy != 1 || ci.data == nullptr) {
      return Fail(ErrorCode::kUnsupported, "JPEG 2000: subsampled components");
    }
  }
  const size_t plane = size_t{f.width} * f.height;
  f.samples.resize(plane * f.components);
  for (uint32_t c = 0; c < f.components; ++c) {
    const OPJ_INT32* src = image->comps[c].data;
    for (size_t i = 0; i < plane; ++i) f.samples[i * f.components + c] = src[i];
  }
  return f;
}

}  // namespace cf::codec
