// SPDX-License-Identifier: Apache-2.0
#include "codec/htj2k.hpp"

// ojph_arch.h defines what the other OpenJPH headers need: keep it first.
// clang-format off
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>
// clang-format on

#include <algorithm>
#include <bit>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "codec/frame_decoders.hpp"

namespace cf::codec {
namespace {

// OpenJPH prints its messages (to stdout and stderr) and throws on errors.
// A library must not write into the server's output, and 0.9.0 does not
// export configure_error(), so the streams go to /dev/null; the exception
// still tells us, and our error names the instance's blob.
}  // namespace

void QuietOpenJph() {
  static std::once_flag once;
  std::call_once(once, [] {
    static FILE* sink = std::fopen("/dev/null", "w");
    if (sink == nullptr) return;
    ojph::set_error_stream(sink);
    ojph::set_warning_stream(sink);
    ojph::set_info_stream(sink);
  });
}

namespace {

// Five wavelet levels as usual, fewer for small images: with more levels
// than the image has room for, OpenJPH 0.9 decodes some tiny images
// (10x10, 16x16 seen in real data) wrongly.
ojph::ui32 Decompositions(const FrameShape& s) {
  const uint32_t side = std::min(s.width, s.height);
  const int fit = std::bit_width(side) - 4;  // keep the lowest band at 8 samples or more
  return static_cast<ojph::ui32>(std::clamp(fit, 0, 5));
}

// Where component `c` of `row` starts in our buffer, and the distance
// between its samples: the one place that knows the three layouts.
struct RowSpan {
  size_t start;
  size_t step;
};
RowSpan RowOf(const FrameShape& s, uint32_t row, uint32_t c) {
  const size_t plane = size_t{s.width} * s.height;
  if (s.components == 1) return {size_t{row} * s.width, 1};
  if (s.planar) return {c * plane + size_t{row} * s.width, 1};
  return {size_t{row} * s.width * s.components + c, s.components};
}

template <class T>
void Feed(const FrameShape& s, const T* samples, ojph::codestream& cs) {
  ojph::ui32 comp = 0;
  ojph::line_buf* line = cs.exchange(nullptr, comp);
  for (uint32_t row = 0; row < s.height; ++row) {
    for (uint32_t c = 0; c < s.components; ++c) {
      const RowSpan r = RowOf(s, row, comp);
      const T* src = samples + r.start;
      ojph::si32* dst = line->i32;
      for (uint32_t x = 0; x < s.width; ++x) dst[x] = src[x * r.step];
      line = cs.exchange(line, comp);
    }
  }
}

// One row of one component into our layout. Out-of-range values (a
// damaged stream) wrap; the caller's SHA-256 check of the rebuilt object
// catches them.
template <class T>
void PutRow(const FrameShape& s, uint32_t row, uint32_t comp, const int32_t* src, size_t src_step,
            T* out) {
  const RowSpan r = RowOf(s, row, comp);
  T* dst = out + r.start;
  for (uint32_t x = 0; x < s.width; ++x) dst[x * r.step] = static_cast<T>(src[x * src_step]);
}

template <class T>
void Drain(const FrameShape& s, ojph::codestream& cs, T* out) {
  for (uint32_t row = 0; row < s.height; ++row) {
    for (uint32_t c = 0; c < s.components; ++c) {
      ojph::ui32 comp = 0;
      const ojph::line_buf* line = cs.pull(comp);
      PutRow(s, row, comp, line->i32, 1, out);
    }
  }
}

// OpenJPEG's samples, interleaved by component, into our layout.
template <class T>
void Scatter(const FrameShape& s, const std::vector<int32_t>& interleaved, T* out) {
  for (uint32_t row = 0; row < s.height; ++row) {
    const int32_t* line = interleaved.data() + size_t{row} * s.width * s.components;
    for (uint32_t c = 0; c < s.components; ++c) PutRow(s, row, c, line + c, s.components, out);
  }
}

}  // namespace

Result<Bytes> EncodeHtj2k(const FrameShape& shape, ByteView samples) {
  QuietOpenJph();
  try {
    ojph::codestream cs;
    ojph::param_siz siz = cs.access_siz();
    siz.set_image_extent(ojph::point(shape.width, shape.height));
    siz.set_num_components(shape.components);
    for (ojph::ui32 c = 0; c < shape.components; ++c) {
      siz.set_component(c, ojph::point(1, 1), shape.bits_per_sample, false);
    }
    siz.set_image_offset(ojph::point(0, 0));
    siz.set_tile_size(ojph::size(0, 0));
    siz.set_tile_offset(ojph::point(0, 0));
    ojph::param_cod cod = cs.access_cod();
    cod.set_num_decomposition(Decompositions(shape));
    cod.set_block_dims(64, 64);
    cod.set_progression_order("RPCL");
    cod.set_color_transform(shape.components == 3 && shape.colour_transform);
    cod.set_reversible(true);
    cs.set_planar(false);
    ojph::mem_outfile file;
    file.open(samples.size() / 2 + 4096);
    cs.write_headers(&file);
    if (shape.bits_per_sample > 8) {
      Feed(shape, reinterpret_cast<const uint16_t*>(samples.data()), cs);
    } else {
      Feed(shape, reinterpret_cast<const uint8_t*>(samples.data()), cs);
    }
    cs.flush();
    const size_t n = static_cast<size_t>(file.tell());
    Bytes out(reinterpret_cast<const std::byte*>(file.get_data()),
              reinterpret_cast<const std::byte*>(file.get_data()) + n);
    cs.close();
    return out;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kUnsupported, std::string("HTJ2K encode: ") + e.what());
  }
}

Result<void> DecodeHtj2k(const FrameShape& shape, ByteView stream, Bytes& out) {
  QuietOpenJph();
  try {
    ojph::mem_infile file;
    file.open(reinterpret_cast<const ojph::ui8*>(stream.data()), stream.size());
    ojph::codestream cs;
    cs.read_headers(&file);
    ojph::param_siz siz = cs.access_siz();
    const ojph::point extent = siz.get_image_extent();
    if (extent.x != shape.width || extent.y != shape.height ||
        siz.get_num_components() != shape.components) {
      return Fail(ErrorCode::kInternal, "HTJ2K frame shape differs from the stored layout");
    }
    // OpenJPH sizes its buffers from these before it decodes anything: an
    // offset past the extent (a damaged form) asked it for terabytes.
    // Ours are written as one tile at the origin, never subsampled.
    const ojph::point offset = siz.get_image_offset();
    const ojph::point tile_offset = siz.get_tile_offset();
    const ojph::size tile = siz.get_tile_size();
    if (offset.x != 0 || offset.y != 0 || tile_offset.x != 0 || tile_offset.y != 0 ||
        tile.w < extent.x || tile.h < extent.y) {
      return Fail(ErrorCode::kInternal, "HTJ2K tiling differs from the stored layout");
    }
    for (ojph::ui32 c = 0; c < shape.components; ++c) {
      const ojph::point step = siz.get_downsampling(c);
      if (step.x != 1 || step.y != 1 || siz.get_bit_depth(c) != shape.bits_per_sample ||
          siz.is_signed(c)) {
        return Fail(ErrorCode::kInternal, "HTJ2K sample depth differs from the stored layout");
      }
    }
    cs.set_planar(false);
    cs.create();
    const size_t count = size_t{shape.width} * shape.height * shape.components;
    if (shape.bits_per_sample > 8) {
      out.resize(count * 2);
      Drain(shape, cs, reinterpret_cast<uint16_t*>(out.data()));
    } else {
      out.resize(count);
      Drain(shape, cs, reinterpret_cast<uint8_t*>(out.data()));
    }
    cs.close();
    return {};
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("HTJ2K decode: ") + e.what());
  }
}

Result<void> DecodeHtj2kWithOpenJpeg(const FrameShape& shape, ByteView stream, Bytes& out) {
  // OpenJPEG inverts the reversible colour transform, as OpenJPH does.
  auto frame = DecodeJ2k(stream, FrameSize{shape.width, shape.height, shape.components});
  if (!frame) return Fail(ErrorCode::kInternal, "HTJ2K decode: " + frame.error().message);
  if (frame->width != shape.width || frame->height != shape.height ||
      frame->components != shape.components || frame->precision != shape.bits_per_sample ||
      frame->is_signed) {
    return Fail(ErrorCode::kInternal, "HTJ2K frame shape differs from the stored layout");
  }
  const size_t count = size_t{shape.width} * shape.height * shape.components;
  if (shape.bits_per_sample > 8) {
    out.resize(count * 2);
    Scatter(shape, frame->samples, reinterpret_cast<uint16_t*>(out.data()));
  } else {
    out.resize(count);
    Scatter(shape, frame->samples, reinterpret_cast<uint8_t*>(out.data()));
  }
  return {};
}

}  // namespace cf::codec
