// SPDX-License-Identifier: Apache-2.0
#include "openjph_reference.hpp"

// ojph_arch.h defines what the other OpenJPH headers need: keep it first.
// clang-format off
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_params.h>
// clang-format on

#include <stdexcept>
#include <string>

#include "codec/htj2k.hpp"

namespace cf::codec {
namespace {

constexpr uint64_t kMaxSamples = 1ull << 30;

}  // namespace

Result<DecodedFrame> DecodeHtj2kCodestream(ByteView codestream) {
  QuietOpenJph();
  try {
    ojph::mem_infile file;
    file.open(reinterpret_cast<const ojph::ui8*>(codestream.data()), codestream.size());
    ojph::codestream cs;
    cs.read_headers(&file);
    ojph::param_siz siz = cs.access_siz();
    const ojph::point extent = siz.get_image_extent();
    const ojph::point offset = siz.get_image_offset();
    DecodedFrame f;
    f.width = extent.x - offset.x;
    f.height = extent.y - offset.y;
    f.components = static_cast<uint16_t>(siz.get_num_components());
    if (f.components == 0 || f.components > 4) {
      return Fail(ErrorCode::kInvalidDicom, "HTJ2K: unsupported component count");
    }
    const uint64_t declared = uint64_t{f.width} * f.height * f.components;
    if (declared == 0 || declared > kMaxSamples) {
      return Fail(ErrorCode::kInvalidDicom, "HTJ2K: implausible image size");
    }
    f.precision = static_cast<uint16_t>(siz.get_bit_depth(0));
    f.is_signed = siz.is_signed(0);
    for (ojph::ui32 c = 0; c < f.components; ++c) {
      const ojph::point d = siz.get_downsampling(c);
      if (d.x != 1 || d.y != 1)
        return Fail(ErrorCode::kUnsupported, "HTJ2K: subsampled components");
    }
    cs.set_planar(false);
    cs.create();
    f.samples.resize(declared);
    for (uint32_t row = 0; row < f.height; ++row) {
      for (uint32_t c = 0; c < f.components; ++c) {
        ojph::ui32 comp = 0;
        ojph::line_buf* line = cs.pull(comp);
        const ojph::si32* src = line->i32;
        for (uint32_t x = 0; x < f.width; ++x) {
          f.samples[(size_t{row} * f.width + x) * f.components + comp] = src[x];
        }
      }
    }
    cs.close();
    return f;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInvalidDicom, std::string("HTJ2K: corrupt codestream: ") + e.what());
  }
}

}  // namespace cf::codec
