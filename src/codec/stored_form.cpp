// SPDX-License-Identifier: Apache-2.0
#include "codec/stored_form.hpp"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "codec/htj2k.hpp"
#include "codec/jpegls.hpp"
#include "codec/native_layout.hpp"
#include "crypto/sha256.hpp"

namespace cf::codec {
namespace {

static_assert(std::endian::native == std::endian::little, "samples are read in host order");

constexpr char kMagic[8] = {'\x89', 'C', 'F', 'Z', '\r', '\n', '\x1a', '\n'};
constexpr char kMark[4] = {'C', 'F', 'Z', '1'};  // at 128, where Part 10 has "DICM"
// Version 1 forms are still written whenever they can describe the object
// (readers before version 2 read them); version 2 adds the flags word at
// offset 96 and 32-bit samples.
constexpr uint32_t kMaxVersion = 2;
constexpr uint32_t kHeaderBytes = 136;

Result<Bytes> EncodeFrame(PixelCodec codec, const FrameShape& shape, ByteView samples) {
  return codec == PixelCodec::kHtj2k ? EncodeHtj2k(shape, samples) : EncodeJpegLs(shape, samples);
}

Result<void> DecodeFrame(PixelCodec codec, FormOrigin origin, const FrameShape& shape,
                         ByteView stream, Bytes& out) {
  if (codec != PixelCodec::kHtj2k) return DecodeJpegLs(shape, stream, out);
  return origin == FormOrigin::kProven ? DecodeHtj2k(shape, stream, out)
                                       : DecodeHtj2kWithOpenJpeg(shape, stream, out);
}

// Per-frame sample transforms (all reversible):
enum Transform : uint8_t {
  kIdentity = 0,  // samples below 2^bits_per_sample as they are
  kSignedShift,   // two's complement in Bits Stored bits, offset by 2^(bs-1)
  kFlipTopBit,    // any other signed data: the top bit of Bits Allocated flipped
  // Version 2, 32-bit samples only:
  kSignedNarrow,  // signed values in [-2^(b-1), 2^(b-1)), b <= 16 bits: offset by 2^(b-1)
  kSplit,         // the 32-bit word (top bit flipped when signed) as 16-bit halves
};

constexpr uint32_t kFlagBigEndian = 1;  // version 2: OW samples big endian in the received bytes

struct Header {
  StoredKind kind = StoredKind::kAsReceived;
  uint64_t original_size = 0;
  crypto::Sha256Digest sha256{};
  uint64_t pixel_offset = 0;
  uint64_t pixel_length = 0;
  NativeLayout layout;
  uint16_t codec = 0;
  uint32_t flags = 0;  // version 2
};

void Put(Bytes& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

class Reader {
 public:
  explicit Reader(ByteView d) : d_(d) {}
  bool Has(uint64_t n) const { return n <= d_.size() - pos_; }
  uint64_t Get(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::to_integer<uint64_t>(d_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  ByteView Take(uint64_t n) {
    ByteView v = d_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  uint64_t pos() const { return pos_; }
  void Seek(uint64_t p) { pos_ = p; }

 private:
  ByteView d_;
  uint64_t pos_ = 0;
};

void PutHeader(Bytes& out, const Header& h) {
  out.insert(out.end(), reinterpret_cast<const std::byte*>(kMagic),
             reinterpret_cast<const std::byte*>(kMagic) + 8);
  Put(out, h.flags != 0 || h.layout.bits_allocated == 32 ? 2 : 1, 4);
  Put(out, static_cast<uint8_t>(h.kind), 4);
  Put(out, h.original_size, 8);
  out.insert(out.end(), reinterpret_cast<const std::byte*>(h.sha256.data()),
             reinterpret_cast<const std::byte*>(h.sha256.data()) + 32);
  Put(out, h.pixel_offset, 8);
  Put(out, h.pixel_length, 8);
  Put(out, h.layout.frames, 4);
  Put(out, h.layout.rows, 4);
  Put(out, h.layout.columns, 4);
  Put(out, h.layout.samples_per_pixel, 2);
  Put(out, h.layout.bits_allocated, 2);
  Put(out, h.layout.bits_stored, 2);
  Put(out, h.layout.pixel_representation, 2);
  Put(out, h.layout.planar_configuration, 2);
  Put(out, h.codec, 2);
  Put(out, h.flags, 4);  // zero in version 1
  out.resize(128);
  out.insert(out.end(), reinterpret_cast<const std::byte*>(kMark),
             reinterpret_cast<const std::byte*>(kMark) + 4);
  Put(out, kHeaderBytes, 4);
}

Result<Header> ReadHeader(Reader& r) {
  if (!r.Has(kHeaderBytes)) return Fail(ErrorCode::kInternal, "stored form: header truncated");
  Header h;
  r.Get(8);
  const uint64_t version = r.Get(4);
  if (version < 1 || version > kMaxVersion) {
    return Fail(ErrorCode::kUnsupported, "stored form: unknown version");
  }
  h.kind = static_cast<StoredKind>(r.Get(4));
  h.original_size = r.Get(8);
  ByteView digest = r.Take(32);
  std::memcpy(h.sha256.data(), digest.data(), 32);
  h.pixel_offset = r.Get(8);
  h.pixel_length = r.Get(8);
  h.layout.frames = static_cast<uint32_t>(r.Get(4));
  h.layout.rows = static_cast<uint32_t>(r.Get(4));
  h.layout.columns = static_cast<uint32_t>(r.Get(4));
  h.layout.samples_per_pixel = static_cast<uint16_t>(r.Get(2));
  h.layout.bits_allocated = static_cast<uint16_t>(r.Get(2));
  h.layout.bits_stored = static_cast<uint16_t>(r.Get(2));
  h.layout.pixel_representation = static_cast<uint16_t>(r.Get(2));
  h.layout.planar_configuration = static_cast<uint16_t>(r.Get(2));
  h.codec = static_cast<uint16_t>(r.Get(2));
  h.flags = static_cast<uint32_t>(r.Get(4));
  if ((version == 1 && (h.flags != 0 || h.layout.bits_allocated == 32)) ||
      (h.flags & ~kFlagBigEndian) != 0) {
    return Fail(ErrorCode::kUnsupported, "stored form: unknown flags for its version");
  }
  h.layout.big_endian = (h.flags & kFlagBigEndian) != 0;
  if (h.layout.big_endian) {  // the only big endian layouts the encoder takes
    h.layout.pixel_vr[0] = 'O';
    h.layout.pixel_vr[1] = h.layout.bits_allocated == 8 ? 'B' : 'W';
  }
  r.Seek(132);
  if (r.Get(4) != kHeaderBytes) return Fail(ErrorCode::kUnsupported, "stored form: header size");
  return h;
}

void PutZstd(Bytes& out, ByteView data, int level) {
  Bytes z(ZSTD_compressBound(data.size()));
  // With a content checksum: reads that skip the pixels (metadata) cannot
  // check the object's SHA-256, so each frame checks itself.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  size_t n = static_cast<size_t>(-1);
  if (cctx != nullptr &&
      !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) &&
      !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1))) {
    n = ZSTD_compress2(cctx, z.data(), z.size(), data.data(), data.size());
  }
  ZSTD_freeCCtx(cctx);
  z.resize(ZSTD_isError(n) ? 0 : n);
  Put(out, z.size(), 8);
  out.insert(out.end(), z.begin(), z.end());
}

Result<void> TakeZstd(Reader& r, uint64_t size, Bytes& out) {
  if (!r.Has(8)) return Fail(ErrorCode::kInternal, "stored form: truncated");
  const uint64_t n = r.Get(8);
  if (!r.Has(n)) return Fail(ErrorCode::kInternal, "stored form: truncated");
  ByteView z = r.Take(n);
  // The frame states its own size: a damaged header must not make us
  // allocate what it claims.
  if (ZSTD_getFrameContentSize(z.data(), z.size()) != size) {
    return Fail(ErrorCode::kInternal, "stored form: sizes disagree");
  }
  const size_t at = out.size();
  out.resize(at + size);
  const size_t got = ZSTD_decompress(out.data() + at, size, z.data(), z.size());
  if (ZSTD_isError(got) || got != size) {
    return Fail(ErrorCode::kInternal, "stored form: damaged compressed bytes");
  }
  return {};
}

bool SupportedLayout(const NativeLayout& l, uint64_t file_size, std::string* why) {
  auto no = [&](const char* reason) {
    *why = reason;
    return false;
  };
  if (l.rows == 0 || l.columns == 0) return no("no image size");
  if (l.samples_per_pixel != 1 && l.samples_per_pixel != 3) return no("samples per pixel");
  if (l.bits_allocated != 8 && l.bits_allocated != 16 && l.bits_allocated != 32) {
    return no("bits allocated");
  }
  if (l.bits_stored == 0 || l.bits_stored > l.bits_allocated) return no("bits stored");
  if (l.pixel_representation > 1) return no("pixel representation");
  if (l.samples_per_pixel == 3 && l.planar_configuration > 1) return no("planar configuration");
  if (l.columns > 65535 || l.rows > 65535) return no("image size");
  if (l.big_endian) {
    // OW samples are swapped word by word; an OB value is bytes in order.
    // 8-bit samples in OW (pairs swapped across samples, and frames when a
    // frame has an odd size) and 32-bit ones (OW words in which order?)
    // are rare enough to keep as received.
    const bool ow = l.pixel_vr[0] == 'O' && l.pixel_vr[1] == 'W';
    const bool ob = l.pixel_vr[0] == 'O' && l.pixel_vr[1] == 'B';
    if (!(l.bits_allocated == 16 && ow) && !(l.bits_allocated == 8 && ob)) {
      return no("big endian pixel layout");
    }
  }
  const uint64_t frame = l.FrameBytes();
  if (frame == 0 || l.frames > l.pixel_length / frame) return no("pixel data shorter than frames");
  if (l.pixel_offset + l.pixel_length > file_size) return no("pixel data past the end");
  return true;
}

struct FrameCoding {
  Transform transform = kIdentity;
  uint16_t bits = 8;
};

template <class T>
FrameCoding Choose(const T* v, size_t n, const NativeLayout& l) {
  const int bs = l.bits_stored;
  const int ba = l.bits_allocated;
  FrameCoding c;
  if constexpr (sizeof(T) == 4) {
    // 32-bit samples: as one component of at most 16 bits when the frame's
    // values fit (dose grids often do), else split into two 16-bit halves.
    if (l.pixel_representation == 0) {
      const T max = n == 0 ? 0 : *std::max_element(v, v + n);
      if (max <= 0xFFFF)
        return {kIdentity,
                static_cast<uint16_t>(std::max<int>(static_cast<int>(std::bit_width(max)), 2))};
    } else {
      const auto [lo, hi] = std::minmax_element(
          v, v + n, [](T a, T b) { return static_cast<int32_t>(a) < static_cast<int32_t>(b); });
      const int32_t low = n == 0 ? 0 : static_cast<int32_t>(*lo);
      const int32_t high = n == 0 ? 0 : static_cast<int32_t>(*hi);
      if (low >= -32768 && high <= 32767) {
        // The fewest bits b with every value in [-2^(b-1), 2^(b-1)).
        const uint32_t span = static_cast<uint32_t>(std::max(high, -1 - low));
        return {kSignedNarrow, static_cast<uint16_t>(
                                   std::max<int>(static_cast<int>(std::bit_width(span)) + 1, 2))};
      }
    }
    return {kSplit, 16};
  }
  if (l.pixel_representation == 0) {
    const T max = n == 0 ? 0 : *std::max_element(v, v + n);
    c.transform = kIdentity;
    c.bits = static_cast<uint16_t>((bs < ba && max < (T{1} << bs)) ? std::max(bs, 2) : ba);
    return c;
  }
  // Signed: compact when the bits above Bits Stored only extend the sign.
  bool extends = true;
  const int shift = ba - bs;
  for (size_t i = 0; i < n && extends; ++i) {
    using S = std::make_signed_t<T>;
    const S s = static_cast<S>(v[i]);
    extends = static_cast<S>(static_cast<S>(v[i] << shift) >> shift) == s;
  }
  if (extends) {
    c.transform = kSignedShift;
    c.bits = static_cast<uint16_t>(std::max(bs, 2));
  } else {
    c.transform = kFlipTopBit;
    c.bits = static_cast<uint16_t>(ba);
  }
  return c;
}

// Samples as the codec takes them: bytes up to 8 bits per sample, host
// order uint16 above (FrameShape).
template <class T>
void Forward(const T* in, size_t n, const NativeLayout& l, const FrameCoding& c, Bytes& coded) {
  const int bs = l.bits_stored;
  const size_t width = c.transform == kSplit ? 2 : (c.bits > 8 ? 2 : 1);
  coded.resize(n * width * (c.transform == kSplit ? 2 : 1));
  auto put = [&](auto f) {
    if (width == 1) {
      auto* out = reinterpret_cast<uint8_t*>(coded.data());
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(f(in[i]));
    } else {
      auto* out = reinterpret_cast<uint16_t*>(coded.data());
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint16_t>(f(in[i]));
    }
  };
  switch (c.transform) {
    case kIdentity:
      if (width == sizeof(T)) {
        std::memcpy(coded.data(), in, n * sizeof(T));
      } else {
        put([](T v) { return v; });
      }
      break;
    case kSignedShift: {
      const uint32_t mask = (uint32_t{1} << bs) - 1;
      const uint32_t half = uint32_t{1} << (bs - 1);
      put([=](T v) { return (v + half) & mask; });
      break;
    }
    case kFlipTopBit: {
      const T top = static_cast<T>(T{1} << (l.bits_allocated - 1));
      put([=](T v) { return static_cast<T>(v ^ top); });
      break;
    }
    case kSignedNarrow: {
      const uint32_t half = uint32_t{1} << (c.bits - 1);
      put([=](T v) { return static_cast<uint32_t>(v) + half; });
      break;
    }
    case kSplit: {
      // High halves, then low halves: two planar 16-bit components.
      const uint32_t flip = l.pixel_representation == 1 ? 0x80000000u : 0;
      auto* high = reinterpret_cast<uint16_t*>(coded.data());
      uint16_t* low = high + n;
      for (size_t i = 0; i < n; ++i) {
        const uint32_t w = static_cast<uint32_t>(in[i]) ^ flip;
        high[i] = static_cast<uint16_t>(w >> 16);
        low[i] = static_cast<uint16_t>(w);
      }
      break;
    }
  }
}

// The frame's samples (as Forward took them) from the codec's output.
template <class T>
void Inverse(ByteView coded, size_t n, const NativeLayout& l, const FrameCoding& c, T* out) {
  const int bs = l.bits_stored;
  const size_t width = c.transform == kSplit ? 2 : (c.bits > 8 ? 2 : 1);
  auto take = [&](auto f) {
    if (width == 1) {
      const auto* in = reinterpret_cast<const uint8_t*>(coded.data());
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>(f(uint32_t{in[i]}));
    } else {
      const auto* in = reinterpret_cast<const uint16_t*>(coded.data());
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>(f(uint32_t{in[i]}));
    }
  };
  switch (c.transform) {
    case kIdentity:
      if (width == sizeof(T)) {
        std::memcpy(out, coded.data(), n * sizeof(T));
      } else {
        take([](uint32_t v) { return v; });
      }
      break;
    case kSignedShift: {
      using S = std::make_signed_t<T>;
      const int32_t half = int32_t{1} << (bs - 1);
      take([=](uint32_t v) { return static_cast<S>(static_cast<int32_t>(v) - half); });
      break;
    }
    case kFlipTopBit: {
      const T top = static_cast<T>(T{1} << (l.bits_allocated - 1));
      take([=](uint32_t v) { return static_cast<T>(v ^ top); });
      break;
    }
    case kSignedNarrow: {
      const int32_t half = int32_t{1} << (c.bits - 1);
      take([=](uint32_t v) { return static_cast<uint32_t>(static_cast<int32_t>(v) - half); });
      break;
    }
    case kSplit: {
      const uint32_t flip = l.pixel_representation == 1 ? 0x80000000u : 0;
      const auto* high = reinterpret_cast<const uint16_t*>(coded.data());
      const uint16_t* low = high + n;
      for (size_t i = 0; i < n; ++i) {
        out[i] = static_cast<T>(((uint32_t{high[i]} << 16) | low[i]) ^ flip);
      }
      break;
    }
  }
}

// The codec's view of a frame: the image itself, or for the 32-bit split
// two planar 16-bit components of all the frame's samples (colour samples
// side by side, or planes one under the other).
FrameShape ShapeOf(const NativeLayout& l, const FrameCoding& c) {
  if (c.transform == kSplit) {
    const bool planar = l.planar_configuration == 1;
    return {l.columns * (planar ? 1u : l.samples_per_pixel),
            l.rows * (planar ? l.samples_per_pixel : 1u), 2, 16, true};
  }
  return {l.columns, l.rows, l.samples_per_pixel, c.bits,
          l.samples_per_pixel == 3 && l.planar_configuration == 1};
}

template <class T>
void SwapBytes(T* v, size_t n) {
  if constexpr (sizeof(T) == 2) {
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>((v[i] >> 8) | (v[i] << 8));
  }
}

template <class T>
Result<void> EncodeFrames(PixelCodec codec, ByteView pixels, const NativeLayout& l, Bytes& out) {
  const size_t n = l.FrameBytes() / sizeof(T);
  std::vector<T> frame(n);
  Bytes coded;
  for (uint32_t f = 0; f < l.frames; ++f) {
    std::memcpy(frame.data(), pixels.data() + uint64_t{f} * l.FrameBytes(), l.FrameBytes());
    if (l.big_endian) SwapBytes(frame.data(), n);
    const FrameCoding c = Choose(frame.data(), n, l);
    Forward(frame.data(), n, l, c, coded);
    auto stream = EncodeFrame(codec, ShapeOf(l, c), coded);
    if (!stream) return std::unexpected(stream.error());
    Put(out, c.transform, 1);
    Put(out, 0, 1);
    Put(out, c.bits, 2);
    Put(out, stream->size(), 4);
    out.insert(out.end(), stream->begin(), stream->end());
  }
  return {};
}

// Which transforms a frame of this layout may carry, and in how many bits.
bool ValidCoding(const NativeLayout& l, const FrameCoding& c) {
  if (l.bits_allocated == 32) {
    if (c.transform == kSplit) return c.bits == 16;
    return (c.transform == kIdentity || c.transform == kSignedNarrow) && c.bits >= 2 &&
           c.bits <= 16;
  }
  return c.transform <= kFlipTopBit && c.bits >= 2 && c.bits <= l.bits_allocated;
}

template <class T>
Result<void> DecodeFrames(PixelCodec codec, FormOrigin origin, Reader& r, const NativeLayout& l,
                          Bytes& out) {
  const size_t n = l.FrameBytes() / sizeof(T);
  Bytes samples;
  for (uint32_t f = 0; f < l.frames; ++f) {
    if (!r.Has(8)) return Fail(ErrorCode::kInternal, "stored form: frame header truncated");
    FrameCoding c;
    c.transform = static_cast<Transform>(r.Get(1));
    r.Get(1);
    c.bits = static_cast<uint16_t>(r.Get(2));
    const uint64_t len = r.Get(4);
    if (!r.Has(len) || !ValidCoding(l, c)) {
      return Fail(ErrorCode::kInternal, "stored form: frame damaged");
    }
    if (auto d = DecodeFrame(codec, origin, ShapeOf(l, c), r.Take(len), samples); !d) return d;
    const size_t width = c.transform == kSplit ? 4 : (c.bits > 8 ? 2 : 1);
    if (samples.size() != n * width) {
      return Fail(ErrorCode::kInternal, "stored form: frame size differs");
    }
    const size_t at = out.size();
    out.resize(at + n * sizeof(T));
    // Frames start at any byte of the file: the copy is where T is aligned.
    if (reinterpret_cast<uintptr_t>(out.data() + at) % alignof(T) == 0) {
      T* dst = reinterpret_cast<T*>(out.data() + at);
      Inverse(samples, n, l, c, dst);
      if (l.big_endian) SwapBytes(dst, n);
    } else {
      std::vector<T> frame(n);
      Inverse(samples, n, l, c, frame.data());
      if (l.big_endian) SwapBytes(frame.data(), n);
      std::memcpy(out.data() + at, frame.data(), n * sizeof(T));
    }
  }
  return {};
}

Result<Bytes> DecodeBody(ByteView blob, FormOrigin origin, bool skip_pixels = false) {
  Reader r(blob);
  auto h = ReadHeader(r);
  if (!h) return std::unexpected(h.error());
  Bytes out;
  // Lossless compression of real images stays far below 100:1; a larger
  // claim is a damaged header.
  if (h->original_size / 128 > blob.size()) {
    return Fail(ErrorCode::kInternal, "stored form: implausible size");
  }
  out.reserve(h->original_size);
  if (h->kind == StoredKind::kZstd) {
    if (auto z = TakeZstd(r, h->original_size, out); !z) return std::unexpected(z.error());
    return out;
  }
  const auto codec = static_cast<PixelCodec>(h->codec);
  if (h->kind != StoredKind::kNativePixels ||
      (codec != PixelCodec::kJpegLs && codec != PixelCodec::kHtj2k)) {
    return Fail(ErrorCode::kUnsupported, "stored form: unknown kind or codec");
  }
  const NativeLayout& l = h->layout;
  std::string why;
  NativeLayout check = l;
  check.pixel_offset = h->pixel_offset;
  check.pixel_length = h->pixel_length;
  if (!SupportedLayout(check, h->original_size, &why)) {
    return Fail(ErrorCode::kInternal, "stored form: layout damaged");
  }
  if (auto z = TakeZstd(r, h->pixel_offset, out); !z) return std::unexpected(z.error());
  if (skip_pixels) {
    // Skip the frame records; the pixel bytes read as zeros.
    for (uint32_t f = 0; f < l.frames; ++f) {
      if (!r.Has(8)) return Fail(ErrorCode::kInternal, "stored form: frame header truncated");
      r.Get(4);
      const uint64_t len = r.Get(4);
      if (!r.Has(len)) return Fail(ErrorCode::kInternal, "stored form: frame damaged");
      r.Take(len);
    }
    out.resize(out.size() + uint64_t{l.frames} * l.FrameBytes());
  } else {
    auto frames = l.bits_allocated == 8    ? DecodeFrames<uint8_t>(codec, origin, r, l, out)
                  : l.bits_allocated == 16 ? DecodeFrames<uint16_t>(codec, origin, r, l, out)
                                           : DecodeFrames<uint32_t>(codec, origin, r, l, out);
    if (!frames) return std::unexpected(frames.error());
  }
  const uint64_t rest = h->original_size - out.size();
  if (auto z = TakeZstd(r, rest, out); !z) return std::unexpected(z.error());
  return out;
}

}  // namespace

Result<Bytes> DecodeStoredFormWithoutPixels(ByteView blob) {
  if (!IsStoredForm(blob)) return Fail(ErrorCode::kInvalidArgument, "not a stored form");
  try {
    return DecodeBody(blob, FormOrigin::kUnproven, /*skip_pixels=*/true);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("stored form: ") + e.what());
  }
}

bool IsStoredForm(ByteView blob) {
  return blob.size() >= kHeaderBytes && std::memcmp(blob.data(), kMagic, 8) == 0 &&
         std::memcmp(blob.data() + 128, kMark, 4) == 0;
}

Result<Bytes> DecodeStoredForm(ByteView blob, FormOrigin origin) {
  if (!IsStoredForm(blob)) return Fail(ErrorCode::kInvalidArgument, "not a stored form");
  Result<Bytes> out = Fail(ErrorCode::kInternal, "stored form: not decoded");
  try {
    out = DecodeBody(blob, origin);
  } catch (const std::exception& e) {  // bad_alloc from a damaged size, codec exceptions
    return Fail(ErrorCode::kInternal, std::string("stored form: ") + e.what());
  }
  if (!out) return out;
  if (std::memcmp(crypto::Sha256(*out).data(), blob.data() + 24, 32) != 0) {
    return Fail(ErrorCode::kInternal, "stored form: rebuilt bytes differ from the received ones");
  }
  return out;
}

Encoded EncodeStoredForm(ByteView received, const StoredFormOptions& options,
                         const std::array<uint8_t, 32>* received_sha256) {
  Encoded result;
  LayoutResult found = FindNativeLayout(received);
  Header h;
  h.original_size = received.size();
  h.sha256 = received_sha256 != nullptr ? *received_sha256 : crypto::Sha256(received);
  Bytes out;
  if (!found.layout) {
    result.reason = found.reason;
    return result;
  }
  NativeLayout& l = *found.layout;
  if (!l.has_pixel_data) {
    if (!options.compress_other) {
      result.reason = "compression of non-image objects off";
      return result;
    }
    h.kind = StoredKind::kZstd;
    PutHeader(out, h);
    PutZstd(out, received, options.zstd_level);
  } else {
    if (!options.compress_pixels) {
      result.reason = "pixel compression off";
      return result;
    }
    if (!SupportedLayout(l, received.size(), &result.reason)) return result;
    h.kind = StoredKind::kNativePixels;
    h.pixel_offset = l.pixel_offset;
    h.pixel_length = l.pixel_length;
    h.layout = l;
    h.codec = static_cast<uint16_t>(options.pixel_codec);
    h.flags = l.big_endian ? kFlagBigEndian : 0;
    PutHeader(out, h);
    PutZstd(out, received.first(l.pixel_offset), options.zstd_level);
    ByteView pixels = received.subspan(l.pixel_offset, l.pixel_length);
    auto frames = l.bits_allocated == 8 ? EncodeFrames<uint8_t>(options.pixel_codec, pixels, l, out)
                  : l.bits_allocated == 16
                      ? EncodeFrames<uint16_t>(options.pixel_codec, pixels, l, out)
                      : EncodeFrames<uint32_t>(options.pixel_codec, pixels, l, out);
    if (!frames) {
      result.reason = frames.error().message;
      return result;
    }
    PutZstd(out, received.subspan(l.pixel_offset + uint64_t{l.frames} * l.FrameBytes()),
            options.zstd_level);
  }
  if (static_cast<double>(out.size()) > options.max_ratio * static_cast<double>(received.size())) {
    result.reason = "no gain";
    return result;
  }
  // The proof: rebuild and compare, before the received bytes may go.
  auto rebuilt = DecodeStoredForm(out, FormOrigin::kProven);  // just made here
  if (!rebuilt || rebuilt->size() != received.size()) {
    result.reason = "rebuilt bytes differ";
    result.verify_failed = true;
    return result;
  }
  result.kind = h.kind;
  result.stored = std::move(out);
  return result;
}

}  // namespace cf::codec
