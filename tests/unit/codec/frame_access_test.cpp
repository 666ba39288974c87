// SPDX-License-Identifier: Apache-2.0
// Compressed frames without decoding. Received frames: each one extracted,
// put alone into a single-frame object (DCMTK) and decoded, must give the
// pixels DecodePixels gives for that frame of the whole object. Stored-form
// HTJ2K: decoded by OpenJPEG (library and opj_decompress) and OpenJPH, the
// frames must be the original signed or unsigned sample values exactly.
#include "codec/frame_access.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <vector>

#include "codec/frame_decoders.hpp"
#include "codec/native_layout.hpp"
#include "codec/stored_form.hpp"
#include "codec/transcode.hpp"
#include "core/file_io.hpp"
#include "crypto/sha256.hpp"
#include "dicom/instance.hpp"
#include "openjph_reference.hpp"
#include "support/temp_dir.hpp"

namespace cf::codec {
namespace {

namespace fs = std::filesystem;

bool RunQuietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

void WriteBytes(const fs::path& p, ByteView v) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size()));
}

// `file` with its pixel data replaced by `fragments` (encapsulated, with an
// empty or filled Basic Offset Table) and Number of Frames set, written in
// its own transfer syntax.
Result<Bytes> Reencapsulate(const fs::path& file, const std::vector<Bytes>& fragments,
                            const std::vector<uint32_t>& offsets, int frames, const fs::path& out) {
  DcmFileFormat ff;
  if (ff.loadFile(file.c_str()).bad()) return Fail(ErrorCode::kInvalidDicom, "load");
  DcmDataset* ds = ff.getDataset();
  const E_TransferSyntax xfer = ds->getOriginalXfer();
  auto* seq = new DcmPixelSequence(DcmTag(DCM_PixelData, EVR_OB));
  auto* bot = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
  if (!offsets.empty()) {
    bot->putUint8Array(reinterpret_cast<const Uint8*>(offsets.data()),
                       static_cast<unsigned long>(offsets.size() * 4));
  }
  seq->insert(bot);
  for (const Bytes& fragment : fragments) {
    Bytes even = fragment;
    if (even.size() % 2 != 0) even.push_back(std::byte{0});
    auto* item = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
    item->putUint8Array(reinterpret_cast<const Uint8*>(even.data()),
                        static_cast<unsigned long>(even.size()));
    seq->insert(item);
  }
  auto* pixel = new DcmPixelData(DCM_PixelData);
  pixel->putOriginalRepresentation(xfer, nullptr, seq);
  ds->insert(pixel, true);
  ds->putAndInsertString(DCM_NumberOfFrames, std::to_string(frames).c_str());
  if (ff.saveFile(out.c_str(), xfer).bad()) return Fail(ErrorCode::kInternal, "save");
  return ReadFile(out, 1ull << 31);
}

ByteView FrameOf(const NativePixels& p, uint32_t f) {
  const size_t n = p.data.size() / p.frames;
  return ByteView(p.data).subspan(f * n, n);
}

// Decoded samples in the byte layout of DecodePixels (interleaved, little
// endian words of Bits Allocated).
Bytes AsNative(const DecodedFrame& d, uint16_t bits_allocated) {
  Bytes out;
  for (int32_t v : d.samples) {
    out.push_back(static_cast<std::byte>(v & 0xFF));
    if (bits_allocated == 16) out.push_back(static_cast<std::byte>((v >> 8) & 0xFF));
  }
  return out;
}

TEST(FrameAccessTest, ReceivedFramesOfEveryCodecSampleDecodeToTheirPixels) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  cf::testing::TempDir tmp;
  int checked = 0;
  int multi_frame = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root / "codecs")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".dcm") continue;
    const std::string name = fs::relative(entry.path(), root).string();
    SCOPED_TRACE(name);
    auto bytes = ReadFile(entry.path(), 1ull << 31);
    ASSERT_TRUE(bytes);
    auto parsed = dicom::ParseInstance(*bytes);
    ASSERT_TRUE(parsed) << parsed.error().message;
    const std::string& ts = parsed->transfer_syntax_uid;
    const auto count = static_cast<uint32_t>(parsed->number_of_frames.value_or(1));
    auto frames = EncapsulatedFrames(*bytes, count);
    if (!HasFrameFragments(ts)) {
      ASSERT_FALSE(frames);
      EXPECT_EQ(frames.error().code, ErrorCode::kUnsupported);
      continue;
    }
    ASSERT_TRUE(frames) << ts << ": " << frames.error().message;
    ASSERT_EQ(frames->size(), count);
    auto whole = DecodePixels(*bytes);
    ASSERT_TRUE(whole) << whole.error().message;
    ASSERT_EQ(whole->frames, count);
    for (uint32_t f = 0; f < count; ++f) {
      SCOPED_TRACE(f + 1);
      Bytes alone;
      if (ts.starts_with("1.2.840.10008.1.2.4.20")) {
        // DCMTK 3.6.7 does not know the HTJ2K transfer syntaxes: OpenJPH
        // and OpenJPEG decode the frame directly.
        auto ojph = DecodeHtj2kCodestream((*frames)[f]);
        ASSERT_TRUE(ojph) << ojph.error().message;
        alone = AsNative(*ojph, whole->bits_allocated);
        auto opj = DecodeJ2k((*frames)[f]);
        ASSERT_TRUE(opj) << opj.error().message;
        EXPECT_EQ(opj->samples, ojph->samples);
      } else {
        auto file = Reencapsulate(entry.path(), {(*frames)[f]}, {}, 1, tmp.Path() / "one.dcm");
        ASSERT_TRUE(file) << file.error().message;
        auto one = DecodePixels(*file);
        ASSERT_TRUE(one) << one.error().message;
        ASSERT_EQ(one->frames, 1u);
        alone = one->data;
      }
      const ByteView expected = FrameOf(*whole, f);
      ASSERT_EQ(alone.size(), expected.size());
      EXPECT_TRUE(std::equal(alone.begin(), alone.end(), expected.begin()));
    }
    multi_frame += count > 1 ? 1 : 0;
    ++checked;
  }
  std::cout << "  " << checked << " encapsulated files, " << multi_frame << " multi-frame\n";
  EXPECT_GE(checked, 25);
  EXPECT_GE(multi_frame, 5);  // fragmentation/ (no BOT, several fragments per frame) and RLE
}

// Made-up frames are enough to check the splitting rules: JPEG-LS frames
// of a synthetic image, cut into several fragments each.
class SplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two 64x48 16-bit frames, JPEG-LS (CharLS), written by Transcode.
    std::vector<uint16_t> px(64 * 48 * 2);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint16_t>((i * 37) % 4096);
    DcmFileFormat ff;
    DcmDataset* ds = ff.getDataset();
    char uid[100];
    ds->putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
    ds->putAndInsertString(DCM_SOPInstanceUID, dcmGenerateUniqueIdentifier(uid));
    ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertUint16(DCM_Rows, 48);
    ds->putAndInsertUint16(DCM_Columns, 64);
    ds->putAndInsertUint16(DCM_BitsAllocated, 16);
    ds->putAndInsertUint16(DCM_BitsStored, 12);
    ds->putAndInsertUint16(DCM_HighBit, 11);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    ds->putAndInsertString(DCM_NumberOfFrames, "2");
    ds->putAndInsertUint16Array(DCM_PixelData, px.data(), px.size());
    const fs::path native = tmp_.Path() / "native.dcm";
    ASSERT_TRUE(ff.saveFile(native.c_str(), EXS_LittleEndianExplicit).good());
    auto bytes = ReadFile(native, 1ull << 31);
    ASSERT_TRUE(bytes);
    auto jls = Transcode(*bytes, ts::kJpegLsLossless);
    ASSERT_TRUE(jls) << jls.error().message;
    source_ = tmp_.Path() / "jls.dcm";
    WriteBytes(source_, *jls);
    auto frames = EncapsulatedFrames(*jls, 2);  // one fragment per frame
    ASSERT_TRUE(frames) << frames.error().message;
    ASSERT_EQ(frames->size(), 2u);
    frames_ = *frames;
  }

  // Each frame cut into three fragments.
  std::vector<Bytes> Cut() const {
    std::vector<Bytes> out;
    for (const Bytes& f : frames_) {
      const size_t a = f.size() / 3 & ~size_t{1}, b = 2 * f.size() / 3 & ~size_t{1};
      out.emplace_back(f.begin(), f.begin() + static_cast<long>(a));
      out.emplace_back(f.begin() + static_cast<long>(a), f.begin() + static_cast<long>(b));
      out.emplace_back(f.begin() + static_cast<long>(b), f.end());
    }
    return out;
  }

  cf::testing::TempDir tmp_;
  fs::path source_;
  std::vector<Bytes> frames_;
};

TEST_F(SplitTest, FramesSpanningFragmentsAreFoundByTheOffsetTableOrByTheirMarkers) {
  const std::vector<Bytes> cut = Cut();
  uint32_t second = 0;
  for (size_t i = 0; i < 3; ++i) second += static_cast<uint32_t>(8 + ((cut[i].size() + 1) & ~1u));
  for (const std::vector<uint32_t>& bot : {std::vector<uint32_t>{}, {0, second}}) {
    SCOPED_TRACE(bot.size());
    auto file = Reencapsulate(source_, cut, bot, 2, tmp_.Path() / "cut.dcm");
    ASSERT_TRUE(file) << file.error().message;
    auto frames = EncapsulatedFrames(*file, 2);
    ASSERT_TRUE(frames) << frames.error().message;
    ASSERT_EQ(frames->size(), 2u);
    for (size_t f = 0; f < 2; ++f) {
      // As received: the stream and the padding byte an odd fragment got.
      Bytes expected;
      for (size_t i = 3 * f; i < 3 * f + 3; ++i) {
        expected.insert(expected.end(), cut[i].begin(), cut[i].end());
        if (cut[i].size() % 2 != 0) expected.push_back(std::byte{0});
      }
      EXPECT_EQ((*frames)[f], expected);
    }
  }
}

TEST_F(SplitTest, FramesThatCannotBeToldApartAreRefusedNotGuessed) {
  std::vector<Bytes> cut = Cut();
  // The first frame's end marker lost: where the second frame starts is
  // no longer certain.
  Bytes& end = cut[2];
  while (!end.empty() && end.back() != std::byte{0xD9}) end.pop_back();
  end.back() = std::byte{0x00};
  auto file = Reencapsulate(source_, cut, {}, 2, tmp_.Path() / "bad.dcm");
  ASSERT_TRUE(file);
  auto frames = EncapsulatedFrames(*file, 2);
  ASSERT_FALSE(frames);
  EXPECT_EQ(frames.error().code, ErrorCode::kUnsupported);

  // A Basic Offset Table pointing inside a fragment is not trusted either.
  auto bad_bot = Reencapsulate(source_, Cut(), {0, 12}, 2, tmp_.Path() / "bot.dcm");
  ASSERT_TRUE(bad_bot);
  auto by_markers = EncapsulatedFrames(*bad_bot, 2);  // the markers still tell
  ASSERT_TRUE(by_markers) << by_markers.error().message;
  EXPECT_EQ(by_markers->size(), 2u);

  // More frames announced than there are: refused.
  auto three = EncapsulatedFrames(*bad_bot, 3);
  ASSERT_FALSE(three);
  EXPECT_EQ(three.error().code, ErrorCode::kUnsupported);
}

TEST_F(SplitTest, OneFrameTakesEveryFragment) {
  const std::vector<Bytes> cut = Cut();
  const std::vector<Bytes> first(cut.begin(), cut.begin() + 3);
  auto file = Reencapsulate(source_, first, {}, 1, tmp_.Path() / "one.dcm");
  ASSERT_TRUE(file);
  auto frames = EncapsulatedFrames(*file, 1);
  ASSERT_TRUE(frames) << frames.error().message;
  ASSERT_EQ(frames->size(), 1u);
  auto decoded = DecodeJpegLsStream(frames->front());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->width, 64u);
}

TEST(FrameAccessTest, NativeObjectsHaveNoReceivedFrames) {
  cf::testing::TempDir tmp;
  DcmFileFormat ff;
  DcmDataset* ds = ff.getDataset();
  const uint16_t px[4] = {1, 2, 3, 4};
  ds->putAndInsertUint16(DCM_Rows, 2);
  ds->putAndInsertUint16(DCM_Columns, 2);
  ds->putAndInsertUint16Array(DCM_PixelData, px, 4);
  ASSERT_TRUE(ff.saveFile((tmp.Path() / "n.dcm").c_str(), EXS_LittleEndianExplicit).good());
  auto bytes = ReadFile(tmp.Path() / "n.dcm", 1 << 20);
  ASSERT_TRUE(bytes);
  auto frames = EncapsulatedFrames(*bytes, 1);
  ASSERT_FALSE(frames);
  EXPECT_EQ(frames.error().code, ErrorCode::kUnsupported);
}

// ---- HTJ2K from the stored form ----

struct Image {
  uint16_t rows = 40;
  uint16_t columns = 56;
  uint16_t frames = 1;
  uint16_t samples = 1;
  uint16_t bits_allocated = 16;
  uint16_t bits_stored = 16;
  bool is_signed = false;
  std::vector<int32_t> values;  // frame by frame, interleaved
};

// A CT-like ramp with noise, the full signed or unsigned range of
// `bits_stored` included (its extremes are where a wrong shift shows).
Image Ramp(uint16_t bits_allocated, uint16_t bits_stored, bool is_signed, uint16_t frames = 1) {
  Image im;
  im.bits_allocated = bits_allocated;
  im.bits_stored = bits_stored;
  im.is_signed = is_signed;
  im.frames = frames;
  const int64_t range = int64_t{1} << bits_stored;
  const int64_t low = is_signed ? -range / 2 : 0;
  uint32_t x = 12345;
  const size_t n = size_t{im.rows} * im.columns * frames;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    int64_t v = low + static_cast<int64_t>((i * 97 + (x >> 27)) % static_cast<uint64_t>(range));
    if (i % 101 == 0) v = low;              // the most negative value
    if (i % 103 == 0) v = low + range - 1;  // the largest
    if (is_signed && i % 107 == 0) v = -1;  // all bits set
    im.values.push_back(static_cast<int32_t>(v));
  }
  return im;
}

Bytes Part10(const Image& im, const fs::path& dir) {
  DcmFileFormat ff;
  DcmDataset* ds = ff.getDataset();
  char uid[100];
  ds->putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
  ds->putAndInsertString(DCM_SOPInstanceUID, dcmGenerateUniqueIdentifier(uid));
  ds->putAndInsertString(DCM_PhotometricInterpretation, im.samples == 3 ? "RGB" : "MONOCHROME2");
  ds->putAndInsertUint16(DCM_SamplesPerPixel, im.samples);
  if (im.samples == 3) ds->putAndInsertUint16(DCM_PlanarConfiguration, 0);
  ds->putAndInsertUint16(DCM_Rows, im.rows);
  ds->putAndInsertUint16(DCM_Columns, im.columns);
  ds->putAndInsertUint16(DCM_BitsAllocated, im.bits_allocated);
  ds->putAndInsertUint16(DCM_BitsStored, im.bits_stored);
  ds->putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(im.bits_stored - 1));
  ds->putAndInsertUint16(DCM_PixelRepresentation, im.is_signed ? 1 : 0);
  if (im.frames > 1) ds->putAndInsertString(DCM_NumberOfFrames, std::to_string(im.frames).c_str());
  if (im.bits_allocated == 8) {
    std::vector<Uint8> px;
    for (int32_t v : im.values) px.push_back(static_cast<Uint8>(v));
    ds->putAndInsertUint8Array(DCM_PixelData, px.data(), px.size());
  } else {
    std::vector<Uint16> px;
    for (int32_t v : im.values) px.push_back(static_cast<Uint16>(v));
    ds->putAndInsertUint16Array(DCM_PixelData, px.data(), px.size());
  }
  const fs::path path = dir / "image.dcm";
  EXPECT_TRUE(ff.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
  auto bytes = ReadFile(path, 1ull << 31);
  EXPECT_TRUE(bytes);
  return bytes ? *bytes : Bytes{};
}

Bytes StoredForm(const Bytes& received, PixelCodec codec = PixelCodec::kHtj2k) {
  StoredFormOptions options;
  options.pixel_codec = codec;
  options.max_ratio = 100.0;  // exactness, not gain, is tested here
  Encoded e = EncodeStoredForm(received, options);
  EXPECT_TRUE(e.stored) << e.reason;
  return e.stored ? *e.stored : Bytes{};
}

// opj_decompress's PGX output: a "PG ML [+|-] bits w h" line, then
// big-endian samples, sign-extended when signed.
std::vector<int32_t> ReadPgx(const fs::path& path, bool* is_signed, int* bits) {
  auto bytes = ReadFile(path, 1ull << 31);
  EXPECT_TRUE(bytes);
  if (!bytes) return {};
  const auto* p = reinterpret_cast<const char*>(bytes->data());
  const std::string text(p, std::min<size_t>(bytes->size(), 64));
  const size_t eol = text.find('\n');
  const std::string head = text.substr(0, eol);
  *is_signed = head.find(" - ") != std::string::npos;
  int w = 0, h = 0;
  std::sscanf(head.c_str() + head.find_first_of("0123456789"), "%d %d %d", bits, &w, &h);
  const int width = *bits > 8 ? 2 : 1;
  std::vector<int32_t> out;
  for (size_t i = eol + 1; i + width <= bytes->size(); i += width) {
    uint32_t v = std::to_integer<uint32_t>((*bytes)[i]);
    if (width == 2) v = (v << 8) | std::to_integer<uint32_t>((*bytes)[i + 1]);
    int32_t s = static_cast<int32_t>(v);
    if (*is_signed && (v & (1u << (8 * width - 1)))) s -= 1 << (8 * width);
    out.push_back(s);
  }
  return out;
}

void ExpectServedAsOriginalValues(const Image& im) {
  SCOPED_TRACE(std::to_string(im.bits_allocated) + "/" + std::to_string(im.bits_stored) +
               (im.is_signed ? " signed" : " unsigned"));
  cf::testing::TempDir tmp;
  const Bytes form = StoredForm(Part10(im, tmp.Path()));
  ASSERT_TRUE(IsStoredForm(form));
  auto frames = StoredFormHtj2kFrames(form);
  ASSERT_TRUE(frames) << frames.error().message;
  ASSERT_EQ(frames->size(), im.frames);
  const size_t n = size_t{im.rows} * im.columns;
  const bool cli = RunQuietly("command -v opj_decompress");
  for (uint16_t f = 0; f < im.frames; ++f) {
    SCOPED_TRACE(f + 1);
    const std::vector<int32_t> expected(im.values.begin() + static_cast<long>(f * n),
                                        im.values.begin() + static_cast<long>((f + 1) * n));
    // OpenJPEG, an implementation independent of the OpenJPH encoder.
    auto opj = DecodeJ2k((*frames)[f]);
    ASSERT_TRUE(opj) << opj.error().message;
    EXPECT_EQ(opj->is_signed, im.is_signed);
    EXPECT_EQ(opj->precision, im.bits_stored);
    EXPECT_EQ(opj->samples, expected);
    auto ojph = DecodeHtj2kCodestream((*frames)[f]);
    ASSERT_TRUE(ojph) << ojph.error().message;
    EXPECT_EQ(ojph->is_signed, im.is_signed);
    EXPECT_EQ(ojph->samples, expected);
    if (cli) {
      const fs::path j2c = tmp.Path() / "f.j2c";
      const fs::path pgx = tmp.Path() / "f.pgx";
      WriteBytes(j2c, (*frames)[f]);
      ASSERT_TRUE(RunQuietly("opj_decompress -i '" + j2c.string() + "' -o '" + pgx.string() + "'"));
      bool is_signed = false;
      int bits = 0;
      // opj_decompress names a one-component PGX <name>_0.pgx.
      const std::vector<int32_t> values = ReadPgx(tmp.Path() / "f_0.pgx", &is_signed, &bits);
      EXPECT_EQ(is_signed, im.is_signed);
      EXPECT_EQ(bits, im.bits_stored);
      EXPECT_EQ(values, expected);
    }
  }
  if (!cli) std::cout << "  opj_decompress not installed: checked with the OpenJPEG library\n";
}

TEST(StoredFormHtj2kTest, SignedCtFramesDecodeToTheOriginalValues) {
  ExpectServedAsOriginalValues(Ramp(16, 12, true, 3));
  ExpectServedAsOriginalValues(Ramp(16, 16, true));
  ExpectServedAsOriginalValues(Ramp(16, 13, true));
  ExpectServedAsOriginalValues(Ramp(8, 8, true));
}

TEST(StoredFormHtj2kTest, UnsignedFramesAreServedAsStored) {
  ExpectServedAsOriginalValues(Ramp(16, 12, false, 2));
  ExpectServedAsOriginalValues(Ramp(16, 16, false));
  ExpectServedAsOriginalValues(Ramp(8, 8, false));
  ExpectServedAsOriginalValues(Ramp(8, 6, false));
}

TEST(StoredFormHtj2kTest, FramesWithoutAFaithfulHtj2kFormAreRefused) {
  cf::testing::TempDir tmp;
  const auto refused = [&](const Bytes& form) {
    auto frames = StoredFormHtj2kFrames(form);
    return !frames && frames.error().code == ErrorCode::kUnsupported;
  };
  // Bits above Bits Stored (an overlay, say) are kept in the stored form,
  // which codes 16 bits then: no Bits Stored 12 codestream holds them.
  Image overlay = Ramp(16, 12, false);
  overlay.values[5] |= 0x8000;
  EXPECT_TRUE(refused(StoredForm(Part10(overlay, tmp.Path()))));
  // Signed data whose upper bits do not extend the sign: the top-bit flip.
  Image odd = Ramp(16, 12, true);
  odd.values[7] = 0x1234;
  EXPECT_TRUE(refused(StoredForm(Part10(odd, tmp.Path()))));
  // RGB is served (its reversible colour transform is DICOM's YBR_RCT;
  // checked against the independent decoders in transcode_test.cpp);
  // JPEG-LS stored forms are not.
  Image rgb = Ramp(8, 8, false);
  rgb.samples = 3;
  rgb.values.resize(rgb.values.size() * 3, 7);
  EXPECT_TRUE(StoredFormHtj2kFrames(StoredForm(Part10(rgb, tmp.Path()))));
  EXPECT_TRUE(refused(StoredForm(Part10(Ramp(16, 12, true), tmp.Path()), PixelCodec::kJpegLs)));
  // Received bytes are not a stored form.
  auto plain = StoredFormHtj2kFrames(Part10(Ramp(16, 12, true), tmp.Path()));
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, ErrorCode::kInvalidArgument);
}

TEST(StoredFormHtj2kTest, DamagedFormsFailWithoutReadingPastTheEnd) {
  cf::testing::TempDir tmp;
  const Bytes form = StoredForm(Part10(Ramp(16, 12, true, 2), tmp.Path()));
  const std::array<uint8_t, 32> digest = StoredFormReceivedSha256(form);
  EXPECT_EQ(digest, crypto::Sha256(*DecodeStoredForm(form)));
  for (size_t cut : {size_t{140}, form.size() / 2, form.size() - 3}) {
    Bytes damaged(form.begin(), form.begin() + static_cast<long>(cut));
    auto frames = StoredFormHtj2kFrames(damaged);
    ASSERT_FALSE(frames) << cut;
    EXPECT_EQ(frames.error().code, ErrorCode::kInternal);
  }
}

}  // namespace
}  // namespace cf::codec
