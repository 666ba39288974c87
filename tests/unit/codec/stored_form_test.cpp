// SPDX-License-Identifier: Apache-2.0
#include "codec/stored_form.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "codec/native_layout.hpp"
#include "core/file_io.hpp"
#include "crypto/sha256.hpp"
#include "small_synth_studies.hpp"
#include "support/temp_dir.hpp"

namespace cf::codec {
namespace {

namespace fs = std::filesystem;

// A minimal Part 10 file, written byte by byte so that every layout case
// (garbage above Bits Stored, planar colour, odd leftovers, sequences of
// undefined length before the pixels, elements after them) can be made.
class Part10 {
 public:
  explicit Part10(bool explicit_vr = true) : explicit_(explicit_vr) {
    out_.resize(128);
    Raw("DICM");
    const std::string ts = explicit_vr ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2";
    std::string v = ts;
    if (v.size() % 2) v.push_back('\0');
    U16(0x0002), U16(0x0010), Raw("UI"), U16(static_cast<uint16_t>(v.size())), Raw(v);
  }
  // Explicit VR big endian (1.2.840.10008.1.2.2): the file meta little
  // endian as always, the data set's numbers big endian.
  static Part10 BigEndian() {
    Part10 p(true);
    p.out_.resize(132);
    const std::string v = "1.2.840.10008.1.2.2";
    p.U16(0x0002), p.U16(0x0010), p.Raw("UI"), p.U16(static_cast<uint16_t>(v.size())), p.Raw(v);
    p.big_ = true;
    return p;
  }
  Part10& Us(uint16_t elem, uint16_t value) {
    Head(0x0028, elem, "US", 2);
    return U16(value);
  }
  Part10& Frames(const std::string& n) {
    std::string v = n;
    if (v.size() % 2) v.push_back(' ');
    Head(0x0028, 0x0008, "IS", static_cast<uint32_t>(v.size()));
    return Raw(v);
  }
  // (0008,1115) with one undefined-length item holding one element.
  Part10& UndefinedSequence() {
    Head(0x0008, 0x1115, "SQ", 0xFFFFFFFF);
    U16(0xFFFE), U16(0xE000), U32(0xFFFFFFFF);
    Head(0x0008, 0x1150, "UI", 4);
    Raw("1.2");
    out_.push_back(std::byte{0});
    U16(0xFFFE), U16(0xE00D), U32(0);
    U16(0xFFFE), U16(0xE0DD), U32(0);
    return *this;
  }
  Part10& Pixels(const Bytes& pixels, const char* vr = nullptr) {
    Head(0x7FE0, 0x0010,
         vr != nullptr       ? vr
         : pixels.size() % 2 ? "OB"
                             : "OW",
         static_cast<uint32_t>(pixels.size()));
    out_.insert(out_.end(), pixels.begin(), pixels.end());
    return *this;
  }
  Part10& TrailingPadding() {
    Head(0xFFFC, 0xFFFC, "OB", 6);
    return Raw(std::string("\0\0\0\0\0\0", 6));
  }
  Bytes Build() const { return out_; }

 private:
  Part10& Raw(std::string_view s) {
    for (char c : s) out_.push_back(static_cast<std::byte>(c));
    return *this;
  }
  Part10& U16(uint16_t v) {
    out_.push_back(static_cast<std::byte>(big_ ? v >> 8 : v & 0xFF));
    out_.push_back(static_cast<std::byte>(big_ ? v & 0xFF : v >> 8));
    return *this;
  }
  Part10& U32(uint32_t v) {
    if (big_) {
      U16(static_cast<uint16_t>(v >> 16));
      return U16(static_cast<uint16_t>(v & 0xFFFF));
    }
    U16(static_cast<uint16_t>(v & 0xFFFF));
    return U16(static_cast<uint16_t>(v >> 16));
  }
  void Head(uint16_t g, uint16_t e, const char* vr, uint32_t len) {
    U16(g), U16(e);
    if (!explicit_) {
      U32(len);
      return;
    }
    Raw(vr);
    const std::string_view v(vr);
    if (v == "OB" || v == "OW" || v == "SQ" || v == "UN") {
      U16(0), U32(len);
    } else {
      U16(static_cast<uint16_t>(len));
    }
  }
  Bytes out_;
  bool explicit_;
  bool big_ = false;
};

Bytes Words(const std::vector<uint16_t>& v) {
  Bytes b(v.size() * 2);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// The samples as an explicit VR big endian OW value holds them.
Bytes BigWords(const std::vector<uint16_t>& v) {
  Bytes b(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    b[2 * i] = static_cast<std::byte>(v[i] >> 8);
    b[2 * i + 1] = static_cast<std::byte>(v[i] & 0xFF);
  }
  return b;
}

Bytes Dwords(const std::vector<uint32_t>& v) {
  Bytes b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// A smooth 16-bit image with noise, `bits` significant, optionally signed.
std::vector<uint16_t> Image(int w, int h, int bits, bool is_signed, uint32_t seed) {
  std::vector<uint16_t> v(static_cast<size_t>(w) * h);
  uint32_t x = seed * 2654435761u + 1;
  const int range = 1 << bits;
  for (int r = 0; r < h; ++r) {
    for (int c = 0; c < w; ++c) {
      x = x * 1664525u + 1013904223u;
      int value = (r * 7 + c * 3) % (range / 2) + static_cast<int>(x >> 28);
      if (is_signed) value -= range / 4;
      v[static_cast<size_t>(r) * w + c] = static_cast<uint16_t>(static_cast<int16_t>(value));
    }
  }
  return v;
}

constexpr PixelCodec kCodecs[] = {PixelCodec::kJpegLs, PixelCodec::kHtj2k};

StoredFormOptions With(PixelCodec codec, double max_ratio = 0.97) {
  StoredFormOptions o;
  o.pixel_codec = codec;
  o.max_ratio = max_ratio;
  return o;
}

// With each pixel codec: stored in the expected kind (even without gain:
// these small made-up images test exactness, the synthetic studies below
// test ratios) and rebuilt to the same bytes.
// The format version a stored form says it is (offset 8).
uint32_t VersionOf(const Bytes& form) {
  uint32_t v = 0;
  std::memcpy(&v, form.data() + 8, 4);
  return v;
}

void ExpectRoundTrip(const Bytes& received, StoredKind kind, uint32_t version = 1) {
  for (PixelCodec codec : kCodecs) {
    SCOPED_TRACE(static_cast<int>(codec));
    Encoded e = EncodeStoredForm(received, With(codec, 100.0));
    ASSERT_EQ(e.kind, kind) << e.reason;
    ASSERT_TRUE(e.stored);
    EXPECT_FALSE(e.verify_failed);
    EXPECT_TRUE(IsStoredForm(*e.stored));
    EXPECT_EQ(VersionOf(*e.stored), version);
    auto back = DecodeStoredForm(*e.stored);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(crypto::Sha256(*back), crypto::Sha256(received));
  }
}

Part10 Mono16(int w, int h, int stored, bool is_signed) {
  Part10 p;
  p.Us(0x0002, 1).Us(0x0010, static_cast<uint16_t>(h)).Us(0x0011, static_cast<uint16_t>(w));
  p.Us(0x0100, 16).Us(0x0101, static_cast<uint16_t>(stored)).Us(0x0103, is_signed ? 1 : 0);
  return p;
}

TEST(StoredFormTest, UnsignedTwelveBitImageRoundTripsCompressed) {
  ExpectRoundTrip(Mono16(64, 48, 12, false).Pixels(Words(Image(64, 48, 12, false, 1))).Build(),
                  StoredKind::kNativePixels);
}

TEST(StoredFormTest, SignedImageWithSignExtensionRoundTrips) {
  ExpectRoundTrip(Mono16(64, 48, 12, true).Pixels(Words(Image(64, 48, 12, true, 2))).Build(),
                  StoredKind::kNativePixels);
}

TEST(StoredFormTest, GarbageAboveBitsStoredIsKept) {
  auto px = Image(64, 48, 12, true, 3);
  for (size_t i = 0; i < px.size(); i += 7) px[i] ^= 0x4000;  // an overlay bit, say
  ExpectRoundTrip(Mono16(64, 48, 12, true).Pixels(Words(px)).Build(), StoredKind::kNativePixels);
  auto upx = Image(64, 48, 12, false, 4);
  for (size_t i = 0; i < upx.size(); i += 5) upx[i] |= 0x8000;
  ExpectRoundTrip(Mono16(64, 48, 12, false).Pixels(Words(upx)).Build(), StoredKind::kNativePixels);
}

TEST(StoredFormTest, MultiFrameWithSequencesLeftoverAndTrailingElementsRoundTrips) {
  auto a = Image(32, 32, 16, false, 5);
  auto b = Image(32, 32, 16, false, 6);
  a.insert(a.end(), b.begin(), b.end());
  Bytes pixels = Words(a);
  pixels.push_back(std::byte{0x5A});  // a stray byte after the last frame
  pixels.push_back(std::byte{0xA5});
  Part10 p = Mono16(32, 32, 16, false);
  p.Frames("2").UndefinedSequence().Pixels(pixels).TrailingPadding();
  const Bytes file = p.Build();
  auto layout = FindNativeLayout(file).layout;
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->frames, 2u);
  ExpectRoundTrip(file, StoredKind::kNativePixels);
}

TEST(StoredFormTest, PlanarAndInterleavedColourRoundTrip) {
  for (uint16_t planar : {0, 1}) {
    Bytes rgb(40 * 30 * 3);
    for (size_t i = 0; i < rgb.size(); ++i)
      rgb[i] = static_cast<std::byte>((i / 3 + i % 3 * 40) & 0xFF);
    Part10 p;
    p.Us(0x0002, 3).Us(0x0006, planar).Us(0x0010, 30).Us(0x0011, 40);
    p.Us(0x0100, 8).Us(0x0101, 8).Us(0x0103, 0).Pixels(rgb);
    ExpectRoundTrip(p.Build(), StoredKind::kNativePixels);
  }
}

TEST(StoredFormTest, ImplicitVrRoundTrips) {
  Part10 p(false);
  p.Us(0x0002, 1).Us(0x0010, 40).Us(0x0011, 40).Us(0x0100, 16).Us(0x0101, 16).Us(0x0103, 0);
  ExpectRoundTrip(p.Pixels(Words(Image(40, 40, 16, false, 7))).Build(), StoredKind::kNativePixels);
}

TEST(StoredFormTest, ObjectsWithoutPixelsAreZstdAndOddOnesAsReceived) {
  Part10 report;
  for (int i = 0; i < 40; ++i) report.Frames("1");  // repetitive, compressible
  ExpectRoundTrip(report.Build(), StoredKind::kZstd);

  Part10 odd = Mono16(8, 8, 12, false);  // claims 8x8 but holds less
  odd.Pixels(Bytes(20));
  Encoded e = EncodeStoredForm(odd.Build());
  EXPECT_EQ(e.kind, StoredKind::kAsReceived);
  EXPECT_FALSE(e.stored);
  EXPECT_EQ(e.reason, "pixel data shorter than frames");

  Bytes raw = Mono16(8, 8, 12, false).Build();
  std::memcpy(raw.data() + 128, "XXXX", 4);  // not Part 10
  EXPECT_FALSE(EncodeStoredForm(raw).stored);
}

TEST(StoredFormTest, WithoutPixelsKeepsEveryOtherByteAndZeroesThePixels) {
  Part10 p = Mono16(32, 32, 12, true);
  p.Frames("2").UndefinedSequence();
  auto a = Image(32, 32, 12, true, 9);
  auto b = Image(32, 32, 12, true, 10);
  a.insert(a.end(), b.begin(), b.end());
  const Bytes file = p.Pixels(Words(a)).TrailingPadding().Build();
  auto layout = FindNativeLayout(file).layout;
  ASSERT_TRUE(layout);
  Bytes expected = file;
  std::fill(expected.begin() + static_cast<long>(layout->pixel_offset),
            expected.begin() + static_cast<long>(layout->pixel_offset + layout->pixel_length),
            std::byte{0});
  for (PixelCodec codec : kCodecs) {
    Encoded e = EncodeStoredForm(file, With(codec, 100.0));
    ASSERT_TRUE(e.stored);
    auto header = DecodeStoredFormWithoutPixels(*e.stored);
    ASSERT_TRUE(header) << header.error().message;
    EXPECT_EQ(*header, expected);
    // The zstd frames check themselves: damage outside the pixels is caught.
    Bytes damaged = *e.stored;
    damaged[150] ^= std::byte{0x01};
    EXPECT_FALSE(DecodeStoredFormWithoutPixels(damaged));
  }
}

TEST(StoredFormTest, DamagedStoredFormIsAnErrorNotWrongBytes) {
  const Bytes file = Mono16(64, 48, 12, false).Pixels(Words(Image(64, 48, 12, false, 8))).Build();
  for (PixelCodec codec : kCodecs) {
    Encoded e = EncodeStoredForm(file, With(codec));
    ASSERT_TRUE(e.stored);
    // Flip a bit in every position class: header, prefix, frame, suffix.
    for (size_t at : {size_t{20}, size_t{140}, e.stored->size() / 2, e.stored->size() - 3}) {
      Bytes damaged = *e.stored;
      damaged[at] ^= std::byte{0x10};
      EXPECT_FALSE(DecodeStoredForm(damaged)) << "flip at " << at;
    }
    Bytes cut = *e.stored;
    cut.resize(cut.size() / 2);
    EXPECT_FALSE(DecodeStoredForm(cut));
  }
}

TEST(StoredFormTest, SyntheticStudiesCompressToAThirdOrBetter) {
  cf::testing::TempDir dir;
  ASSERT_TRUE(WriteSmallSynthStudies(dir.Path() / "s"));
  for (PixelCodec codec : kCodecs) {
    SCOPED_TRACE(static_cast<int>(codec));
    uint64_t received = 0, stored = 0;
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir.Path() / "s")) {
      if (e.path().extension() != ".dcm") continue;
      auto bytes = ReadFile(e.path(), 1ull << 30);
      ASSERT_TRUE(bytes);
      Encoded enc = EncodeStoredForm(*bytes, With(codec));
      ASSERT_EQ(enc.kind, StoredKind::kNativePixels) << e.path() << ": " << enc.reason;
      auto back = DecodeStoredForm(*enc.stored);
      ASSERT_TRUE(back);
      ASSERT_EQ(*back, *bytes);
      received += bytes->size();
      stored += enc.stored->size();
      ++files;
    }
    EXPECT_EQ(files, 8);
    EXPECT_LT(static_cast<double>(stored), received / 3.0);
  }
}

// Every non-malformed file of the shared test data: stored compressed where
// the layout allows, and always rebuilt to the exact received bytes.
TEST(StoredFormTest, SharedTestDataRoundTripsExactly) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  std::map<std::string, int> by_reason;
  int compressed = 0, total = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), root).string();
    if (rel.starts_with("malformed/") || rel.starts_with("LICENSES") ||
        e.path().extension() == ".tsv" || e.path().extension() == ".md") {
      continue;
    }
    auto bytes = ReadFile(e.path(), 1ull << 30);
    ASSERT_TRUE(bytes);
    ++total;
    for (PixelCodec codec : kCodecs) {
      Encoded enc = EncodeStoredForm(*bytes, With(codec));
      EXPECT_FALSE(enc.verify_failed) << rel << " codec " << static_cast<int>(codec);
      if (!enc.stored) {
        if (codec == PixelCodec::kJpegLs) ++by_reason[enc.reason];
        continue;
      }
      auto back = DecodeStoredForm(*enc.stored);
      ASSERT_TRUE(back) << rel << ": " << back.error().message;
      ASSERT_TRUE(*back == *bytes) << rel;
      if (codec == PixelCodec::kJpegLs) ++compressed;
    }
  }
  for (const auto& [reason, n] : by_reason)
    std::cout << "  as received: " << n << " (" << reason << ")\n";
  std::cout << "  compressed " << compressed << " of " << total << "\n";
  EXPECT_GT(compressed, total / 3);
}

// The real big endian and 32-bit files of the shared test data get stored
// forms (version 2) and rebuild exactly.
TEST(StoredFormTest, SharedBigEndianAndThirtyTwoBitFilesAreCompressed) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  for (const char* rel : {"codecs/ct-ts-matrix/ct_1.2.840.10008.1.2.2_explicit-be.dcm",
                          "codecs/mr_small_explicit-be.dcm", "codecs/us-rgb_explicit-be.dcm",
                          "modalities/rtdose.dcm", "pixel/rgb_32bit.dcm"}) {
    SCOPED_TRACE(rel);
    auto bytes = ReadFile(root / rel, 1ull << 30);
    ASSERT_TRUE(bytes);
    for (PixelCodec codec : kCodecs) {
      Encoded enc = EncodeStoredForm(*bytes, With(codec, 100.0));
      ASSERT_EQ(enc.kind, StoredKind::kNativePixels) << enc.reason;
      EXPECT_EQ(VersionOf(*enc.stored), 2u);
      auto back = DecodeStoredForm(*enc.stored);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(crypto::Sha256(*back), crypto::Sha256(*bytes));
      std::cout << "  " << rel << " codec " << static_cast<int>(codec) << ": " << bytes->size()
                << " -> " << enc.stored->size() << "\n";
    }
  }
}

// ---- Explicit VR big endian (stored form version 2) ----

Part10 BigMono16(int w, int h, int stored, bool is_signed) {
  Part10 p = Part10::BigEndian();
  p.Us(0x0002, 1).Us(0x0010, static_cast<uint16_t>(h)).Us(0x0011, static_cast<uint16_t>(w));
  p.Us(0x0100, 16).Us(0x0101, static_cast<uint16_t>(stored)).Us(0x0103, is_signed ? 1 : 0);
  return p;
}

TEST(StoredFormTest, BigEndianLayoutIsFound) {
  const Bytes file = BigMono16(37, 23, 12, true)
                         .Frames("3")
                         .UndefinedSequence()
                         .Pixels(BigWords(Image(37, 23 * 3, 12, true, 20)))
                         .TrailingPadding()
                         .Build();
  auto layout = FindNativeLayout(file).layout;
  ASSERT_TRUE(layout);
  EXPECT_TRUE(layout->big_endian);
  EXPECT_EQ(layout->rows, 23u);
  EXPECT_EQ(layout->columns, 37u);
  EXPECT_EQ(layout->frames, 3u);
  EXPECT_EQ(layout->bits_stored, 12u);
  EXPECT_EQ(layout->pixel_representation, 1u);
  EXPECT_EQ(layout->pixel_length, 37u * 23 * 3 * 2);
}

TEST(StoredFormTest, BigEndianSignedAndUnsignedFramesRoundTripBitExact) {
  // One frame, odd sizes, signed 12 bits sign-extended.
  ExpectRoundTrip(BigMono16(37, 23, 12, true).Pixels(BigWords(Image(37, 23, 12, true, 21))).Build(),
                  StoredKind::kNativePixels, 2);
  // Several frames, unsigned 16 bits, a stray byte after the frames, sequences
  // before the pixels and an element after them.
  Bytes three = BigWords(Image(31, 17 * 3, 16, false, 22));
  three.push_back(std::byte{0x12});
  three.push_back(std::byte{0x34});
  ExpectRoundTrip(BigMono16(31, 17, 16, false)
                      .Frames("3")
                      .UndefinedSequence()
                      .Pixels(three)
                      .TrailingPadding()
                      .Build(),
                  StoredKind::kNativePixels, 2);
  // Signed with garbage above Bits Stored (top-bit flip) in big endian.
  auto garbage = Image(29, 19, 10, true, 23);
  for (size_t i = 0; i < garbage.size(); i += 3) garbage[i] ^= 0x2000;
  ExpectRoundTrip(BigMono16(29, 19, 10, true).Frames("1").Pixels(BigWords(garbage)).Build(),
                  StoredKind::kNativePixels, 2);
}

TEST(StoredFormTest, BigEndianColourInObRoundTrips) {
  for (uint16_t planar : {0, 1}) {
    Bytes rgb(41 * 27 * 3);
    for (size_t i = 0; i < rgb.size(); ++i)
      rgb[i] = static_cast<std::byte>((i / 3 + i % 3 * 40) & 0xFF);
    Part10 p = Part10::BigEndian();
    p.Us(0x0002, 3).Us(0x0006, planar).Us(0x0010, 27).Us(0x0011, 41);
    p.Us(0x0100, 8).Us(0x0101, 8).Us(0x0103, 0).Pixels(rgb, "OB");
    ExpectRoundTrip(p.Build(), StoredKind::kNativePixels, 2);
  }
}

// The frames hold the samples, not the bytes: a big endian image compresses
// like its little endian twin (a byte-order mistake would code noise).
TEST(StoredFormTest, BigEndianFramesCodeTheSamples) {
  const auto px = Image(128, 96, 12, false, 24);
  const Bytes big = BigMono16(128, 96, 12, false).Pixels(BigWords(px)).Build();
  const Bytes little = Mono16(128, 96, 12, false).Pixels(Words(px)).Build();
  for (PixelCodec codec : kCodecs) {
    Encoded b = EncodeStoredForm(big, With(codec));
    Encoded l = EncodeStoredForm(little, With(codec));
    ASSERT_TRUE(b.stored) << b.reason;
    ASSERT_TRUE(l.stored) << l.reason;
    EXPECT_EQ(VersionOf(*b.stored), 2u);
    EXPECT_EQ(VersionOf(*l.stored), 1u);  // what version 1 describes stays version 1
    // Same frame records; only the header's flags and the zstd prefix differ.
    EXPECT_NEAR(static_cast<double>(b.stored->size()), static_cast<double>(l.stored->size()), 64);
    auto back = DecodeStoredForm(*b.stored);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, big);
  }
}

TEST(StoredFormTest, BigEndianEightBitOwIsKeptAsReceived) {
  Part10 p = Part10::BigEndian();
  p.Us(0x0002, 1).Us(0x0010, 8).Us(0x0011, 8).Us(0x0100, 8).Us(0x0101, 8).Us(0x0103, 0);
  Encoded e = EncodeStoredForm(p.Pixels(Bytes(64, std::byte{7}), "OW").Build());
  EXPECT_FALSE(e.stored);
  EXPECT_EQ(e.reason, "big endian pixel layout");
}

// A version 2 flag on a version 1 form, or an unknown flag, is refused.
TEST(StoredFormTest, UnknownFlagsAreRefused) {
  const Bytes file =
      BigMono16(16, 16, 12, false).Pixels(BigWords(Image(16, 16, 12, false, 25))).Build();
  Encoded e = EncodeStoredForm(file, With(PixelCodec::kHtj2k, 100.0));
  ASSERT_TRUE(e.stored);
  Bytes v1 = *e.stored;
  v1[8] = std::byte{1};
  EXPECT_FALSE(DecodeStoredForm(v1));
  Bytes unknown = *e.stored;
  unknown[96] |= std::byte{0x02};
  EXPECT_FALSE(DecodeStoredForm(unknown));
}

// Blobs written by the version 1 code (before big endian and 32-bit
// samples; commit a932f3e), a 10x6 signed 12-bit image: read as ever.
TEST(StoredFormTest, VersionOneBlobsStillDecode) {
  const uint8_t kHtj2kV1[] = {
      0x89, 0x43, 0x46, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x60, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x4e, 0xc7, 0x11, 0x4b, 0x33,
      0x85, 0x13, 0x76, 0x53, 0x4f, 0xbb, 0x55, 0x61, 0x8f, 0x1d, 0x40, 0xfd, 0xe2, 0xbb, 0x4e,
      0xd4, 0xe0, 0xba, 0xdc, 0xa0, 0x69, 0xaa, 0x99, 0x38, 0x6b, 0x9f, 0xe8, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x78, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x06, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x0c, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x43, 0x46, 0x5a, 0x31, 0x88, 0x00, 0x00,
      0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0xb5, 0x2f, 0xfd, 0x24, 0xe8,
      0xbd, 0x02, 0x00, 0xf2, 0x84, 0x10, 0x1a, 0xc0, 0xa7, 0x31, 0xff, 0xff, 0xff, 0xe5, 0xfd,
      0x46, 0xf6, 0x42, 0x6b, 0x46, 0x58, 0x49, 0x85, 0x94, 0x46, 0xea, 0xb7, 0x85, 0x6c, 0xad,
      0x26, 0x65, 0x0a, 0x7f, 0xf3, 0xcc, 0x32, 0x72, 0x9e, 0x0f, 0x38, 0x1f, 0xee, 0x1c, 0xdd,
      0xe7, 0x02, 0x71, 0x1e, 0x8c, 0x2c, 0xbf, 0x91, 0xb5, 0xf1, 0x3c, 0xa9, 0xda, 0xdd, 0xa4,
      0x7b, 0x28, 0x35, 0x34, 0x5d, 0xac, 0x36, 0x1a, 0x15, 0x64, 0x25, 0x1f, 0x07, 0x00, 0x40,
      0x34, 0x38, 0x0d, 0xac, 0xb4, 0x34, 0x97, 0xd4, 0x7e, 0x63, 0xae, 0x63, 0xa7, 0xa0, 0x0d,
      0x0c, 0xdb, 0x46, 0x3f, 0x01, 0x00, 0x0c, 0x00, 0xd9, 0x00, 0x00, 0x00, 0xff, 0x4f, 0xff,
      0x51, 0x00, 0x29, 0x40, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x06, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0b, 0x01, 0x01, 0xff, 0x50, 0x00,
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0xff, 0x52, 0x00, 0x0c, 0x00, 0x02, 0x00, 0x01,
      0x00, 0x00, 0x04, 0x04, 0x40, 0x01, 0xff, 0x5c, 0x00, 0x04, 0x20, 0x68, 0xff, 0x64, 0x00,
      0x16, 0x00, 0x01, 0x4f, 0x70, 0x65, 0x6e, 0x4a, 0x50, 0x48, 0x20, 0x56, 0x65, 0x72, 0x20,
      0x30, 0x2e, 0x39, 0x2e, 0x30, 0x2e, 0xff, 0x90, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x74, 0x00, 0x01, 0xff, 0x93, 0xc0, 0x02, 0xf6, 0x20, 0xff, 0x5f, 0xd1, 0xb5, 0x1f, 0xcd,
      0xb5, 0x1f, 0x32, 0xe4, 0x3d, 0xbc, 0xf6, 0xfc, 0x1a, 0x9d, 0xba, 0x21, 0x7f, 0x2d, 0xbf,
      0x15, 0x7b, 0xed, 0xb2, 0xca, 0x1a, 0xa8, 0x1b, 0x4d, 0x5d, 0x7b, 0x12, 0x3e, 0x9a, 0x5f,
      0x67, 0xa5, 0xce, 0x0f, 0x59, 0x71, 0x31, 0xc2, 0xbb, 0x87, 0xcb, 0xc6, 0xa0, 0xa9, 0xe7,
      0x1f, 0x68, 0xe7, 0x73, 0xf9, 0xc6, 0x62, 0x4a, 0x08, 0x6a, 0xfb, 0x7b, 0x22, 0x6f, 0xe5,
      0xe8, 0x31, 0xfa, 0xcd, 0x60, 0x56, 0x17, 0xd2, 0xc4, 0xe3, 0x43, 0x61, 0xaa, 0x63, 0xe8,
      0x00, 0x02, 0x33, 0x8e, 0xeb, 0xbb, 0xb3, 0x98, 0x18, 0x84, 0x00, 0xc6, 0x21, 0x00, 0x31,
      0xb1, 0x01, 0xff, 0xd9, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0xb5, 0x2f,
      0xfd, 0x24, 0x00, 0x01, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51};
  const uint8_t kJpegLsV1[] = {
      0x89, 0x43, 0x46, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x60, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x4e, 0xc7, 0x11, 0x4b, 0x33,
      0x85, 0x13, 0x76, 0x53, 0x4f, 0xbb, 0x55, 0x61, 0x8f, 0x1d, 0x40, 0xfd, 0xe2, 0xbb, 0x4e,
      0xd4, 0xe0, 0xba, 0xdc, 0xa0, 0x69, 0xaa, 0x99, 0x38, 0x6b, 0x9f, 0xe8, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x78, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x06, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x0c, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x43, 0x46, 0x5a, 0x31, 0x88, 0x00, 0x00,
      0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0xb5, 0x2f, 0xfd, 0x24, 0xe8,
      0xbd, 0x02, 0x00, 0xf2, 0x84, 0x10, 0x1a, 0xc0, 0xa7, 0x31, 0xff, 0xff, 0xff, 0xe5, 0xfd,
      0x46, 0xf6, 0x42, 0x6b, 0x46, 0x58, 0x49, 0x85, 0x94, 0x46, 0xea, 0xb7, 0x85, 0x6c, 0xad,
      0x26, 0x65, 0x0a, 0x7f, 0xf3, 0xcc, 0x32, 0x72, 0x9e, 0x0f, 0x38, 0x1f, 0xee, 0x1c, 0xdd,
      0xe7, 0x02, 0x71, 0x1e, 0x8c, 0x2c, 0xbf, 0x91, 0xb5, 0xf1, 0x3c, 0xa9, 0xda, 0xdd, 0xa4,
      0x7b, 0x28, 0x35, 0x34, 0x5d, 0xac, 0x36, 0x1a, 0x15, 0x64, 0x25, 0x1f, 0x07, 0x00, 0x40,
      0x34, 0x38, 0x0d, 0xac, 0xb4, 0x34, 0x97, 0xd4, 0x7e, 0x63, 0xae, 0x63, 0xa7, 0xa0, 0x0d,
      0x0c, 0xdb, 0x46, 0x3f, 0x01, 0x00, 0x0c, 0x00, 0x54, 0x00, 0x00, 0x00, 0xff, 0xd8, 0xff,
      0xf7, 0x00, 0x0b, 0x0c, 0x00, 0x06, 0x00, 0x0a, 0x01, 0x01, 0x11, 0x00, 0xff, 0xda, 0x00,
      0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x92, 0x52, 0x52, 0x51, 0xd1, 0x50, 0xd0, 0x7f,
      0xa4, 0x80, 0x0c, 0x89, 0x49, 0x08, 0xc8, 0x88, 0x48, 0x1f, 0xbe, 0x25, 0x00, 0x0c, 0x9e,
      0xbc, 0x76, 0xe9, 0xcb, 0x86, 0xed, 0x89, 0x07, 0x89, 0x52, 0x84, 0xc9, 0x11, 0x20, 0xfb,
      0xe4, 0x65, 0xc1, 0xe7, 0x5d, 0x71, 0xc7, 0x1b, 0x6c, 0x88, 0xb7, 0xb4, 0xd3, 0x4d, 0x32,
      0xcb, 0x2c, 0x90, 0x80, 0xff, 0xd9, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28,
      0xb5, 0x2f, 0xfd, 0x24, 0x00, 0x01, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51};
  std::vector<uint16_t> px;
  for (int i = 0; i < 60; ++i)
    px.push_back(static_cast<uint16_t>(static_cast<int16_t>((i * 37) % 4096 - 2048)));
  const Bytes file = Mono16(10, 6, 12, true).Pixels(Words(px)).Build();
  for (ByteView blob :
       {ByteView(reinterpret_cast<const std::byte*>(kHtj2kV1), sizeof kHtj2kV1),
        ByteView(reinterpret_cast<const std::byte*>(kJpegLsV1), sizeof kJpegLsV1)}) {
    ASSERT_TRUE(IsStoredForm(blob));
    EXPECT_EQ(std::to_integer<int>(blob[8]), 1);
    auto back = DecodeStoredForm(blob);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, file);
    // And the encoder still writes these very bytes.
    Encoded e = EncodeStoredForm(
        file,
        With(blob.size() == sizeof kHtj2kV1 ? PixelCodec::kHtj2k : PixelCodec::kJpegLs, 100.0));
    ASSERT_TRUE(e.stored);
    EXPECT_TRUE(std::equal(e.stored->begin(), e.stored->end(), blob.begin(), blob.end()));
  }
}

// ---- Bits Allocated 32 (stored form version 2) ----

Part10 Mono32(int w, int h, bool is_signed, int samples = 1, uint16_t planar = 0) {
  Part10 p;
  p.Us(0x0002, static_cast<uint16_t>(samples));
  if (samples == 3) p.Us(0x0006, planar);
  p.Us(0x0010, static_cast<uint16_t>(h)).Us(0x0011, static_cast<uint16_t>(w));
  p.Us(0x0100, 32).Us(0x0101, 32).Us(0x0103, is_signed ? 1 : 0);
  return p;
}

// A smooth dose-like grid: `scale` sets the dynamic range.
std::vector<uint32_t> Grid(int w, int h, int64_t scale, int64_t offset, uint32_t seed) {
  std::vector<uint32_t> v(static_cast<size_t>(w) * h);
  uint32_t x = seed * 2654435761u + 1;
  for (int r = 0; r < h; ++r) {
    for (int c = 0; c < w; ++c) {
      x = x * 1664525u + 1013904223u;
      const double d = (r - h / 2.0) * (r - h / 2.0) + (c - w / 2.0) * (c - w / 2.0);
      const int64_t value = offset + static_cast<int64_t>(scale / (1.0 + d / 50.0)) + (x >> 29);
      v[static_cast<size_t>(r) * w + c] = static_cast<uint32_t>(static_cast<int32_t>(value));
    }
  }
  return v;
}

TEST(StoredFormTest, ThirtyTwoBitSamplesRoundTripBitExact) {
  // Values that fit 16 bits (one narrowed component), and ones that do not
  // (split into 16-bit halves), unsigned and signed, odd sizes.
  ExpectRoundTrip(Mono32(23, 17, false).Pixels(Dwords(Grid(23, 17, 40000, 0, 1))).Build(),
                  StoredKind::kNativePixels, 2);
  ExpectRoundTrip(Mono32(23, 17, false).Pixels(Dwords(Grid(23, 17, 3000000, 5, 2))).Build(),
                  StoredKind::kNativePixels, 2);
  ExpectRoundTrip(Mono32(21, 19, true).Pixels(Dwords(Grid(21, 19, 20000, -15000, 3))).Build(),
                  StoredKind::kNativePixels, 2);
  ExpectRoundTrip(Mono32(21, 19, true).Pixels(Dwords(Grid(21, 19, 90000000, -40000000, 4))).Build(),
                  StoredKind::kNativePixels, 2);
  // The extremes of both kinds.
  std::vector<uint32_t> edges = Grid(16, 16, 1000, 0, 5);
  edges[0] = 0xFFFFFFFFu;
  edges[1] = 0x80000000u;
  edges[2] = 0x7FFFFFFFu;
  edges[3] = 0;
  ExpectRoundTrip(Mono32(16, 16, false).Pixels(Dwords(edges)).Build(), StoredKind::kNativePixels,
                  2);
  ExpectRoundTrip(Mono32(16, 16, true).Pixels(Dwords(edges)).Build(), StoredKind::kNativePixels, 2);
  // Several frames, each coded its own way, and a stray pair of bytes.
  auto frames = Grid(20, 10, 100, 0, 6);
  const auto big = Grid(20, 10, 5000000, 0, 7);
  const auto negative = Grid(20, 10, 100, -300, 8);
  frames.insert(frames.end(), big.begin(), big.end());
  frames.insert(frames.end(), negative.begin(), negative.end());
  Bytes pixels = Dwords(frames);
  pixels.push_back(std::byte{1});
  pixels.push_back(std::byte{2});
  ExpectRoundTrip(Mono32(20, 10, true).Frames("3").Pixels(pixels).TrailingPadding().Build(),
                  StoredKind::kNativePixels, 2);
  // Colour, interleaved and planar.
  for (uint16_t planar : {0, 1}) {
    ExpectRoundTrip(
        Mono32(12, 9, false, 3, planar).Pixels(Dwords(Grid(36, 9, 2000000, 0, 9))).Build(),
        StoredKind::kNativePixels, 2);
  }
}

// What 32-bit storage gains on a dose-like grid wider than 16 bits, where
// the samples are split into halves (the high half nearly constant).
TEST(StoredFormTest, ThirtyTwoBitDoseGridCompresses) {
  auto grid = Grid(128, 128, 1500000, 1200000, 10);
  const Bytes file = Mono32(128, 128, false).Pixels(Dwords(grid)).Build();
  for (PixelCodec codec : kCodecs) {
    Encoded e = EncodeStoredForm(file, With(codec));
    ASSERT_TRUE(e.stored) << e.reason;
    EXPECT_LT(static_cast<double>(e.stored->size()), file.size() / 2.5)
        << "codec " << static_cast<int>(codec) << ": " << e.stored->size() << " of " << file.size();
  }
}

TEST(StoredFormTest, FloatPixelsStayAsReceived) {
  Part10 p;
  p.Us(0x0002, 1).Us(0x0010, 4).Us(0x0011, 4).Us(0x0100, 32);
  Bytes f(64, std::byte{0x3F});
  // (7FE0,0008) Float Pixel Data
  Bytes file = p.Build();
  const uint8_t head[] = {0xE0, 0x7F, 0x08, 0x00, 'O', 'F', 0, 0, 64, 0, 0, 0};
  for (uint8_t b : head) file.push_back(std::byte{b});
  file.insert(file.end(), f.begin(), f.end());
  Encoded e = EncodeStoredForm(file);
  EXPECT_FALSE(e.stored);
  EXPECT_EQ(e.reason, "floating-point pixel data");
}

}  // namespace
}  // namespace cf::codec
