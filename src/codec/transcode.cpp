// SPDX-License-Identifier: Apache-2.0
#include "codec/transcode.hpp"

#include "codec/dcmtk_load.hpp"
#include "codec/htj2k_output.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimage/diregist.h>  // colour images for the JPEG encoder
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpeg/djrploss.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <span>
#include <vector>

#include "codec/frame_decoders.hpp"
#include "codec/native_layout.hpp"

namespace cf::codec {
namespace {

void RegisterCodecsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Codec failures come back as conditions, which we report; DCMTK's own
    // log lines would only repeat them on stderr.
    for (const char* name :
         {"dcmtk.dcmjpeg", "dcmtk.dcmimage", "dcmtk.dcmimgle", "dcmtk.dcmdata"}) {
      OFLog::getLogger(name).setLogLevel(OFLogger::FATAL_LOG_LEVEL);
    }
    DJDecoderRegistration::registerCodecs();
    DJEncoderRegistration::registerCodecs();
    // Not DJLS*: see frame_decoders.hpp. JPEG-LS goes through CharLS 2 here.
    DcmRLEDecoderRegistration::registerCodecs();
    DcmRLEEncoderRegistration::registerCodecs();
  });
}

bool IsJ2k(std::string_view t) {
  return t == "1.2.840.10008.1.2.4.90" || t == "1.2.840.10008.1.2.4.91" ||
         t == "1.2.840.10008.1.2.4.92" || t == "1.2.840.10008.1.2.4.93";
}
bool IsJpegLs(std::string_view t) {
  return t == "1.2.840.10008.1.2.4.80" || t == "1.2.840.10008.1.2.4.81";
}
bool IsHtj2k(std::string_view t) {
  return t == "1.2.840.10008.1.2.4.201" || t == "1.2.840.10008.1.2.4.202" ||
         t == "1.2.840.10008.1.2.4.203";
}

std::string GetString(DcmItem& item, const DcmTagKey& tag) {
  OFString v;
  if (item.findAndGetOFStringArray(tag, v).bad()) return {};
  return v.c_str();
}
uint16_t GetUs(DcmItem& item, const DcmTagKey& tag, uint16_t fallback = 0) {
  Uint16 v = 0;
  return item.findAndGetUint16(tag, v).good() ? v : fallback;
}

// The image attributes the decoders and encoders here need.
struct Image {
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint32_t frames = 1;
  uint16_t samples = 1;
  uint16_t bits_allocated = 0;
  uint16_t bits_stored = 0;
  bool is_signed = false;
  bool planar = false;
  std::string photometric;
  // Native bytes of one frame; 4:2:2 colour carries two samples per pixel.
  size_t FrameBytes() const {
    const bool half_chroma = samples == 3 && photometric.ends_with("_422");
    return size_t{rows} * columns * (half_chroma ? 2 : samples) * (bits_allocated / 8u);
  }
};

Image ReadImage(DcmItem& ds) {
  Image im;
  im.rows = GetUs(ds, DCM_Rows);
  im.columns = GetUs(ds, DCM_Columns);
  im.samples = GetUs(ds, DCM_SamplesPerPixel, 1);
  im.bits_allocated = GetUs(ds, DCM_BitsAllocated);
  im.bits_stored = GetUs(ds, DCM_BitsStored, im.bits_allocated);
  im.is_signed = GetUs(ds, DCM_PixelRepresentation) == 1;
  im.planar = im.samples > 1 && GetUs(ds, DCM_PlanarConfiguration) == 1;
  im.photometric = GetString(ds, DCM_PhotometricInterpretation);
  Sint32 frames = 1;
  if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames > 1) {
    im.frames = static_cast<uint32_t>(frames);
  }
  return im;
}

Result<std::unique_ptr<DcmFileFormat>> Load(ByteView part10) {
  auto file = std::make_unique<DcmFileFormat>();
  DcmInputBufferStream stream;
  stream.setBuffer(part10.data(), static_cast<offile_off_t>(part10.size()));
  stream.setEos();
  OFCondition status = EC_Normal;
  try {
    file->transferInit();
    status = file->read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
    file->transferEnd();
  } catch (const std::exception& e) {  // DCMTK 3.6.7 may throw mid-parse (dicom/dcmtk_read.hpp)
    return Fail(ErrorCode::kInvalidDicom,
                std::string("cannot parse: DCMTK failed on it: ") + e.what());
  }
  if (status.bad())
    return Fail(ErrorCode::kInvalidDicom, std::string("cannot parse: ") + status.text());
  return file;
}

// The fragments of each frame. PS3.5 A.4: one frame may span fragments;
// the Basic Offset Table, when present, says where frames start; without
// it, one fragment per frame, or a new frame at each codestream start.
Result<std::vector<Bytes>> SplitFrames(const Encapsulated& enc, uint32_t frames,
                                       std::span<const std::byte> start_marker) {
  if (enc.items.empty()) return Fail(ErrorCode::kInvalidDicom, "no Basic Offset Table item");
  const ByteView bot = enc.items[0];
  const size_t fragments = enc.items.size() - 1;
  if (fragments == 0) return Fail(ErrorCode::kInvalidDicom, "no fragments in the pixel data");
  std::vector<Bytes> out;
  auto append = [](Bytes& f, ByteView v) { f.insert(f.end(), v.begin(), v.end()); };
  if (frames == 1) {
    out.emplace_back();
    for (size_t i = 1; i < enc.items.size(); ++i) append(out.back(), enc.items[i]);
    return out;
  }
  std::vector<size_t> starts;  // index of each frame's first fragment
  if (bot.size() == size_t{frames} * 4) {
    // Offsets count bytes from the first fragment's item tag, headers included.
    std::vector<uint64_t> positions;
    uint64_t pos = 0;
    for (size_t i = 1; i < enc.items.size(); ++i) {
      positions.push_back(pos);
      pos += 8 + enc.items[i].size();
    }
    for (uint32_t f = 0; f < frames; ++f) {
      uint32_t off = 0;
      std::memcpy(&off, bot.data() + 4 * f, 4);
      auto it = std::find(positions.begin(), positions.end(), uint64_t{off});
      if (it == positions.end()) {
        return Fail(ErrorCode::kInvalidDicom, "Basic Offset Table entry " + std::to_string(f + 1) +
                                                  " points inside a fragment");
      }
      starts.push_back(static_cast<size_t>(it - positions.begin()) + 1);
    }
  } else if (fragments == frames) {
    for (uint32_t f = 0; f < frames; ++f) starts.push_back(f + 1);
  } else {
    for (size_t i = 1; i < enc.items.size(); ++i) {
      const ByteView v = enc.items[i];
      if (v.size() >= start_marker.size() &&
          std::equal(start_marker.begin(), start_marker.end(), v.begin())) {
        starts.push_back(i);
      }
    }
  }
  if (starts.size() != frames) {
    return Fail(ErrorCode::kInvalidDicom,
                "cannot find the start of every frame: " + std::to_string(frames) + " frames, " +
                    std::to_string(fragments) + " fragments");
  }
  for (size_t f = 0; f < starts.size(); ++f) {
    const size_t end = f + 1 < starts.size() ? starts[f + 1] : enc.items.size();
    if (starts[f] >= end) return Fail(ErrorCode::kInvalidDicom, "frames out of order");
    out.emplace_back();
    for (size_t i = starts[f]; i < end; ++i) append(out.back(), enc.items[i]);
  }
  return out;
}

constexpr std::byte kJ2kStart[] = {std::byte{0xFF}, std::byte{0x4F}, std::byte{0xFF},
                                   std::byte{0x51}};
constexpr std::byte kJpegStart[] = {std::byte{0xFF}, std::byte{0xD8}, std::byte{0xFF}};

// Replaces JPEG 2000, HTJ2K or JPEG-LS encapsulated pixel data with native
// samples, decoding frame by frame.
Result<void> DecodeFramesHere(ByteView part10, std::string_view source_ts, DcmDataset& ds) {
  auto enc = FindEncapsulatedPixels(part10);
  if (!enc) return std::unexpected(enc.error());
  const Image im = ReadImage(ds);
  const uint32_t frames = im.frames;
  const bool jpeg_ls = IsJpegLs(source_ts);
  auto split = SplitFrames(
      *enc, frames,
      jpeg_ls ? std::span<const std::byte>(kJpegStart) : std::span<const std::byte>(kJ2kStart));
  if (!split) return std::unexpected(split.error());
  const uint32_t rows = im.rows;
  const uint32_t columns = im.columns;
  const uint16_t samples = im.samples;
  const uint16_t bits_allocated = im.bits_allocated;
  const uint16_t bits_stored = im.bits_stored;
  const bool is_signed = im.is_signed;
  if (bits_allocated != 8 && bits_allocated != 16) {
    return Fail(ErrorCode::kUnsupported,
                "compressed pixels with Bits Allocated " + std::to_string(bits_allocated));
  }
  const size_t frame_samples = size_t{rows} * columns * samples;
  // The header's size is only a claim until frames decode to it: an object
  // of 876 bytes asked for 24 GB here. Nothing is reserved ahead, and what
  // native Pixel Data cannot hold (its length is 32 bits) is refused: a few
  // bytes of codestream can decode to gigabytes.
  constexpr uint64_t kMaxNativeBytes = uint64_t{4} << 30;
  const uint64_t frame_bytes = uint64_t{frame_samples} * (bits_allocated / 8);
  if (frame_bytes != 0 && frames > kMaxNativeBytes / frame_bytes) {
    return Fail(ErrorCode::kUnsupported, "decoded pixel data would exceed 4 GiB");
  }
  std::vector<Uint8> bytes8;
  std::vector<Uint16> words16;
  for (uint32_t f = 0; f < frames; ++f) {
    // HTJ2K from a sender goes to OpenJPEG too, never to OpenJPH: OpenJPH
    // 0.9 asserts on damaged packet headers (frame_decoders.hpp).
    const FrameSize size{columns, rows, samples};
    auto decoded = jpeg_ls ? DecodeJpegLsStream((*split)[f], size) : DecodeJ2k((*split)[f], size);
    if (!decoded) {
      return Fail(decoded.error().code,
                  "frame " + std::to_string(f + 1) + ": " + decoded.error().message);
    }
    // JPEG-LS carries signed samples as their low Bits Stored bits.
    const bool extend = jpeg_ls && is_signed && bits_stored < bits_allocated;
    const int shift = 32 - bits_stored;
    for (int32_t v : decoded->samples) {
      if (extend) v = static_cast<int32_t>(static_cast<uint32_t>(v) << shift) >> shift;
      if (bits_allocated == 8) {
        bytes8.push_back(static_cast<Uint8>(v));
      } else {
        words16.push_back(static_cast<Uint16>(v));
      }
    }
  }
  delete ds.remove(DCM_PixelData);
  const OFCondition put =
      bits_allocated == 8
          ? ds.putAndInsertUint8Array(DCM_PixelData, bytes8.data(), bytes8.size())
          : ds.putAndInsertUint16Array(DCM_PixelData, words16.data(), words16.size());
  if (put.bad()) return Fail(ErrorCode::kInternal, std::string("pixel data: ") + put.text());
  // The decoders undo the codestream's colour transform.
  if (im.photometric == "YBR_RCT" || im.photometric == "YBR_ICT") {
    ds.putAndInsertString(DCM_PhotometricInterpretation, "RGB");
  }
  if (samples > 1) ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
  return {};
}

Result<Bytes> Write(DcmFileFormat& file, E_TransferSyntax xfer) {
  Bytes out;
  std::vector<unsigned char> buffer(1 << 20);
  DcmOutputBufferStream stream(buffer.data(), buffer.size());
  file.transferInit();
  OFCondition cond = EC_StreamNotifyClient;
  while (cond == EC_StreamNotifyClient) {
    cond = file.write(stream, xfer, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_noChange);
    void* data = nullptr;
    offile_off_t n = 0;
    stream.flushBuffer(data, n);
    const auto* p = static_cast<const std::byte*>(data);
    out.insert(out.end(), p, p + n);
  }
  file.transferEnd();
  if (cond.bad()) return Fail(ErrorCode::kInternal, std::string("write: ") + cond.text());
  stream.flush();
  void* data = nullptr;
  offile_off_t n = 0;
  stream.flushBuffer(data, n);
  const auto* p = static_cast<const std::byte*>(data);
  out.insert(out.end(), p, p + n);
  return out;
}

// Replaces native pixel data with lossless JPEG-LS, one fragment per frame.
Result<void> EncodeJpegLsHere(DcmDataset& ds) {
  const Image im = ReadImage(ds);
  const uint32_t rows = im.rows;
  const uint32_t columns = im.columns;
  const uint16_t samples = im.samples;
  const uint16_t bits_allocated = im.bits_allocated;
  const uint16_t bits_stored = im.bits_stored;
  const bool planar = im.planar;
  const uint32_t frames = im.frames;
  if ((bits_allocated != 8 && bits_allocated != 16) || bits_stored < 2 || bits_stored > 16) {
    return Fail(ErrorCode::kUnsupported, "JPEG-LS needs 2 to 16 bits per sample");
  }
  const size_t frame_samples = size_t{rows} * columns * samples;
  const Uint8* bytes = nullptr;
  const Uint16* words = nullptr;
  unsigned long count = 0;
  const OFCondition got = bits_allocated == 8
                              ? ds.findAndGetUint8Array(DCM_PixelData, bytes, &count)
                              : ds.findAndGetUint16Array(DCM_PixelData, words, &count);
  if (got.bad() || count < frame_samples * frames) {
    return Fail(ErrorCode::kInvalidDicom, "pixel data shorter than its frames");
  }
  auto* sequence = new DcmPixelSequence(DcmTag(DCM_PixelData, EVR_OB));
  auto* offsets = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
  sequence->insert(offsets);
  DcmOffsetList offset_list;
  std::vector<int32_t> frame(frame_samples);
  const size_t plane = size_t{rows} * columns;
  for (uint32_t f = 0; f < frames; ++f) {
    const size_t base = f * frame_samples;
    for (size_t i = 0; i < frame_samples; ++i) {
      // Interleave planar colour, as JPEG-LS sample interleave expects.
      const size_t from = planar ? (i % samples) * plane + i / samples : i;
      frame[i] = bits_allocated == 8 ? bytes[base + from] : words[base + from];
    }
    auto stream = EncodeJpegLsFrame(columns, rows, samples, bits_stored, frame);
    if (!stream) {
      delete sequence;
      return std::unexpected(stream.error());
    }
    const OFCondition stored =
        sequence->storeCompressedFrame(offset_list, reinterpret_cast<Uint8*>(stream->data()),
                                       static_cast<Uint32>(stream->size()), 0);
    if (stored.bad()) {
      delete sequence;
      return Fail(ErrorCode::kInternal, std::string("JPEG-LS fragment: ") + stored.text());
    }
  }
  offsets->createOffsetTable(offset_list);
  auto* pixel_data = new DcmPixelData(DCM_PixelData);
  pixel_data->putOriginalRepresentation(EXS_JPEGLSLossless, nullptr, sequence);
  if (ds.insert(pixel_data, true).bad()) {
    delete pixel_data;
    return Fail(ErrorCode::kInternal, "cannot replace pixel data");
  }
  if (samples > 1) ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
  return {};
}

bool IsNative(std::string_view t) {
  return t == ts::kImplicitLittle || t == ts::kExplicitLittle || t == ts::kExplicitBig ||
         t == ts::kDeflated;
}

}  // namespace

bool CanProduce(std::string_view t, bool allow_lossy) {
  if (IsNative(t) || t == ts::kJpegLsLossless || t == ts::kRle || t == ts::kJpegLosslessSv1 ||
      t == ts::kHtj2kLossless || t == ts::kHtj2k) {
    return true;
  }
  return allow_lossy && t == ts::kJpegBaseline;
}

namespace {

struct Loaded {
  std::unique_ptr<DcmFileFormat> file;
  std::string source;  // transfer syntax UID as received
};

Result<Loaded> LoadWithSource(ByteView part10) {
  RegisterCodecsOnce();
  auto file = Load(part10);
  if (!file) return std::unexpected(file.error());
  Loaded out{std::move(*file), {}};
  out.source = GetString(*out.file->getMetaInfo(), DCM_TransferSyntaxUID);
  if (out.source.empty()) {
    out.source = DcmXfer(out.file->getDataset()->getOriginalXfer()).getXferID();
  }
  return out;
}

// Leaves the data set's pixel data native (decoded), whatever it came in.
Result<void> ToNative(ByteView part10, const std::string& source, DcmDataset& ds) {
  if (!ds.tagExists(DCM_PixelData) || IsNative(source)) return {};
  if (IsJ2k(source) || IsHtj2k(source) || IsJpegLs(source)) {
    return DecodeFramesHere(part10, source, ds);
  }
  const DcmXfer known(source.c_str());
  if (known.getXfer() == EXS_Unknown) {
    return Fail(ErrorCode::kUnsupported, "cannot decode transfer syntax " + source);
  }
  const OFCondition c = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
  if (c.bad() || !ds.canWriteXfer(EXS_LittleEndianExplicit)) {
    // No codec for it (video, say) is a limit of ours; a codec that fails
    // means the codestream is damaged.
    return Fail(
        c == EC_CannotChangeRepresentation ? ErrorCode::kUnsupported : ErrorCode::kInvalidDicom,
        std::string("cannot decode ") + known.getXferName() + ": " + c.text());
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<DcmFileFormat>> LoadNative(ByteView part10) {
  auto loaded = LoadWithSource(part10);
  if (!loaded) return std::unexpected(loaded.error());
  if (auto r = ToNative(part10, loaded->source, *loaded->file->getDataset()); !r) {
    return std::unexpected(r.error());
  }
  return std::move(loaded->file);
}

Result<Bytes> Transcode(ByteView part10, std::string_view target, const TranscodeOptions& options) {
  auto loaded = LoadWithSource(part10);
  if (!loaded) return std::unexpected(loaded.error());
  DcmFileFormat& file = *loaded->file;
  DcmDataset& ds = *file.getDataset();
  if (loaded->source == target) return Bytes(part10.begin(), part10.end());
  if (!CanProduce(target, options.allow_lossy)) {
    const bool lossy_refused = !options.allow_lossy && CanProduce(target, true);
    return Fail(ErrorCode::kUnsupported,
                lossy_refused
                    ? "lossy transfer syntax " + std::string(target) + " only on explicit request"
                    : "cannot produce transfer syntax " + std::string(target));
  }
  const bool has_pixels = ds.tagExists(DCM_PixelData);
  if (target == ts::kHtj2kLossless || target == ts::kHtj2k) {
    // DCMTK cannot write these syntaxes: explicit little endian first, then
    // the encapsulated file is assembled by EncodeAsHtj2k.
    if (!has_pixels) return Fail(ErrorCode::kUnsupported, "HTJ2K output needs pixel data");
    if (loaded->source == ts::kExplicitLittle) return EncodeAsHtj2k(part10, target);
    auto native = Transcode(part10, ts::kExplicitLittle);
    if (!native) return native;
    return EncodeAsHtj2k(*native, target);
  }
  // 1. Native pixels.
  if (auto r = ToNative(part10, loaded->source, ds); !r) return std::unexpected(r.error());
  // 2. The target encoding.
  const DcmXfer out(std::string(target).c_str());
  if (has_pixels && !IsNative(target)) {
    OFCondition c;
    if (target == ts::kJpegLsLossless) {
      if (auto r = EncodeJpegLsHere(ds); !r) return std::unexpected(r.error());
    } else if (target == ts::kJpegLosslessSv1) {
      DJ_RPLossless rp(1, 0);
      c = ds.chooseRepresentation(EXS_JPEGProcess14SV1, &rp);
    } else if (target == ts::kRle) {
      c = ds.chooseRepresentation(EXS_RLELossless, nullptr);
    } else {
      DJ_RPLossy rp(90);
      c = ds.chooseRepresentation(EXS_JPEGProcess1, &rp);
    }
    if (c.bad() || !ds.canWriteXfer(out.getXfer())) {
      return Fail(ErrorCode::kUnsupported, std::string("cannot encode this image as ") +
                                               out.getXferName() + ": " + c.text());
    }
  }
  return Write(file, out.getXfer());
}

Result<NativePixels> DecodePixels(ByteView part10) {
  auto loaded = LoadWithSource(part10);
  if (!loaded) return std::unexpected(loaded.error());
  DcmDataset& ds = *loaded->file->getDataset();
  if (!ds.tagExists(DCM_PixelData)) return Fail(ErrorCode::kUnsupported, "no pixel data");
  if (auto r = ToNative(part10, loaded->source, ds); !r) return std::unexpected(r.error());
  // Straight from the decoded data set (DCMTK gives host order, which is
  // little endian here): no file is written and parsed again.
  const Image im = ReadImage(ds);
  if (im.bits_allocated != 8 && im.bits_allocated != 16) {
    return Fail(ErrorCode::kUnsupported,
                "pixels with Bits Allocated " + std::to_string(im.bits_allocated));
  }
  const Uint8* bytes = nullptr;
  const Uint16* words = nullptr;
  unsigned long count = 0;
  const OFCondition got = im.bits_allocated == 8
                              ? ds.findAndGetUint8Array(DCM_PixelData, bytes, &count)
                              : ds.findAndGetUint16Array(DCM_PixelData, words, &count);
  const size_t wanted = im.FrameBytes() * im.frames;
  const size_t have = count * (im.bits_allocated / 8u);
  if (got.bad() || wanted == 0 || have < wanted) {
    return Fail(ErrorCode::kInvalidDicom, "pixel data shorter than frames");
  }
  NativePixels p;
  p.rows = im.rows;
  p.columns = im.columns;
  p.frames = im.frames;
  p.samples_per_pixel = im.samples;
  p.bits_allocated = im.bits_allocated;
  p.bits_stored = im.bits_stored;
  p.pixel_representation = im.is_signed ? 1 : 0;
  p.planar_configuration = im.planar ? 1 : 0;
  p.photometric = im.photometric;
  const auto* first = im.bits_allocated == 8 ? reinterpret_cast<const std::byte*>(bytes)
                                             : reinterpret_cast<const std::byte*>(words);
  p.data.assign(first, first + wanted);
  return p;
}

}  // namespace cf::codec
