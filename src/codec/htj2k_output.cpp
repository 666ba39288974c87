// SPDX-License-Identifier: Apache-2.0
// Signed samples are coded the way the stored form codes them: shifted to
// unsigned Bits Stored-bit values and the codestream's SIZ sign bit set
// afterwards. JPEG 2000 level-shifts unsigned components by 2^(B-1) before
// coding and signed ones not, so the coded data is the same and a decoder
// reading the flipped SIZ returns the original signed values (see
// docs/storage-format.md, "Frames served as stored").
#include "codec/htj2k_output.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcvr.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "codec/htj2k.hpp"
#include "codec/native_layout.hpp"

namespace cf::codec {
namespace {

uint16_t U16(ByteView b, size_t at) {
  return static_cast<uint16_t>(std::to_integer<unsigned>(b[at]) |
                               std::to_integer<unsigned>(b[at + 1]) << 8);
}
uint32_t U32(ByteView b, size_t at) { return U16(b, at) | uint32_t{U16(b, at + 2)} << 16; }

void Put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<std::byte>(v & 0xFF));
  out.push_back(static_cast<std::byte>(v >> 8));
}
void Put32(Bytes& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v & 0xFFFF));
  Put16(out, static_cast<uint16_t>(v >> 16));
}
void PutText(Bytes& out, std::string_view s) {
  for (char c : s) out.push_back(static_cast<std::byte>(c));
}
void PutTag(Bytes& out, uint16_t group, uint16_t element) {
  Put16(out, group);
  Put16(out, element);
}

// The file meta group of `native` with its Transfer Syntax UID replaced:
// elements copied in order, the group length recomputed.
Result<Bytes> RewriteMeta(ByteView native, std::string_view target_ts, size_t* dataset_start) {
  constexpr size_t kMetaStart = 132;
  if (native.size() < kMetaStart + 12 || std::memcmp(native.data() + 128, "DICM", 4) != 0) {
    return Fail(ErrorCode::kUnsupported, "HTJ2K output needs a Part 10 file with file meta");
  }
  Bytes elements;
  size_t at = kMetaStart;
  std::optional<size_t> declared_end;  // where (0002,0000) says the meta header ends
  while (at + 8 <= native.size() && U16(native, at) == 0x0002) {
    const uint16_t element = U16(native, at + 2);
    const std::string vr{static_cast<char>(native[at + 4]), static_cast<char>(native[at + 5])};
    const bool long_form = vr == "OB" || vr == "OW" || vr == "UN" || vr == "SQ" || vr == "UT";
    const size_t header = long_form ? 12 : 8;
    if (at + header > native.size()) break;
    const size_t length = long_form ? U32(native, at + 8) : U16(native, at + 6);
    if (at + header + length > native.size()) {
      return Fail(ErrorCode::kInvalidDicom, "file meta element past the end");
    }
    if (element == 0x0010) {
      std::string uid(target_ts);
      if (uid.size() % 2 != 0) uid.push_back('\0');
      PutTag(elements, 0x0002, 0x0010);
      PutText(elements, "UI");
      Put16(elements, static_cast<uint16_t>(uid.size()));
      PutText(elements, uid);
    } else if (element != 0x0000) {
      const auto* first = native.data() + at;
      elements.insert(elements.end(), first, first + header + length);
    } else if (vr == "UL" && length == 4) {
      declared_end = at + header + length + U32(native, at + header);
    }
    at += header + length;
  }
  // DCMTK reads a meta header as long as its group length says, whatever
  // the groups within; the output's is as long as its group 0002 elements.
  // Where the two differ (the fuzzer's (0800,0000) inside the header), the
  // output's data set would start with what the input held as file meta,
  // and the reader that guesses its encoding from there fails.
  if (declared_end && *declared_end != at) {
    return Fail(ErrorCode::kUnsupported,
                "HTJ2K output of a file whose file meta group length does not end its group "
                "0002 elements");
  }
  *dataset_start = at;
  Bytes meta(128, std::byte{0});
  PutText(meta, "DICM");
  PutTag(meta, 0x0002, 0x0000);
  PutText(meta, "UL");
  Put16(meta, 4);
  Put32(meta, static_cast<uint32_t>(elements.size()));
  meta.insert(meta.end(), elements.begin(), elements.end());
  return meta;
}

// A reader that does not know the HTJ2K syntaxes (DCMTK 3.6.7, so our own
// too) guesses the encoding from the first element, as DcmItem's
// checkTransferSyntax does: implicit VR when its VR bytes are not a
// standard VR, big endian when its tag is unknown but the byte-swapped one
// is known (a first element (0000,0008) reads as (0000,0800)). Either guess
// makes the file unreadable.
bool ReadsAsExplicitLittleEndian(ByteView native, size_t dataset_start) {
  if (dataset_start + 6 > native.size()) return false;
  const char vr[3] = {static_cast<char>(native[dataset_start + 4]),
                      static_cast<char>(native[dataset_start + 5]), '\0'};
  if (!DcmVR(vr).isStandard()) return false;
  const uint16_t group = U16(native, dataset_start);
  const uint16_t element = U16(native, dataset_start + 2);
  auto swapped = [](uint16_t v) { return static_cast<uint16_t>(v << 8 | v >> 8); };
  const DcmTag little(group, element);
  const DcmTag big(swapped(group), swapped(element));
  return !(little.error().bad() && big.error().good());
}

template <class T>
Result<Bytes> EncodeFrame(const NativeLayout& l, const T* v, size_t n) {
  const int bs = l.bits_stored;
  std::vector<T> samples(v, v + n);
  if (l.pixel_representation == 0) {
    if (bs < l.bits_allocated && std::any_of(v, v + n, [&](T s) { return s >= (T{1} << bs); })) {
      return Fail(ErrorCode::kUnsupported,
                  "HTJ2K output of pixels with bits set above Bits Stored");
    }
  } else {
    using S = std::make_signed_t<T>;
    const int shift = l.bits_allocated - bs;
    const uint32_t mask = (uint32_t{1} << bs) - 1;
    const uint32_t half = uint32_t{1} << (bs - 1);
    for (auto& s : samples) {
      const S value = static_cast<S>(s);
      if (static_cast<S>(static_cast<S>(s << shift) >> shift) != value) {
        return Fail(ErrorCode::kUnsupported,
                    "HTJ2K output of signed pixels not sign-extended above Bits Stored");
      }
      s = static_cast<T>((static_cast<uint32_t>(s) + half) & mask);
    }
  }
  FrameShape shape;
  shape.width = l.columns;
  shape.height = l.rows;
  shape.components = l.samples_per_pixel;
  shape.planar = l.samples_per_pixel == 3 && l.planar_configuration == 1;
  shape.colour_transform = l.photometric == "RGB";
  shape.bits_per_sample = static_cast<uint16_t>(std::max(bs, 2));
  // The encoder takes bytes up to 8 bits per sample, words above.
  std::vector<uint8_t> narrow;
  ByteView input(reinterpret_cast<const std::byte*>(samples.data()), samples.size() * sizeof(T));
  if (sizeof(T) == 2 && shape.bits_per_sample <= 8) {
    narrow.assign(samples.begin(), samples.end());
    input = ByteView(reinterpret_cast<const std::byte*>(narrow.data()), narrow.size());
  }
  auto stream = EncodeHtj2k(shape, input);
  if (!stream) return stream;
  if (l.pixel_representation == 1) {
    // SOC, SIZ marker, Lsiz, Rsiz, 8 four-byte fields, Csiz: Ssiz of
    // component 0 is byte 42.
    if (stream->size() < 43 || (*stream)[2] != std::byte{0xFF} || (*stream)[3] != std::byte{0x51}) {
      return Fail(ErrorCode::kInternal, "HTJ2K codestream without SIZ where expected");
    }
    (*stream)[42] |= std::byte{0x80};
  }
  return stream;
}

}  // namespace

Result<Bytes> EncodeAsHtj2k(ByteView native, std::string_view target_ts) {
  const LayoutResult found = FindNativeLayout(native);
  if (!found.layout) return Fail(ErrorCode::kUnsupported, "HTJ2K output: " + found.reason);
  const NativeLayout& l = *found.layout;
  if (!l.has_pixel_data) return Fail(ErrorCode::kUnsupported, "HTJ2K output: no pixel data");
  if (l.big_endian) {
    return Fail(ErrorCode::kUnsupported, "HTJ2K output needs explicit VR little endian input");
  }
  // The fuzzer's object held Pixel Data twice: the output encapsulated the
  // second, and a reader that keeps the first found it native.
  if (!l.tags_ascending) {
    return Fail(ErrorCode::kUnsupported,
                "HTJ2K output of a data set whose elements are out of order or repeated");
  }
  // Pixel Representation other than 0 and 1 (seen from the fuzzer: 8192)
  // would be coded as signed without the codestream saying so.
  if ((l.samples_per_pixel != 1 && l.samples_per_pixel != 3) ||
      (l.bits_allocated != 8 && l.bits_allocated != 16) || l.bits_stored < 2 ||
      l.bits_stored > l.bits_allocated || l.pixel_representation > 1) {
    return Fail(ErrorCode::kUnsupported,
                "HTJ2K output is offered for 8- or 16-bit grayscale, RGB or YBR_FULL images only");
  }
  // Colour (PS3.5 8.2.4, as for JPEG 2000): RGB with the reversible colour
  // transform, labelled YBR_RCT; YBR_FULL without a transform, unchanged.
  // Planar Configuration becomes 0 (the codestream codes components).
  const bool colour = l.samples_per_pixel == 3;
  if (colour &&
      ((l.photometric != "RGB" && l.photometric != "YBR_FULL") || l.pixel_representation != 0 ||
       l.photometric_element == 0 || (l.planar_configuration != 0 && l.planar_value == 0))) {
    return Fail(ErrorCode::kUnsupported,
                "HTJ2K output of colour is offered for unsigned RGB or YBR_FULL only, not " +
                    (l.photometric.empty() ? std::string("this image") : l.photometric));
  }
  size_t dataset_start = 0;
  auto meta = RewriteMeta(native, target_ts, &dataset_start);
  if (!meta) return std::unexpected(meta.error());
  if (!ReadsAsExplicitLittleEndian(native, dataset_start)) {
    return Fail(ErrorCode::kUnsupported,
                "HTJ2K output of a data set whose first element a reader would take for "
                "another encoding");
  }
  // The explicit VR header of Pixel Data (tag, "OB"/"OW", 2 reserved, length).
  const size_t header = l.pixel_offset - 12;
  if (l.pixel_offset < dataset_start + 12 || U16(native, header) != 0x7FE0 ||
      U16(native, header + 2) != 0x0010 || native[header + 4] != std::byte{'O'}) {
    return Fail(ErrorCode::kUnsupported, "HTJ2K output needs explicit VR little endian input");
  }
  const uint64_t frame_bytes = l.FrameBytes();
  if (frame_bytes == 0 || frame_bytes * l.frames > l.pixel_length) {
    return Fail(ErrorCode::kInvalidDicom, "pixel data shorter than its frames");
  }
  std::vector<Bytes> frames;
  frames.reserve(l.frames);
  for (uint32_t f = 0; f < l.frames; ++f) {
    const std::byte* first = native.data() + l.pixel_offset + f * frame_bytes;
    const size_t samples = static_cast<size_t>(frame_bytes / (l.bits_allocated / 8u));
    // Copied: a file's pixel value need not be aligned for uint16_t.
    Result<Bytes> stream = std::unexpected(Error{ErrorCode::kInternal, ""});
    if (l.bits_allocated == 8) {
      stream = EncodeFrame(l, reinterpret_cast<const uint8_t*>(first), samples);
    } else {
      std::vector<uint16_t> words(samples);
      std::memcpy(words.data(), first, samples * 2);
      stream = EncodeFrame(l, words.data(), samples);
    }
    if (!stream) return std::unexpected(stream.error());
    if (stream->size() % 2 != 0) stream->push_back(std::byte{0});  // items have even lengths
    frames.push_back(std::move(*stream));
  }
  const size_t meta_size = meta->size();
  Bytes out = std::move(*meta);
  const auto at = [&](uint64_t offset) { return native.begin() + static_cast<ptrdiff_t>(offset); };
  if (colour && l.photometric == "RGB") {
    // (0028,0004) CS "YBR_RCT ": the only top-level element whose length
    // changes (explicit VR: no group length is kept for group 0028 here).
    out.insert(out.end(), at(dataset_start), at(l.photometric_element));
    PutTag(out, 0x0028, 0x0004);
    PutText(out, "CS");
    Put16(out, 8);
    PutText(out, "YBR_RCT ");
    out.insert(out.end(), at(l.photometric_end), at(header));
  } else {
    out.insert(out.end(), at(dataset_start), at(header));
  }
  if (colour && l.planar_value != 0) {
    // Its place in `out`: after the photometric element (as the standard
    // orders them), the same distance before the Pixel Data header.
    const size_t planar = l.planar_value > l.photometric_element
                              ? out.size() - (header - l.planar_value)
                              : meta_size + (l.planar_value - dataset_start);
    out[planar] = std::byte{0};
    out[planar + 1] = std::byte{0};
  }
  PutTag(out, 0x7FE0, 0x0010);
  PutText(out, "OB");
  Put16(out, 0);
  Put32(out, 0xFFFFFFFF);
  PutTag(out, 0xFFFE, 0xE000);  // Basic Offset Table: where each frame's item starts
  Put32(out, static_cast<uint32_t>(4 * frames.size()));
  uint32_t offset = 0;
  for (const auto& f : frames) {
    Put32(out, offset);
    offset += static_cast<uint32_t>(8 + f.size());
  }
  for (const auto& f : frames) {
    PutTag(out, 0xFFFE, 0xE000);
    Put32(out, static_cast<uint32_t>(f.size()));
    out.insert(out.end(), f.begin(), f.end());
  }
  PutTag(out, 0xFFFE, 0xE0DD);
  Put32(out, 0);
  const uint64_t after = l.pixel_offset + l.pixel_length;
  out.insert(out.end(), native.begin() + static_cast<ptrdiff_t>(after), native.end());
  return out;
}

}  // namespace cf::codec
