// SPDX-License-Identifier: Apache-2.0
// Rendering with DCMTK's DicomImage. Compressed pixels are first made
// native by Transcode, which decodes JPEG 2000, HTJ2K and JPEG-LS with our
// own decoders (DCMTK's JPEG-LS codec must never run in this process, see
// frame_decoders.hpp); native objects (any byte order, deflated) DCMTK
// reads itself. The encoders write to a FILE*, so they get an in-memory one
// (open_memstream) instead of a temporary file.
#include "codec/render.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcxfer.h>
// diplugin.h (under the plugin headers) uses DCMTK_DCMIMGLE_EXPORT without
// including its definition: it must come first.
#include <dcmtk/dcmimgle/didefine.h>

#include <dcmtk/dcmimage/dipipng.h>
#include <dcmtk/dcmimage/diregist.h>  // colour images (RGB, YBR, PALETTE COLOR)
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

// After <cstdio>: jpeglib.h needs FILE and size_t declared.
#include <jpeglib.h>
#include <string>

#include "codec/dcmtk_load.hpp"
#include "codec/transcode.hpp"

namespace cf::codec {
namespace {

void QuietDcmtkOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Failures come back as statuses, which we report; DCMTK's own log
    // lines would only repeat them on stderr.
    for (const char* name : {"dcmtk.dcmimage", "dcmtk.dcmimgle"}) {
      OFLog::getLogger(name).setLogLevel(OFLogger::FATAL_LOG_LEVEL);
    }
  });
}

Result<void> CheckStatus(const DicomImage& image, std::string_view what) {
  const EI_Status status = image.getStatus();
  if (status == EIS_Normal) return {};
  // An attribute value DCMTK cannot render (a photometric interpretation it
  // does not know, say) is a limit of ours; the others mean a bad object.
  const ErrorCode code =
      status == EIS_NotSupportedValue ? ErrorCode::kUnsupported : ErrorCode::kInvalidDicom;
  return Fail(code, std::string(what) + ": " + DicomImage::getString(status));
}

Result<void> ApplyVoi(DicomImage& image, const RenderOptions& options) {
  if (!image.isMonochrome()) return {};  // PS3.4 N.2: colour has no VOI stage
  if (options.window) {
    RenderWindow window = *options.window;
    const bool exact = window.function == VoiFunction::kLinearExact;
    if (!(window.width > 0) || (!exact && window.width < 1)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the window width must be at least 1 (above 0 for linear-exact)");
    }
    if (exact) {
      // PS3.3 C.11.2.1.3.2 "linear exact" with (c, w) is, formula and
      // borders alike, C.11.2.1.2.1 "linear" with (c + 0.5, w + 1); DCMTK
      // implements only the latter.
      window.center += 0.5;
      window.width += 1;
    }
    image.setVoiLutFunction(window.function == VoiFunction::kSigmoid ? EFV_Sigmoid : EFV_Linear);
    if (!image.setWindow(window.center, window.width)) {
      return Fail(ErrorCode::kInvalidArgument, "the window cannot be applied to this image");
    }
    return {};
  }
  // The object's own choices first (the first of each, as PS3.4 N.2.1.1
  // leaves the choice to us), else the range of the frame's values.
  if (image.getWindowCount() > 0 && image.setWindow(0)) return {};
  if (image.getVoiLutCount() > 0 && image.setVoiLut(0)) return {};
  image.setMinMaxWindow(0);
  return {};
}

// libjpeg reports an error by calling error_exit, whose default ends the
// process; ours jumps back to CompressJpeg instead.
struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

[[noreturn]] void JumpOnJpegError(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1);
}

// Plain C types only between setjmp and longjmp (no destructor is skipped).
// Returns the malloc'ed JPEG in *out, or false.
bool CompressJpeg(const unsigned char* pixels, unsigned width, unsigned height, bool colour,
                  int quality, unsigned char** out, unsigned long* size) {
  jpeg_compress_struct cinfo{};
  JpegError error{};
  cinfo.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = JumpOnJpegError;
  if (setjmp(error.jump) != 0) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = colour ? 3 : 1;
  cinfo.in_color_space = colour ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  // No chroma subsampling: colour ultrasound and endoscopy carry thin
  // coloured lines (Doppler, measurements) that 4:2:x would smear.
  for (int c = 0; c < cinfo.num_components; ++c) {
    cinfo.comp_info[c].h_samp_factor = 1;
    cinfo.comp_info[c].v_samp_factor = 1;
  }
  jpeg_start_compress(&cinfo, TRUE);
  const size_t stride = size_t{width} * static_cast<size_t>(cinfo.input_components);
  while (cinfo.next_scanline < cinfo.image_height) {
    auto* row = const_cast<JSAMPLE*>(pixels + size_t{cinfo.next_scanline} * stride);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// JPEG through libjpeg-turbo rather than DCMTK's DiJPEGPlugin: DCMTK's
// bundled IJG 6b has no SIMD and took three quarters of a rendered
// request's time (perf); libjpeg-turbo writes the same baseline JPEG
// several times faster.
Result<Bytes> EncodeJpeg(DicomImage& image, const RenderOptions& options) {
  const bool colour = !image.isMonochrome();
  const void* pixels = image.getOutputData(8, 0, 0);  // interleaved RGB for colour
  if (pixels == nullptr) return Fail(ErrorCode::kInternal, "no 8-bit output from the renderer");
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = CompressJpeg(
      static_cast<const unsigned char*>(pixels), static_cast<unsigned>(image.getWidth()),
      static_cast<unsigned>(image.getHeight()), colour, options.quality, &buffer, &size);
  Bytes out;
  if (ok && buffer != nullptr) {
    const auto* first = reinterpret_cast<const std::byte*>(buffer);
    out.assign(first, first + size);
  }
  std::free(buffer);
  if (out.empty()) return Fail(ErrorCode::kInternal, "JPEG encoding failed");
  return out;
}

// PNG through DCMTK's libpng plugin, which writes to a FILE*: an in-memory one.
Result<Bytes> Encode(DicomImage& image, const RenderOptions& options) {
  if (options.format == RenderFormat::kJpeg) return EncodeJpeg(image, options);
  char* buffer = nullptr;
  size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  if (stream == nullptr) return Fail(ErrorCode::kInternal, "cannot open a memory stream");
  DiPNGPlugin plugin;
  plugin.setInterlaceType(E_pngInterlaceNone);
  plugin.setMetainfoType(E_pngNoMetainfo);  // no time stamp: the same image, the same bytes
  plugin.setBitsPerSample(8);
  const int written = image.writePluginFormat(&plugin, stream, 0);
  const bool closed = std::fclose(stream) == 0;  // sets buffer and size
  Bytes out;
  if (written && closed && buffer != nullptr) {
    const auto* first = reinterpret_cast<const std::byte*>(buffer);
    out.assign(first, first + size);
  }
  std::free(buffer);
  if (out.empty()) return Fail(ErrorCode::kInternal, "PNG encoding failed");
  return out;
}

}  // namespace

RenderSize FitToViewport(uint32_t width, uint32_t height, const RenderOptions& options) {
  const uint32_t vw = options.viewport_width;
  const uint32_t vh = options.viewport_height;
  if (vw == 0 || vh == 0 || width == 0 || height == 0) return {width, height};
  double scale = std::min(static_cast<double>(vw) / width, static_cast<double>(vh) / height);
  if (!options.enlarge) scale = std::min(scale, 1.0);
  const auto side = [scale](uint32_t n, uint32_t limit) {
    const auto scaled = static_cast<uint32_t>(std::lround(n * scale));
    return std::clamp<uint32_t>(scaled, 1, std::max(limit, n));
  };
  return {side(width, vw), side(height, vh)};
}

Result<Bytes> RenderImage(ByteView part10, const RenderOptions& options) {
  QuietDcmtkOnce();
  if (options.frame == 0) return Fail(ErrorCode::kInvalidArgument, "frame numbers start at 1");
  if (options.quality < 1 || options.quality > 100) {
    return Fail(ErrorCode::kInvalidArgument, "the quality must be 1..100");
  }
  if (options.viewport_width > kMaxRenderSide || options.viewport_height > kMaxRenderSide) {
    return Fail(ErrorCode::kInvalidArgument,
                "the viewport may be at most " + std::to_string(kMaxRenderSide) + " pixels wide");
  }
  // One parse, the pixels decoded in place (no detour through encoded
  // explicit little endian bytes and a second parse).
  auto file = LoadNative(part10);
  if (!file) return std::unexpected(file.error());
  DcmDataset* dataset = (*file)->getDataset();
  if (!dataset->tagExists(DCM_PixelData)) {
    return Fail(ErrorCode::kUnsupported,
                "the object has no pixel data (a report, document or waveform): only images "
                "can be rendered");
  }
  // Native now, whatever it was received in.
  const E_TransferSyntax received = dataset->getOriginalXfer();
  const E_TransferSyntax xfer =
      received == EXS_Unknown || DcmXfer(received).isEncapsulated()  // HTJ2K: unknown to DCMTK
          ? EXS_LittleEndianExplicit
          : received;
  Sint32 frames = 1;
  if (dataset->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
  if (options.frame > static_cast<uint32_t>(frames)) {
    return Fail(ErrorCode::kInvalidArgument, "frame " + std::to_string(options.frame) +
                                                 " is out of range: the instance has " +
                                                 std::to_string(frames) + " frame(s)");
  }

  // Only the requested frame is converted to DCMTK's intermediate form.
  DicomImage image(dataset, xfer, 0UL, static_cast<unsigned long>(options.frame - 1), 1UL);
  if (auto ok = CheckStatus(image, "cannot render the image"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = ApplyVoi(image, options); !ok) return std::unexpected(ok.error());

  const auto columns = static_cast<uint32_t>(image.getWidth());
  const auto rows = static_cast<uint32_t>(image.getHeight());
  const RenderRegion region = options.region.value_or(RenderRegion{0, 0, columns, rows});
  if (region.width == 0 || region.height == 0 || region.x >= columns || region.y >= rows ||
      region.width > columns - region.x || region.height > rows - region.y) {
    return Fail(ErrorCode::kInvalidArgument,
                "the source region " + std::to_string(region.x) + "," + std::to_string(region.y) +
                    "," + std::to_string(region.width) + "," + std::to_string(region.height) +
                    " is not inside the " + std::to_string(columns) + "x" + std::to_string(rows) +
                    " image");
  }
  DicomImage* out = &image;
  // Clipping and scaling in two steps: DCMTK's interpolating scaler ignores
  // a clipping region given with it in some cases.
  std::unique_ptr<DicomImage> clipped;
  if (region.width != columns || region.height != rows) {
    clipped.reset(image.createClippedImage(region.x, region.y, region.width, region.height));
    if (!clipped) return Fail(ErrorCode::kInternal, "cannot clip the image");
    if (auto ok = CheckStatus(*clipped, "cannot clip the image"); !ok) {
      return std::unexpected(ok.error());
    }
    out = clipped.get();
  }
  const RenderSize size = FitToViewport(region.width, region.height, options);
  std::unique_ptr<DicomImage> scaled;
  if (size.width != region.width || size.height != region.height) {
    // 2: DCMTK's "c't" algorithms, interpolating both when enlarging and
    // when reducing (discalet.h). Not 3 or 4 (bilinear, bicubic): in
    // DCMTK 3.6.7 they fill the last column from the first.
    scaled.reset(out->createScaledImage(static_cast<unsigned long>(size.width),
                                        static_cast<unsigned long>(size.height), 2, 0));
    if (!scaled) return Fail(ErrorCode::kInternal, "cannot scale the image");
    if (auto ok = CheckStatus(*scaled, "cannot scale the image"); !ok) {
      return std::unexpected(ok.error());
    }
    out = scaled.get();
  }
  return Encode(*out, options);
}

}  // namespace cf::codec
