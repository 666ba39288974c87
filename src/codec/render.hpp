// SPDX-License-Identifier: Apache-2.0
// Rendering one frame of an image object to a consumer format (JPEG, PNG)
// for viewers and thumbnails: the pixels a person looks at, not the ones a
// workstation computes with. PS3.18 8.3.5.1 and PS3.4 N.2 describe the
// pipeline: Modality LUT (rescale), VOI (a window or LUT), presentation
// (MONOCHROME1 inverted), colour to RGB, then the source region and the
// viewport. DCMTK's dcmimgle/dcmimage render; the encoders are DCMTK's
// (dcmjpeg's IJG for JPEG, libpng through dcmimage for PNG). Lossy output
// is the point here, so no consent is asked: the stored object is never
// touched.
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

enum class RenderFormat { kJpeg, kPng };

// PS3.3 C.11.2.1.2 (linear, sigmoid) and C.11.2.1.3 (linear exact).
enum class VoiFunction { kLinear, kLinearExact, kSigmoid };

struct RenderWindow {
  double center = 0;
  double width = 1;  // > 0; at least 1 for kLinear
  VoiFunction function = VoiFunction::kLinear;
};

// A rectangle of the source image, in pixels from its top left corner.
struct RenderRegion {
  uint32_t x = 0;
  uint32_t y = 0;
  uint32_t width = 0;   // > 0
  uint32_t height = 0;  // > 0
};

struct RenderOptions {
  RenderFormat format = RenderFormat::kJpeg;
  uint32_t frame = 1;  // 1-based
  // Grayscale only (ignored for colour): otherwise the object's first
  // Window Center/Width, else its first VOI LUT, else the frame's min-max.
  std::optional<RenderWindow> window;
  // The part of the frame to render (default: all of it).
  std::optional<RenderRegion> region;
  // Scales the region to fit in this box, aspect ratio kept; 0 x 0: the
  // region's own size.
  uint32_t viewport_width = 0;
  uint32_t viewport_height = 0;
  // False: the viewport only ever shrinks the image (thumbnails).
  bool enlarge = true;
  int quality = 90;  // JPEG, 1..100
};

// The largest viewport side RenderImage accepts: enlarging beyond it would
// take hundreds of megabytes for one request. (Without a viewport, larger
// images are rendered at their own size.)
inline constexpr uint32_t kMaxRenderSide = 4096;

// Renders frame `options.frame` of `part10` (a Part 10 file in any
// transfer syntax that Transcode decodes) as a JPEG (baseline, 8 bits, 4:4:4)
// or PNG (8 bits, grayscale or RGB). Errors: kUnsupported for an object
// without pixel data (SR, PDF, ...) or a codec we lack (video);
// kInvalidArgument for a frame, region or viewport that does not fit the
// image (the message names which); kInvalidDicom for pixels that cannot be
// decoded. Thread-safe.
Result<Bytes> RenderImage(ByteView part10, const RenderOptions& options);

// The size of the image RenderImage makes from a `width` x `height` region:
// fitted into the viewport, aspect ratio kept, at least 1 x 1.
struct RenderSize {
  uint32_t width = 0;
  uint32_t height = 0;
};
RenderSize FitToViewport(uint32_t width, uint32_t height, const RenderOptions& options);

}  // namespace cf::codec
