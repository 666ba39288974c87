// SPDX-License-Identifier: Apache-2.0
#include "codec/frame_access.hpp"

#include "codec/htj2k.hpp"

#include <algorithm>
#include <cstring>
#include <span>

#include "codec/native_layout.hpp"
#include "codec/stored_form.hpp"

namespace cf::codec {
namespace {

constexpr std::string_view kJpegFamily[] = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                                            "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
                                            "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"};
constexpr std::string_view kJ2kFamily[] = {"1.2.840.10008.1.2.4.90",  "1.2.840.10008.1.2.4.91",
                                           "1.2.840.10008.1.2.4.92",  "1.2.840.10008.1.2.4.93",
                                           "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
                                           "1.2.840.10008.1.2.4.203"};
constexpr std::string_view kRleLossless = "1.2.840.10008.1.2.5";

bool In(std::span<const std::string_view> list, std::string_view ts) {
  return std::ranges::find(list, ts) != list.end();
}

uint64_t Le(ByteView v, size_t at, int n) {
  uint64_t out = 0;
  for (int i = 0; i < n; ++i) out |= std::to_integer<uint64_t>(v[at + i]) << (8 * i);
  return out;
}

uint32_t Be(ByteView v, size_t at, int n) {
  uint32_t out = 0;
  for (int i = 0; i < n; ++i) out = (out << 8) | std::to_integer<uint32_t>(v[at + i]);
  return out;
}

bool StartsWith(ByteView v, std::initializer_list<uint8_t> marker) {
  if (v.size() < marker.size()) return false;
  size_t i = 0;
  for (uint8_t b : marker) {
    if (std::to_integer<uint8_t>(v[i++]) != b) return false;
  }
  return true;
}

// Ends with FF D9 (JPEG EOI and JPEG 2000 EOC are the same two bytes),
// maybe followed by the one padding byte that makes a fragment even.
bool EndsWithEoi(ByteView v) {
  size_t n = v.size();
  if (n > 0 && std::to_integer<uint8_t>(v[n - 1]) == 0) --n;
  return n >= 2 && std::to_integer<uint8_t>(v[n - 2]) == 0xFF &&
         std::to_integer<uint8_t>(v[n - 1]) == 0xD9;
}

// Index (into fragments) of each frame's first fragment from a Basic Offset
// Table: offsets count from the first fragment's item tag, item headers
// included. Empty when the table does not name exactly `frames` fragment
// starts, first one first, in order.
std::vector<size_t> StartsFromOffsetTable(ByteView bot, std::span<const ByteView> fragments,
                                          uint32_t frames) {
  if (bot.size() != size_t{frames} * 4) return {};
  std::vector<size_t> starts;
  size_t next = 0;
  uint64_t position = 0;
  for (uint32_t f = 0; f < frames; ++f) {
    const uint64_t offset = Le(bot, 4 * size_t{f}, 4);
    while (next < fragments.size() && position < offset) position += 8 + fragments[next++].size();
    if (next == fragments.size() || position != offset) return {};
    if (!starts.empty() && starts.back() == next) return {};
    if (starts.empty() && next != 0) return {};
    starts.push_back(next);
  }
  return starts;
}

// Frame starts by markers: a frame begins where a fragment starts with the
// codestream's start marker right after a fragment that ends one. Entropy
// coded JPEG data cannot hold FF D8 and JPEG 2000 packet data cannot hold
// FF 4F FF 51, so only a stream's own first fragment matches; requiring the
// end marker before it too, and the exact frame count, leaves no doubt.
std::vector<size_t> StartsFromMarkers(std::span<const ByteView> fragments, uint32_t frames,
                                      bool jpeg) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < fragments.size(); ++i) {
    const bool start = jpeg ? StartsWith(fragments[i], {0xFF, 0xD8, 0xFF})
                            : StartsWith(fragments[i], {0xFF, 0x4F, 0xFF, 0x51});
    if (i == 0 && !start) return {};
    if (start && (i == 0 || EndsWithEoi(fragments[i - 1]))) starts.push_back(i);
  }
  if (fragments.empty() || !EndsWithEoi(fragments.back()) || starts.size() != frames) return {};
  return starts;
}

// ---- Stored form (docs/storage-format.md, versions 1 and 2) ----

constexpr size_t kHeaderBytes = 136;
constexpr uint32_t kNativePixels = 1;
constexpr uint16_t kHtj2kCodec = 2;
enum Transform : uint8_t { kIdentity = 0, kSignedShift = 1 };

struct FormHeader {
  uint32_t frames = 0;
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint16_t samples = 0;
  uint16_t bits_allocated = 0;
  uint16_t bits_stored = 0;
  uint16_t pixel_representation = 0;
  uint16_t codec = 0;
};

// Whether `stream` is an HTJ2K codestream (Rsiz capability bit 14, Part 15)
// of the form's unsigned `bits`-bit components (one, or three) of the
// stored frame size that ends with EOC: what the SIZ sign change below
// relies on.
bool CodesUnsignedFrame(ByteView stream, const FormHeader& h, uint16_t bits) {
  if (stream.size() < 4 + 41 + 2 || !StartsWith(stream, {0xFF, 0x4F, 0xFF, 0x51})) return false;
  const uint32_t lsiz = Be(stream, 4, 2);
  const uint32_t rsiz = Be(stream, 6, 2);
  const uint32_t width = Be(stream, 8, 4) - Be(stream, 16, 4);
  const uint32_t height = Be(stream, 12, 4) - Be(stream, 20, 4);
  const uint32_t components = Be(stream, 40, 2);
  // Lsiz is 38 + 3 bytes per component; each component's Ssiz, XRsiz, YRsiz.
  if (components != h.samples || lsiz != 38 + 3 * components || stream.size() < 4 + lsiz + 2) {
    return false;
  }
  for (uint32_t c = 0; c < components; ++c) {
    if (Be(stream, 42 + 3 * c, 1) != uint32_t{bits} - 1u) return false;
  }
  return (rsiz & 0x4000) != 0 && width == h.columns && height == h.rows && EndsWithEoi(stream);
}

}  // namespace

bool HasFrameFragments(std::string_view transfer_syntax) {
  return In(kJpegFamily, transfer_syntax) || In(kJ2kFamily, transfer_syntax) ||
         transfer_syntax == kRleLossless;
}

Result<std::vector<Bytes>> EncapsulatedFrames(ByteView part10, uint32_t number_of_frames) {
  auto enc = FindEncapsulatedPixels(part10);
  if (!enc) {
    const LayoutResult native = FindNativeLayout(part10);
    if (enc.error().code == ErrorCode::kInvalidArgument || native.layout) {
      return Fail(ErrorCode::kUnsupported, "the pixel data is not encapsulated");
    }
    return std::unexpected(enc.error());
  }
  if (!HasFrameFragments(enc->transfer_syntax)) {
    return Fail(ErrorCode::kUnsupported, "transfer syntax " + enc->transfer_syntax +
                                             " has no compressed frames to send as they are");
  }
  if (enc->items.size() < 2)
    return Fail(ErrorCode::kInvalidDicom, "no fragments in the pixel data");
  if (number_of_frames == 0) return Fail(ErrorCode::kInvalidArgument, "no frames");
  const ByteView bot = enc->items.front();
  const std::span<const ByteView> fragments(enc->items.data() + 1, enc->items.size() - 1);

  std::vector<size_t> starts;
  if (number_of_frames == 1) {
    starts = {0};  // every fragment belongs to the one frame (PS3.5 A.4)
  } else {
    starts = StartsFromOffsetTable(bot, fragments, number_of_frames);
    // A fragment never holds more than one frame (PS3.5 A.4), so as many
    // fragments as frames is one each.
    if (starts.empty() && fragments.size() == number_of_frames) {
      for (size_t i = 0; i < fragments.size(); ++i) starts.push_back(i);
    }
    // RLE has exactly one fragment per frame, so it never gets here intact.
    if (starts.empty() && enc->transfer_syntax != kRleLossless) {
      starts =
          StartsFromMarkers(fragments, number_of_frames, In(kJpegFamily, enc->transfer_syntax));
    }
  }
  if (starts.size() != number_of_frames) {
    return Fail(ErrorCode::kUnsupported,
                "cannot tell the " + std::to_string(number_of_frames) + " frames apart in " +
                    std::to_string(fragments.size()) + " fragments without decoding");
  }
  std::vector<Bytes> frames;
  frames.reserve(starts.size());
  for (size_t f = 0; f < starts.size(); ++f) {
    const size_t end = f + 1 < starts.size() ? starts[f + 1] : fragments.size();
    Bytes frame;
    for (size_t i = starts[f]; i < end; ++i) {
      frame.insert(frame.end(), fragments[i].begin(), fragments[i].end());
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::array<uint8_t, 32> StoredFormReceivedSha256(ByteView stored_form) {
  std::array<uint8_t, 32> digest{};
  std::memcpy(digest.data(), stored_form.data() + 24, digest.size());
  return digest;
}

Result<std::vector<Bytes>> StoredFormHtj2kFrames(ByteView blob) {
  if (!IsStoredForm(blob)) return Fail(ErrorCode::kInvalidArgument, "not a stored form");
  // Version 2 adds a byte order flag (the codestreams code samples, not
  // bytes, so big endian objects serve the same) and 32-bit samples (no
  // DICOM HTJ2K form: refused below).
  const uint64_t version = Le(blob, 8, 4);
  if ((version != 1 && version != 2) || Le(blob, 132, 4) != kHeaderBytes) {
    return Fail(ErrorCode::kUnsupported, "stored form: unknown version");
  }
  if (Le(blob, 12, 4) != kNativePixels) {
    return Fail(ErrorCode::kUnsupported, "the stored form holds no compressed frames");
  }
  FormHeader h;
  h.frames = static_cast<uint32_t>(Le(blob, 72, 4));
  h.rows = static_cast<uint32_t>(Le(blob, 76, 4));
  h.columns = static_cast<uint32_t>(Le(blob, 80, 4));
  h.samples = static_cast<uint16_t>(Le(blob, 84, 2));
  h.bits_allocated = static_cast<uint16_t>(Le(blob, 86, 2));
  h.bits_stored = static_cast<uint16_t>(Le(blob, 88, 2));
  h.pixel_representation = static_cast<uint16_t>(Le(blob, 90, 2));
  h.codec = static_cast<uint16_t>(Le(blob, 94, 2));
  if (h.codec != kHtj2kCodec) {
    return Fail(ErrorCode::kUnsupported, "the stored form's frames are not HTJ2K");
  }
  // Colour frames carry the reversible colour transform: right for RGB
  // (DICOM's YBR_RCT, which a decoder returns as RGB), recoded without it
  // for YBR_FULL (whose samples must stay as they are); the photometric
  // interpretation is in the bytes before the pixels.
  std::string photometric;
  if (h.samples == 3) {
    if (h.pixel_representation != 0) {
      return Fail(ErrorCode::kUnsupported, "signed colour frames are not served as HTJ2K");
    }
    auto rest = DecodeStoredFormWithoutPixels(blob);
    if (!rest) return Fail(ErrorCode::kInternal, rest.error().message);
    const LayoutResult found = FindNativeLayout(*rest);
    photometric = found.layout ? found.layout->photometric : std::string();
    if (photometric != "RGB" && photometric != "YBR_FULL") {
      return Fail(ErrorCode::kUnsupported,
                  "colour frames are served as HTJ2K for RGB and YBR_FULL only");
    }
  } else if (h.samples != 1) {
    return Fail(ErrorCode::kUnsupported, "frames of this sample count are not served as HTJ2K");
  }
  if (h.bits_allocated > 16 || h.bits_stored < 2 || h.bits_stored > h.bits_allocated ||
      h.pixel_representation > 1) {
    return Fail(ErrorCode::kUnsupported, "sample layout not served as HTJ2K");
  }
  size_t pos = kHeaderBytes;
  const auto has = [&](uint64_t n) { return n <= blob.size() - pos; };
  if (!has(8)) return Fail(ErrorCode::kInternal, "stored form: truncated");
  const uint64_t skip = Le(blob, pos, 8);  // the zstd frame of the bytes before the pixels
  pos += 8;
  if (!has(skip)) return Fail(ErrorCode::kInternal, "stored form: truncated");
  pos += skip;
  // Each frame is at least a 47-byte codestream: a larger count is damage.
  if (h.frames > blob.size() / 47) return Fail(ErrorCode::kInternal, "stored form: frame count");
  std::vector<Bytes> frames;
  frames.reserve(h.frames);
  const bool is_signed = h.pixel_representation == 1;
  for (uint32_t f = 0; f < h.frames; ++f) {
    if (!has(8)) return Fail(ErrorCode::kInternal, "stored form: frame header truncated");
    const auto transform = static_cast<uint8_t>(Le(blob, pos, 1));
    const auto bits = static_cast<uint16_t>(Le(blob, pos + 2, 2));
    const uint64_t length = Le(blob, pos + 4, 4);
    pos += 8;
    if (!has(length)) return Fail(ErrorCode::kInternal, "stored form: frame damaged");
    const ByteView stream = blob.subspan(pos, length);
    pos += length;
    // Unsigned: the samples themselves, all below 2^BitsStored. Signed: the
    // shift, which only applies when the bits above Bits Stored only extend
    // the sign. Anything else (bits above Bits Stored kept, the top-bit
    // flip) has no DICOM HTJ2K form with this Bits Stored.
    const Transform wanted = is_signed ? kSignedShift : kIdentity;
    if (transform != wanted || bits != h.bits_stored) {
      return Fail(
          ErrorCode::kUnsupported,
          "frame " + std::to_string(f + 1) + " keeps bits above Bits Stored: not served as HTJ2K");
    }
    if (!CodesUnsignedFrame(stream, h, bits)) {
      return Fail(ErrorCode::kInternal,
                  "stored form: frame " + std::to_string(f + 1) + " is not the expected HTJ2K");
    }
    if (photometric == "YBR_FULL") {
      FrameShape shape{h.columns, h.rows, 3, bits, false, true};
      Bytes samples;
      if (auto d = DecodeHtj2k(shape, stream, samples); !d) {
        return Fail(ErrorCode::kInternal,
                    "stored form: frame " + std::to_string(f + 1) + ": " + d.error().message);
      }
      shape.colour_transform = false;
      auto recoded = EncodeHtj2k(shape, samples);
      if (!recoded) return std::unexpected(recoded.error());
      frames.push_back(std::move(*recoded));
      continue;
    }
    Bytes out(stream.begin(), stream.end());
    // Ssiz of component 0: bit 7 is the sign. JPEG 2000 level-shifts an
    // unsigned B-bit component by -2^(B-1) before the wavelet (ISO 15444-1
    // G.1.2) and a signed one not at all, and our shift added exactly
    // 2^(B-1) to values in [-2^(B-1), 2^(B-1)): the coefficients coded are
    // the original signed values, which a signed component decodes to.
    if (is_signed) out[42] |= std::byte{0x80};
    frames.push_back(std::move(out));
  }
  // The bytes after the pixels end the blob exactly: a cheap check that the
  // form is whole, since the frames' own bytes cannot be checked here.
  if (!has(8) || Le(blob, pos, 8) != blob.size() - pos - 8) {
    return Fail(ErrorCode::kInternal, "stored form: truncated after the frames");
  }
  return frames;
}

}  // namespace cf::codec
