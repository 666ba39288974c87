// SPDX-License-Identifier: Apache-2.0
#include "codec/stored_form.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "codec/native_layout.hpp"
#include "core/file_io.hpp"
#include "crypto/sha256.hpp"
#include "dicom/synth/synth.hpp"
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
  Part10& Pixels(const Bytes& pixels) {
    Head(0x7FE0, 0x0010, pixels.size() % 2 ? "OB" : "OW", static_cast<uint32_t>(pixels.size()));
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
    out_.push_back(static_cast<std::byte>(v & 0xFF));
    out_.push_back(static_cast<std::byte>(v >> 8));
    return *this;
  }
  Part10& U32(uint32_t v) {
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
};

Bytes Words(const std::vector<uint16_t>& v) {
  Bytes b(v.size() * 2);
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
void ExpectRoundTrip(const Bytes& received, StoredKind kind) {
  for (PixelCodec codec : kCodecs) {
    SCOPED_TRACE(static_cast<int>(codec));
    Encoded e = EncodeStoredForm(received, With(codec, 100.0));
    ASSERT_EQ(e.kind, kind) << e.reason;
    ASSERT_TRUE(e.stored);
    EXPECT_FALSE(e.verify_failed);
    EXPECT_TRUE(IsStoredForm(*e.stored));
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
  dicom::SynthOptions options;
  options.modalities = {dicom::SynthModality::kCT, dicom::SynthModality::kMR,
                        dicom::SynthModality::kCR, dicom::SynthModality::kUS};
  options.studies_per_patient = 4;
  options.instances_per_series = 2;
  options.ct_size = 256;
  options.us_frames = 3;
  ASSERT_TRUE(dicom::WriteSynthStudies(options, dir.Path() / "s"));
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

}  // namespace
}  // namespace cf::codec
