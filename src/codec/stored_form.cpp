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
constexpr uint32_t kVersion = 1;
constexpr uint32_t kHeaderBytes = 136;

Result<Bytes> EncodeFrame(PixelCodec codec, const FrameShape& shape, ByteView samples) {
  return codec == PixelCodec::kHtj2k ? EncodeHtj2k(shape, samples) : EncodeJpegLs(shape, samples);
}

Result<void> DecodeFrame(PixelCodec codec, const FrameShape& shape, ByteView stream, Bytes& out) {
  return codec == PixelCodec::kHtj2k ? DecodeHtj2k(shape, stream, out)
                                     : DecodeJpegLs(shape, stream, out);
}

// Per-frame sample transforms (all reversible):
enum Transform : uint8_t {
  kIdentity = 0,  // samples below 2^bits_per_sample as they are
  kSignedShift,   // two's complement in Bits Stored bits, offset by 2^(bs-1)
  kFlipTopBit,    // any other signed data: the top bit of Bits Allocated flipped
};

struct Header {
  StoredKind kind = StoredKind::kAsReceived;
  uint64_t original_size = 0;
  crypto::Sha256Digest sha256{};
  uint64_t pixel_offset = 0;
  uint64_t pixel_length = 0;
  NativeLayout layout;
  uint16_t codec = 0;
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
  Put(out, kVersion, 4);
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
  out.resize(128);
  out.insert(out.end(), reinterpret_cast<const std::byte*>(kMark),
             reinterpret_cast<const std::byte*>(kMark) + 4);
  Put(out, kHeaderBytes, 4);
}

Result<Header> ReadHeader(Reader& r) {
  if (!r.Has(kHeaderBytes)) return Fail(ErrorCode::kInternal, "stored form: header truncated");
  Header h;
  r.Get(8);
  if (r.Get(4) != kVersion) return Fail(ErrorCode::kUnsupported, "stored form: unknown version");
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
  if (l.bits_allocated != 8 && l.bits_allocated != 16) return no("bits allocated");
  if (l.bits_stored == 0 || l.bits_stored > l.bits_allocated) return no("bits stored");
  if (l.pixel_representation > 1) return no("pixel representation");
  if (l.samples_per_pixel == 3 && l.planar_configuration > 1) return no("planar configuration");
  if (l.columns > 65535 || l.rows > 65535) return no("image size");
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

template <class T>
void Forward(const T* in, T* out, size_t n, const NativeLayout& l, const FrameCoding& c) {
  const int bs = l.bits_stored;
  const T top = static_cast<T>(T{1} << (l.bits_allocated - 1));
  switch (c.transform) {
    case kIdentity:
      std::copy(in, in + n, out);
      break;
    case kSignedShift: {
      const uint32_t mask = (uint32_t{1} << bs) - 1;
      const uint32_t half = uint32_t{1} << (bs - 1);
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>((in[i] + half) & mask);
      break;
    }
    case kFlipTopBit:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>(in[i] ^ top);
      break;
  }
}

template <class T>
void Inverse(T* v, size_t n, const NativeLayout& l, Transform t) {
  const int bs = l.bits_stored;
  const T top = static_cast<T>(T{1} << (l.bits_allocated - 1));
  switch (t) {
    case kIdentity:
      break;
    case kSignedShift: {
      using S = std::make_signed_t<T>;
      const int32_t half = int32_t{1} << (bs - 1);
      for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(static_cast<S>(int32_t{v[i]} - half));
      break;
    }
    case kFlipTopBit:
      for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(v[i] ^ top);
      break;
  }
}

FrameShape ShapeOf(const NativeLayout& l, uint16_t bits) {
  return {l.columns, l.rows, l.samples_per_pixel, bits,
          l.samples_per_pixel == 3 && l.planar_configuration == 1};
}

template <class T>
Result<void> EncodeFrames(PixelCodec codec, ByteView pixels, const NativeLayout& l, Bytes& out) {
  const size_t n = l.FrameBytes() / sizeof(T);
  std::vector<T> frame(n), coded(n);
  for (uint32_t f = 0; f < l.frames; ++f) {
    std::memcpy(frame.data(), pixels.data() + uint64_t{f} * l.FrameBytes(), l.FrameBytes());
    const FrameCoding c = Choose(frame.data(), n, l);
    Forward(frame.data(), coded.data(), n, l, c);
    auto stream =
        EncodeFrame(codec, ShapeOf(l, c.bits),
                    ByteView(reinterpret_cast<const std::byte*>(coded.data()), n * sizeof(T)));
    if (!stream) return std::unexpected(stream.error());
    Put(out, c.transform, 1);
    Put(out, 0, 1);
    Put(out, c.bits, 2);
    Put(out, stream->size(), 4);
    out.insert(out.end(), stream->begin(), stream->end());
  }
  return {};
}

template <class T>
Result<void> DecodeFrames(PixelCodec codec, Reader& r, const NativeLayout& l, Bytes& out) {
  const size_t n = l.FrameBytes() / sizeof(T);
  Bytes samples;
  for (uint32_t f = 0; f < l.frames; ++f) {
    if (!r.Has(8)) return Fail(ErrorCode::kInternal, "stored form: frame header truncated");
    const auto transform = static_cast<Transform>(r.Get(1));
    r.Get(1);
    const auto bits = static_cast<uint16_t>(r.Get(2));
    const uint64_t len = r.Get(4);
    if (!r.Has(len) || transform > kFlipTopBit || bits < 2 || bits > l.bits_allocated) {
      return Fail(ErrorCode::kInternal, "stored form: frame damaged");
    }
    if (auto d = DecodeFrame(codec, ShapeOf(l, bits), r.Take(len), samples); !d) return d;
    if (samples.size() != n * sizeof(T)) {
      return Fail(ErrorCode::kInternal, "stored form: frame size differs");
    }
    Inverse(reinterpret_cast<T*>(samples.data()), n, l, transform);
    out.insert(out.end(), samples.begin(), samples.end());
  }
  return {};
}

Result<Bytes> DecodeBody(ByteView blob, bool skip_pixels = false) {
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
    auto frames = l.bits_allocated == 8 ? DecodeFrames<uint8_t>(codec, r, l, out)
                                        : DecodeFrames<uint16_t>(codec, r, l, out);
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
    return DecodeBody(blob, /*skip_pixels=*/true);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("stored form: ") + e.what());
  }
}

bool IsStoredForm(ByteView blob) {
  return blob.size() >= kHeaderBytes && std::memcmp(blob.data(), kMagic, 8) == 0 &&
         std::memcmp(blob.data() + 128, kMark, 4) == 0;
}

Result<Bytes> DecodeStoredForm(ByteView blob) {
  if (!IsStoredForm(blob)) return Fail(ErrorCode::kInvalidArgument, "not a stored form");
  Result<Bytes> out = Fail(ErrorCode::kInternal, "stored form: not decoded");
  try {
    out = DecodeBody(blob);
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
    PutHeader(out, h);
    PutZstd(out, received.first(l.pixel_offset), options.zstd_level);
    ByteView pixels = received.subspan(l.pixel_offset, l.pixel_length);
    auto frames = l.bits_allocated == 8
                      ? EncodeFrames<uint8_t>(options.pixel_codec, pixels, l, out)
                      : EncodeFrames<uint16_t>(options.pixel_codec, pixels, l, out);
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
  auto rebuilt = DecodeStoredForm(out);
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
