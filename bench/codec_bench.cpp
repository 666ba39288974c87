// SPDX-License-Identifier: Apache-2.0
// cf_codec_bench: the lossless codecs of the stored form (JPEG-LS by CharLS,
// HTJ2K by OpenJPH) against reversible JPEG 2000 by OpenJPEG (the lossless
// J2K most archives use) and zstd of the whole file (the trivial
// alternative), on synthetic studies (so a fresh clone can run it) and on the
// shared real test files. One thread, so the figures are per core. Every
// figure is the median of whole-set repetitions, because the machines are
// shared and noisy. Prints a markdown table; bench/codec.sh builds and runs it.
//
//   cf_codec_bench [--reps N] [--no-synth] [TESTDATA]
//
// TESTDATA defaults to ../shared/testdata next to the source tree; its
// malformed/ folder is left out, and only native little-endian images are
// measured (the objects the stored form compresses).

#include <charls/charls.h>
#include <openjpeg.h>
#include <sched.h>
#include <unistd.h>
#include <zstd.h>

// ojph_arch.h defines what the other OpenJPH headers need: keep it first.
// clang-format off
#include <openjph/ojph_arch.h>
#include <openjph/ojph_version.h>
// clang-format on

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/core.h>

#include "codec/htj2k.hpp"
#include "codec/jpegls.hpp"
#include "codec/native_layout.hpp"
#include "codec/stored_form.hpp"
#include "core/bytes.hpp"
#include "crypto/sha256.hpp"
#include "dicom/instance.hpp"
#include "dicom/synth/synth.hpp"

namespace {

namespace fs = std::filesystem;
using cf::Bytes;
using cf::ByteView;
using cf::codec::NativeLayout;
using cf::codec::PixelCodec;
using Clock = std::chrono::steady_clock;

static_assert(std::endian::native == std::endian::little, "samples are read in host order");

// The synthetic files' folder, removed on every exit, also when the run aborts.
fs::path& SynthDir() {
  static auto* dir = new fs::path;
  return *dir;
}

void RemoveSynthDir() {
  if (SynthDir().empty()) return;
  std::error_code ec;
  fs::remove_all(SynthDir(), ec);
  SynthDir().clear();
}

[[noreturn]] void Die(const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "codec_bench: {}\n", message);
  RemoveSynthDir();
  std::exit(1);
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct File {
  std::string name;  // relative to the set's folder, for messages
  Bytes bytes;
  NativeLayout layout;
  std::array<uint8_t, 32> sha256{};  // as ingest has it before the stored form is made
};

struct Group {
  std::string set;  // "synthetic" or "real"
  std::string modality;
  std::vector<File> files;
  uint64_t bytes = 0;
};

enum class Codec { kJpegLs, kHtj2k, kJpegLsFrames, kHtj2kFrames, kOpenJpeg, kZstd };
constexpr std::array kCodecs{Codec::kJpegLs,      Codec::kHtj2k,    Codec::kJpegLsFrames,
                             Codec::kHtj2kFrames, Codec::kOpenJpeg, Codec::kZstd};

std::string_view NameOf(Codec codec) {
  switch (codec) {
    case Codec::kJpegLs:
      return "JPEG-LS (stored form)";
    case Codec::kHtj2k:
      return "HTJ2K (stored form)";
    case Codec::kJpegLsFrames:
      return "JPEG-LS (CharLS), frames only";
    case Codec::kHtj2kFrames:
      return "HTJ2K (OpenJPH), frames only";
    case Codec::kOpenJpeg:
      return "OpenJPEG J2K 5/3";
    case Codec::kZstd:
      return "zstd -3 (whole file)";
  }
  return "?";
}

bool UsesStoredForm(Codec codec) { return codec == Codec::kJpegLs || codec == Codec::kHtj2k; }

// One codec over some files, once.
struct Pass {
  double ingest_s = 0;  // stored form only: EncodeStoredForm as the archive calls it
  double encode_s = 0;
  double decode_s = 0;
  uint64_t stored = 0;  // bytes kept
  Pass& operator+=(const Pass& o) {
    ingest_s += o.ingest_s;
    encode_s += o.encode_s;
    decode_s += o.decode_s;
    stored += o.stored;
    return *this;
  }
};

// Contexts are reused, as any long-running compressor would: zstd at its
// best, since it is the baseline the image codecs have to beat.
struct Zstd {
  Zstd() : c(ZSTD_createCCtx()), d(ZSTD_createDCtx()) {
    if (c == nullptr || d == nullptr) Die("zstd: out of memory");
  }
  ~Zstd() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
  Zstd(const Zstd&) = delete;
  Zstd& operator=(const Zstd&) = delete;

  Bytes Compress(ByteView in) {
    Bytes out(ZSTD_compressBound(in.size()));
    const size_t n = ZSTD_compressCCtx(c, out.data(), out.size(), in.data(), in.size(), 3);
    if (ZSTD_isError(n)) Die(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
    out.resize(n);
    return out;
  }
  // Into out[0, size): the caller knows the size, as the stored form does.
  void Decompress(ByteView in, std::byte* out, size_t size) {
    const size_t n = ZSTD_decompressDCtx(d, out, size, in.data(), in.size());
    if (ZSTD_isError(n) || n != size) Die("zstd: decompressed size differs");
  }

  ZSTD_CCtx* c;
  ZSTD_DCtx* d;
};

// ---- Stored form (JPEG-LS or HTJ2K frames, zstd for the rest) ----

Pass RunStoredForm(const File& f, PixelCodec codec) {
  cf::codec::StoredFormOptions options;
  options.pixel_codec = codec;
  options.max_ratio = 100;  // always make the stored form: we measure, the archive decides
  Pass p;
  auto start = Clock::now();
  cf::codec::Encoded encoded = cf::codec::EncodeStoredForm(f.bytes, options, &f.sha256);
  p.ingest_s = Since(start);
  if (!encoded.stored) Die(fmt::format("{}: no stored form ({})", f.name, encoded.reason));
  start = Clock::now();
  auto rebuilt = cf::codec::DecodeStoredForm(*encoded.stored);
  p.decode_s = Since(start);
  if (!rebuilt) Die(fmt::format("{}: DecodeStoredForm: {}", f.name, rebuilt.error().message));
  if (*rebuilt != f.bytes) Die(fmt::format("{}: DecodeStoredForm gave other bytes", f.name));
  // EncodeStoredForm ends with this same decode, to verify before the
  // received bytes may go: that is the archive's price, not the encoder's.
  p.encode_s = p.ingest_s - p.decode_s;
  p.stored = encoded.stored->size();
  return p;
}

// ---- The codecs alone, on the frames' samples ----

// What the reference figures for CharLS and OpenJPH measure: the
// codec on a frame's samples, nothing else (no reversible transform, no
// zstd of the rest, no SHA-256 check). Signed frames have their top bit
// flipped first, outside the timing, as the codecs take unsigned samples.
template <class T>
Pass RunFramesOf(const File& f, Zstd& zstd, PixelCodec codec) {
  const NativeLayout& l = f.layout;
  const ByteView all = f.bytes;
  const size_t frame_bytes = l.FrameBytes();
  const size_t n = frame_bytes / sizeof(T);
  const size_t pixels_end = l.pixel_offset + size_t{l.frames} * frame_bytes;
  Pass p;
  p.stored = zstd.Compress(all.first(l.pixel_offset)).size() +
             zstd.Compress(all.subspan(pixels_end)).size();
  std::vector<T> samples(n);
  Bytes decoded;
  for (uint32_t i = 0; i < l.frames; ++i) {
    std::memcpy(samples.data(), all.data() + l.pixel_offset + i * frame_bytes, frame_bytes);
    if (l.pixel_representation == 1) {
      const T top = static_cast<T>(T{1} << (l.bits_allocated - 1));
      for (T& v : samples) v = static_cast<T>(v ^ top);
    }
    const T max = *std::max_element(samples.begin(), samples.end());
    cf::codec::FrameShape shape;
    shape.width = l.columns;
    shape.height = l.rows;
    shape.components = l.samples_per_pixel;
    shape.planar = l.samples_per_pixel == 3 && l.planar_configuration == 1;
    // Samples of more than 8 bits are uint16 to the codecs (FrameShape).
    shape.bits_per_sample =
        l.bits_allocated == 8
            ? 8
            : static_cast<uint16_t>(std::max<int>(static_cast<int>(std::bit_width(max)), 9));
    const ByteView in(reinterpret_cast<const std::byte*>(samples.data()), frame_bytes);
    auto start = Clock::now();
    auto coded = codec == PixelCodec::kHtj2k ? cf::codec::EncodeHtj2k(shape, in)
                                             : cf::codec::EncodeJpegLs(shape, in);
    p.encode_s += Since(start);
    if (!coded) Die(fmt::format("{}: frame {}: {}", f.name, i, coded.error().message));
    start = Clock::now();
    auto done = codec == PixelCodec::kHtj2k ? cf::codec::DecodeHtj2k(shape, *coded, decoded)
                                            : cf::codec::DecodeJpegLs(shape, *coded, decoded);
    p.decode_s += Since(start);
    if (!done) Die(fmt::format("{}: frame {}: {}", f.name, i, done.error().message));
    if (decoded.size() != frame_bytes ||
        std::memcmp(decoded.data(), samples.data(), frame_bytes) != 0) {
      Die(fmt::format("{}: frame {}: the codec gave other samples", f.name, i));
    }
    p.stored += coded->size();
  }
  return p;
}

Pass RunFrames(const File& f, Zstd& zstd, PixelCodec codec) {
  return f.layout.bits_allocated == 8 ? RunFramesOf<uint8_t>(f, zstd, codec)
                                      : RunFramesOf<uint16_t>(f, zstd, codec);
}

// ---- zstd of the whole file ----

Pass RunZstd(const File& f, Zstd& zstd) {
  Pass p;
  auto start = Clock::now();
  const Bytes packed = zstd.Compress(f.bytes);
  p.encode_s = Since(start);
  Bytes out(f.bytes.size());
  start = Clock::now();
  zstd.Decompress(packed, out.data(), out.size());
  p.decode_s = Since(start);
  if (out != f.bytes) Die(fmt::format("{}: zstd gave other bytes", f.name));
  p.stored = packed.size();
  return p;
}

// ---- OpenJPEG: reversible J2K codestreams in memory ----

struct WriteBuffer {
  Bytes data;
  size_t pos = 0;
};

OPJ_SIZE_T WriteToBuffer(void* from, OPJ_SIZE_T n, void* user) {
  auto* b = static_cast<WriteBuffer*>(user);
  if (b->pos + n > b->data.size()) b->data.resize(b->pos + n);
  std::memcpy(b->data.data() + b->pos, from, n);
  b->pos += n;
  return n;
}

OPJ_BOOL SeekInWriteBuffer(OPJ_OFF_T to, void* user) {
  auto* b = static_cast<WriteBuffer*>(user);
  if (to < 0) return OPJ_FALSE;
  b->pos = static_cast<size_t>(to);
  if (b->pos > b->data.size()) b->data.resize(b->pos);
  return OPJ_TRUE;
}

OPJ_OFF_T SkipInWriteBuffer(OPJ_OFF_T n, void* user) {
  auto* b = static_cast<WriteBuffer*>(user);
  const OPJ_OFF_T to = static_cast<OPJ_OFF_T>(b->pos) + n;
  return SeekInWriteBuffer(to, user) ? n : -1;
}

struct ReadBuffer {
  ByteView data;
  size_t pos = 0;
};

OPJ_SIZE_T ReadFromBuffer(void* to, OPJ_SIZE_T n, void* user) {
  auto* b = static_cast<ReadBuffer*>(user);
  const size_t left = b->data.size() - b->pos;
  if (left == 0) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's end of stream
  n = std::min<size_t>(n, left);
  std::memcpy(to, b->data.data() + b->pos, n);
  b->pos += n;
  return n;
}

OPJ_BOOL SeekInReadBuffer(OPJ_OFF_T to, void* user) {
  auto* b = static_cast<ReadBuffer*>(user);
  if (to < 0 || static_cast<uint64_t>(to) > b->data.size()) return OPJ_FALSE;
  b->pos = static_cast<size_t>(to);
  return OPJ_TRUE;
}

OPJ_OFF_T SkipInReadBuffer(OPJ_OFF_T n, void* user) {
  auto* b = static_cast<ReadBuffer*>(user);
  const OPJ_OFF_T left = static_cast<OPJ_OFF_T>(b->data.size() - b->pos);
  n = std::clamp<OPJ_OFF_T>(n, -static_cast<OPJ_OFF_T>(b->pos), left);
  b->pos = static_cast<size_t>(static_cast<OPJ_OFF_T>(b->pos) + n);
  return n;
}

// opj_codec_t and opj_stream_t are both void*: one closer type each keeps
// them apart.
struct CodecCloser {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct StreamCloser {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct ImageCloser {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};
using OpjCodec = std::unique_ptr<opj_codec_t, CodecCloser>;
using OpjStream = std::unique_ptr<opj_stream_t, StreamCloser>;
using OpjImage = std::unique_ptr<opj_image_t, ImageCloser>;

void KeepError(const char* message, void* user) { *static_cast<std::string*>(user) = message; }

// Five wavelet levels as usual, fewer for small images, as htj2k.cpp does,
// so both J2K codecs code the same decomposition.
int Decompositions(const NativeLayout& l) {
  const uint32_t side = std::min(l.columns, l.rows);
  return std::clamp(static_cast<int>(std::bit_width(side)) - 4, 0, 5);
}

// Index of sample (x, row) of component c in a frame, as the DICOM layout has it.
size_t At(const NativeLayout& l, uint32_t row, uint32_t x, uint32_t c) {
  const size_t plane = size_t{l.columns} * l.rows;
  if (l.samples_per_pixel == 1) return size_t{row} * l.columns + x;
  if (l.planar_configuration == 1) return c * plane + size_t{row} * l.columns + x;
  return (size_t{row} * l.columns + x) * l.samples_per_pixel + c;
}

struct Precision {
  uint32_t bits = 8;
  bool is_signed = false;
};

// J2K codes signed samples natively, so unlike the stored form no transform
// is needed: Bits Stored when the samples fit in it (signed ones only extend
// the sign above it), else all of Bits Allocated, so any bit pattern comes back.
template <class T>
Precision ChoosePrecision(const T* v, size_t n, const NativeLayout& l) {
  const uint32_t bs = l.bits_stored;
  const uint32_t ba = l.bits_allocated;
  if (l.pixel_representation == 0) {
    const T max = n == 0 ? 0 : *std::max_element(v, v + n);
    return {bs < ba && max < (T{1} << bs) ? bs : ba, false};
  }
  using S = std::make_signed_t<T>;
  const int shift = static_cast<int>(ba - bs);
  bool extends = true;
  for (size_t i = 0; i < n && extends; ++i) {
    const S s = static_cast<S>(v[i]);
    extends = static_cast<S>(static_cast<S>(v[i] << shift) >> shift) == s;
  }
  return {extends ? bs : ba, true};
}

template <class T>
Bytes EncodeJ2k(const NativeLayout& l, const T* v, const std::string& name) {
  const uint32_t w = l.columns;
  const uint32_t h = l.rows;
  const uint32_t comps = l.samples_per_pixel;
  const Precision precision = ChoosePrecision(v, size_t{w} * h * comps, l);
  std::array<opj_image_cmptparm_t, 3> params{};
  for (uint32_t c = 0; c < comps; ++c) {
    params[c].dx = params[c].dy = 1;
    params[c].w = w;
    params[c].h = h;
    params[c].prec = precision.bits;
    params[c].sgnd = precision.is_signed ? 1 : 0;
  }
  OpjImage image(
      opj_image_create(comps, params.data(), comps == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY));
  if (!image) Die(fmt::format("{}: opj_image_create failed", name));
  image->x0 = image->y0 = 0;
  image->x1 = w;
  image->y1 = h;
  for (uint32_t c = 0; c < comps; ++c) {
    OPJ_INT32* dst = image->comps[c].data;
    for (uint32_t row = 0; row < h; ++row) {
      for (uint32_t x = 0; x < w; ++x) {
        const T s = v[At(l, row, x, c)];
        dst[size_t{row} * w + x] =
            precision.is_signed ? OPJ_INT32{static_cast<std::make_signed_t<T>>(s)} : OPJ_INT32{s};
      }
    }
  }

  opj_cparameters_t p;
  opj_set_default_encoder_parameters(&p);
  p.tcp_numlayers = 1;  // one layer at rate 0: lossless
  p.tcp_rates[0] = 0;
  p.cp_disto_alloc = 1;
  p.irreversible = 0;  // 5/3 integer wavelet
  p.numresolution = Decompositions(l) + 1;
  p.tcp_mct = comps == 3 ? 1 : 0;  // reversible colour transform, as HTJ2K gets it
  OpjCodec codec(opj_create_compress(OPJ_CODEC_J2K));
  std::string error;
  opj_set_error_handler(codec.get(), KeepError, &error);
  if (!opj_setup_encoder(codec.get(), &p, image.get())) {
    Die(fmt::format("{}: opj_setup_encoder: {}", name, error));
  }
  opj_codec_set_threads(codec.get(), 0);  // the caller's thread only, even with OPJ_NUM_THREADS

  WriteBuffer out;
  out.data.reserve(size_t{w} * h * comps * sizeof(T) / 2 + 4096);
  OpjStream stream(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_FALSE));
  opj_stream_set_write_function(stream.get(), WriteToBuffer);
  opj_stream_set_skip_function(stream.get(), SkipInWriteBuffer);
  opj_stream_set_seek_function(stream.get(), SeekInWriteBuffer);
  opj_stream_set_user_data(stream.get(), &out, nullptr);
  if (!opj_start_compress(codec.get(), image.get(), stream.get()) ||
      !opj_encode(codec.get(), stream.get()) || !opj_end_compress(codec.get(), stream.get())) {
    Die(fmt::format("{}: OpenJPEG encode: {}", name, error));
  }
  return std::move(out.data);  // its size is the furthest byte written
}

template <class T>
void DecodeJ2k(const NativeLayout& l, ByteView codestream, T* out, const std::string& name) {
  OpjCodec codec(opj_create_decompress(OPJ_CODEC_J2K));
  std::string error;
  opj_set_error_handler(codec.get(), KeepError, &error);
  opj_dparameters_t p;
  opj_set_default_decoder_parameters(&p);
  if (!opj_setup_decoder(codec.get(), &p)) Die(fmt::format("{}: opj_setup_decoder", name));
  opj_codec_set_threads(codec.get(), 0);

  ReadBuffer in{codestream};
  OpjStream stream(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE));
  opj_stream_set_read_function(stream.get(), ReadFromBuffer);
  opj_stream_set_skip_function(stream.get(), SkipInReadBuffer);
  opj_stream_set_seek_function(stream.get(), SeekInReadBuffer);
  opj_stream_set_user_data(stream.get(), &in, nullptr);
  opj_stream_set_user_data_length(stream.get(), codestream.size());
  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw)) {
    Die(fmt::format("{}: opj_read_header: {}", name, error));
  }
  OpjImage image(raw);
  if (!opj_decode(codec.get(), stream.get(), image.get()) ||
      !opj_end_decompress(codec.get(), stream.get())) {
    Die(fmt::format("{}: OpenJPEG decode: {}", name, error));
  }
  if (image->numcomps != l.samples_per_pixel) Die(fmt::format("{}: OpenJPEG components", name));
  for (uint32_t c = 0; c < l.samples_per_pixel; ++c) {
    if (image->comps[c].w != l.columns || image->comps[c].h != l.rows) {
      Die(fmt::format("{}: OpenJPEG image size", name));
    }
    const OPJ_INT32* src = image->comps[c].data;
    for (uint32_t row = 0; row < l.rows; ++row) {
      for (uint32_t x = 0; x < l.columns; ++x) {
        // Modular: a negative sample gets back its two's complement bits.
        out[At(l, row, x, c)] = static_cast<T>(src[size_t{row} * l.columns + x]);
      }
    }
  }
}

struct RoundTrip {
  uint64_t frames = 0;
  uint64_t samples = 0;
  uint64_t differing_samples = 0;
  uint64_t differing_frames = 0;
};

// The bytes outside the frames go through zstd, as in the stored form, so
// the ratio compares whole files.
template <class T>
Pass RunOpenJpegOf(const File& f, Zstd& zstd, RoundTrip& check, bool report) {
  const NativeLayout& l = f.layout;
  const ByteView all = f.bytes;
  const size_t frame_bytes = l.FrameBytes();
  const size_t n = frame_bytes / sizeof(T);
  const size_t pixels_end = l.pixel_offset + size_t{l.frames} * frame_bytes;
  Pass p;

  auto start = Clock::now();
  const Bytes head = zstd.Compress(all.first(l.pixel_offset));
  const Bytes tail = zstd.Compress(all.subspan(pixels_end));
  std::vector<Bytes> streams;
  std::vector<T> samples(n);  // aligned copy: the pixel value may start at an odd offset
  for (uint32_t i = 0; i < l.frames; ++i) {
    std::memcpy(samples.data(), all.data() + l.pixel_offset + i * frame_bytes, frame_bytes);
    streams.push_back(EncodeJ2k(l, samples.data(), f.name));
  }
  p.encode_s = Since(start);
  p.stored = head.size() + tail.size();
  for (const Bytes& s : streams) p.stored += s.size();

  start = Clock::now();
  Bytes out(all.size());
  zstd.Decompress(head, out.data(), l.pixel_offset);
  for (uint32_t i = 0; i < l.frames; ++i) {
    DecodeJ2k(l, streams[i], samples.data(), f.name);
    std::memcpy(out.data() + l.pixel_offset + i * frame_bytes, samples.data(), frame_bytes);
  }
  zstd.Decompress(tail, out.data() + pixels_end, all.size() - pixels_end);
  p.decode_s = Since(start);

  if (!std::equal(out.begin(), out.begin() + l.pixel_offset, all.begin()) ||
      !std::equal(out.begin() + pixels_end, out.end(), all.begin() + pixels_end)) {
    Die(fmt::format("{}: bytes outside the frames differ after the OpenJPEG round trip", f.name));
  }
  for (uint32_t i = 0; i < l.frames; ++i) {
    const size_t at = l.pixel_offset + i * frame_bytes;
    uint64_t differ = 0;
    for (size_t k = 0; k < n; ++k) {
      T a;
      T b;
      std::memcpy(&a, all.data() + at + k * sizeof(T), sizeof(T));
      std::memcpy(&b, out.data() + at + k * sizeof(T), sizeof(T));
      differ += a != b;
    }
    check.frames += 1;
    check.samples += n;
    check.differing_samples += differ;
    check.differing_frames += differ != 0;
    if (differ != 0 && report) {
      fmt::print(stderr, "OpenJPEG MISMATCH: {} frame {}: {} of {} samples differ\n", f.name, i,
                 differ, n);
    }
  }
  return p;
}

Pass RunOpenJpeg(const File& f, Zstd& zstd, RoundTrip& check, bool report) {
  return f.layout.bits_allocated == 8 ? RunOpenJpegOf<uint8_t>(f, zstd, check, report)
                                      : RunOpenJpegOf<uint16_t>(f, zstd, check, report);
}

// ---- Sets ----

Bytes ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (!in || ec) Die(fmt::format("cannot read {}", path.string()));
  Bytes bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (!in) Die(fmt::format("cannot read {}", path.string()));
  return bytes;
}

struct Census {
  int files = 0;
  int measured = 0;
  int not_native = 0;  // compressed, big endian, not DICOM...: kept as received
  int no_pixels = 0;   // SR, PDF, RT...: plain zstd in the stored form, not an image codec
  std::map<std::string, int> refused;  // native layouts the stored form keeps as received
};

// The native images under `root`, grouped by the modality they state.
std::vector<Group> LoadSet(const std::string& set, const fs::path& root, bool dcm_only,
                           Census& census) {
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() && it.depth() == 0 && it->path().filename() == "malformed") {
      it.disable_recursion_pending();  // files meant to be refused, not images
      continue;
    }
    if (!it->is_regular_file()) continue;
    if (dcm_only && it->path().extension() != ".dcm") continue;
    paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());

  std::map<std::string, Group> groups;
  for (const fs::path& path : paths) {
    ++census.files;
    File f{fs::relative(path, root).string(), ReadWholeFile(path), {}, {}};
    cf::codec::LayoutResult found = cf::codec::FindNativeLayout(f.bytes);
    if (!found.layout) {
      ++census.not_native;
      continue;
    }
    if (!found.layout->has_pixel_data) {
      ++census.no_pixels;
      continue;
    }
    // Measured as before: little endian 8- and 16-bit images (the big endian
    // and 32-bit files of the set are a handful of small ones).
    if (found.layout->big_endian || found.layout->bits_allocated > 16) {
      ++census.refused["big endian or 32-bit (not measured)"];
      continue;
    }
    cf::codec::StoredFormOptions options;
    options.max_ratio = 100;
    cf::codec::Encoded encoded = cf::codec::EncodeStoredForm(f.bytes, options);
    if (encoded.verify_failed) Die(fmt::format("{}: stored form does not verify", f.name));
    if (!encoded.stored) {
      ++census.refused[encoded.reason];
      continue;
    }
    f.layout = *found.layout;
    f.sha256 = cf::crypto::Sha256(f.bytes);
    auto parsed = cf::dicom::ParseInstance(f.bytes);
    const std::string modality =
        parsed && !parsed->modality.empty() ? parsed->modality : "(unparsed)";
    Group& g = groups[modality];
    g.set = set;
    g.modality = modality;
    g.bytes += f.bytes.size();
    g.files.push_back(std::move(f));
    ++census.measured;
  }
  std::vector<Group> out;
  for (auto& [modality, g] : groups) out.push_back(std::move(g));
  return out;
}

std::string DescribeCensus(const std::string& set, const Census& c) {
  std::string s = fmt::format("{}: {} files, {} native images measured", set, c.files, c.measured);
  if (c.not_native > 0) s += fmt::format("; {} not native little endian (skipped)", c.not_native);
  if (c.no_pixels > 0) s += fmt::format("; {} without pixel data (skipped)", c.no_pixels);
  for (const auto& [reason, count] : c.refused) {
    s += fmt::format("; {} kept as received by the stored form ({}, skipped)", count, reason);
  }
  return s;
}

fs::path MakeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "cf-codec-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot make a temporary folder");
  return pattern;
}

// CT and MR series, radiographs and US cine clips, as the brief of the
// synthetic set has it; each modality in its own folder, as
// WriteSynthStudies wants an empty one.
void WriteSynthSet(const fs::path& dir) {
  struct Spec {
    cf::dicom::SynthModality modality;
    int instances;
  };
  const Spec specs[] = {{cf::dicom::SynthModality::kCT, 20},
                        {cf::dicom::SynthModality::kMR, 20},
                        {cf::dicom::SynthModality::kCR, 4},
                        {cf::dicom::SynthModality::kUS, 2}};
  for (const Spec& spec : specs) {
    cf::dicom::SynthOptions o;
    o.modalities = {spec.modality};
    o.instances_per_series = spec.instances;
    o.ct_size = 512;
    o.us_frames = 20;
    // Generating is not measured: use every core.
    o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    auto r = cf::dicom::WriteSynthStudies(o, dir / cf::dicom::ToString(spec.modality));
    if (!r) Die(fmt::format("synthetic studies: {}", r.error().message));
  }
}

// ---- Report ----

int OnlineCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);  // what nproc says
  return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

std::string Mb(double bytes) { return fmt::format("{:.2f}", bytes / 1e6); }

std::string Speed(double bytes, const std::vector<double>& seconds) {
  const double s = Median(seconds);
  return s > 0 ? fmt::format("{:.1f}", bytes / 1e6 / s) : "n/a";
}

void PrintRow(std::string_view set, std::string_view modality, Codec codec, size_t files,
              uint64_t bytes, const std::vector<Pass>& passes) {
  std::vector<double> ingest;
  std::vector<double> encode;
  std::vector<double> decode;
  for (const Pass& p : passes) {
    ingest.push_back(p.ingest_s);
    encode.push_back(p.encode_s);
    decode.push_back(p.decode_s);
  }
  // The codecs are deterministic: every pass stores the same bytes.
  const double ratio = static_cast<double>(bytes) / static_cast<double>(passes.front().stored);
  fmt::print("| {} | {} | {} | {} | {} | {:.2f} | {} | {} | {} |\n", set, modality, NameOf(codec),
             files, Mb(static_cast<double>(bytes)), ratio,
             Speed(static_cast<double>(bytes), encode), Speed(static_cast<double>(bytes), decode),
             UsesStoredForm(codec) ? Speed(static_cast<double>(bytes), ingest) : "–");
}

struct Args {
  fs::path testdata;
  int reps = 3;
  bool synth = true;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  a.testdata = fs::path(CF_SOURCE_DIR) / ".." / "shared" / "testdata";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--reps" && i + 1 < argc) {
      a.reps = std::atoi(argv[++i]);
      if (a.reps < 1) Die("--reps must be 1 or more");
    } else if (arg == "--no-synth") {
      a.synth = false;
    } else if (arg == "-h" || arg == "--help") {
      fmt::print("usage: cf_codec_bench [--reps N] [--no-synth] [TESTDATA]\n");
      std::exit(0);
    } else if (!arg.starts_with("-")) {
      a.testdata = arg;
    } else {
      Die(fmt::format("unknown option {}", arg));
    }
  }
  a.testdata = a.testdata.lexically_normal();
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);

  std::vector<Group> groups;
  std::vector<std::string> notes;
  if (args.synth) {
    SynthDir() = MakeTempDir();
    fmt::print(stderr, "generating the synthetic studies in {}\n", SynthDir().string());
    WriteSynthSet(SynthDir());
    Census census;
    for (Group& g : LoadSet("synthetic", SynthDir(), true, census)) groups.push_back(std::move(g));
    notes.push_back(DescribeCensus("synthetic set", census));
    RemoveSynthDir();  // the files are in memory now
  }
  if (fs::is_directory(args.testdata)) {
    fmt::print(stderr, "reading {}\n", args.testdata.string());
    Census census;
    for (Group& g : LoadSet("real", args.testdata, false, census)) groups.push_back(std::move(g));
    notes.push_back(DescribeCensus(fmt::format("real set ({})", args.testdata.string()), census));
  } else {
    notes.push_back(fmt::format("real set SKIPPED: no folder {}", args.testdata.string()));
    fmt::print(stderr, "codec_bench: real set skipped: no folder {}\n", args.testdata.string());
  }
  if (groups.empty()) Die("nothing to measure");

  // Repetitions outermost: a slow moment of the shared machine then costs
  // one pass of every codec, not every pass of one codec.
  std::vector<std::array<std::vector<Pass>, kCodecs.size()>> passes(groups.size());
  Zstd zstd;
  RoundTrip check;
  RoundTrip uncounted;
  for (int rep = 0; rep < args.reps; ++rep) {
    for (size_t g = 0; g < groups.size(); ++g) {
      const Group& group = groups[g];
      fmt::print(stderr, "pass {}/{}: {} {} ({} files, {} MB)\n", rep + 1, args.reps, group.set,
                 group.modality, group.files.size(), Mb(static_cast<double>(group.bytes)));
      for (size_t c = 0; c < kCodecs.size(); ++c) {
        Pass total;
        for (const File& f : group.files) {
          switch (kCodecs[c]) {
            case Codec::kJpegLs:
              total += RunStoredForm(f, PixelCodec::kJpegLs);
              break;
            case Codec::kHtj2k:
              total += RunStoredForm(f, PixelCodec::kHtj2k);
              break;
            case Codec::kJpegLsFrames:
              total += RunFrames(f, zstd, PixelCodec::kJpegLs);
              break;
            case Codec::kHtj2kFrames:
              total += RunFrames(f, zstd, PixelCodec::kHtj2k);
              break;
            case Codec::kOpenJpeg: {
              // Counted and reported once: every pass codes the same frames.
              total += RunOpenJpeg(f, zstd, rep == 0 ? check : uncounted, rep == 0);
              break;
            }
            case Codec::kZstd:
              total += RunZstd(f, zstd);
              break;
          }
        }
        passes[g][c].push_back(total);
      }
    }
  }

  fmt::print("## Codec benchmark\n\n");
  fmt::print("- machine: nproc {}, {}; one thread, so the speeds are per core\n", OnlineCpus(),
             CpuModel());
  fmt::print("- build: {}, GCC {}\n", CF_BUILD_TYPE, __VERSION__);
  fmt::print("- libraries: CharLS {}, OpenJPH {}.{}.{}, OpenJPEG {}, zstd {}\n",
             charls_get_version_string(), OPENJPH_VERSION_MAJOR, OPENJPH_VERSION_MINOR,
             OPENJPH_VERSION_PATCH, opj_version(), ZSTD_versionString());
  for (const std::string& note : notes) fmt::print("- {}\n", note);
  fmt::print("- medians of {} passes over each set; MB = 10^6 bytes\n\n", args.reps);

  fmt::print(
      "| set | modality | codec | files | received MB | ratio (received / stored, whole file) | "
      "encode MB/s | decode MB/s | ingest MB/s |\n");
  fmt::print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const std::string_view set : {"synthetic", "real"}) {
    size_t files = 0;
    uint64_t bytes = 0;
    std::array<std::vector<Pass>, kCodecs.size()> all;
    for (auto& v : all) v.resize(args.reps);
    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].set != set) continue;
      files += groups[g].files.size();
      bytes += groups[g].bytes;
      for (size_t c = 0; c < kCodecs.size(); ++c) {
        PrintRow(set, groups[g].modality, kCodecs[c], groups[g].files.size(), groups[g].bytes,
                 passes[g][c]);
        for (int r = 0; r < args.reps; ++r) all[c][r] += passes[g][c][r];
      }
    }
    if (files == 0) continue;
    for (size_t c = 0; c < kCodecs.size(); ++c) {
      PrintRow(fmt::format("**{}**", set), "**all**", kCodecs[c], files, bytes, all[c]);
    }
  }

  fmt::print(
      "\n- ratio: received bytes / stored bytes of the whole file. Stored form: its full size "
      "(header, zstd of the bytes outside the pixel data, coded frames). OpenJPEG: the J2K "
      "codestreams plus zstd -3 of the bytes outside the frames. zstd: the whole file.\n");
  fmt::print(
      "- speeds are over received bytes. Stored form: encode = EncodeStoredForm minus "
      "DecodeStoredForm (EncodeStoredForm decodes once more to verify); ingest = EncodeStoredForm "
      "as the archive's background thread calls it (here with max_ratio = 100, so every file "
      "gets a stored form, and with the received SHA-256 given, as ingest has it); decode = "
      "DecodeStoredForm (SHA-256 check included). Every decoded file was compared with the "
      "received bytes. Frames only: the codec's encode and decode calls on each frame's "
      "samples and nothing else (the figure the libraries' own benchmarks give); ratio with "
      "zstd of the bytes outside the frames, speed over the whole file's bytes.\n");
  fmt::print(
      "- OpenJPEG round trip (reversible 5/3, irreversible=0): {} frames, {} samples, {} frames "
      "with {} differing samples{}\n",
      check.frames, check.samples, check.differing_frames, check.differing_samples,
      check.differing_samples == 0 ? " (lossless)" : " (NOT LOSSLESS: see stderr)");
  return 0;
}
