// SPDX-License-Identifier: Apache-2.0
// Decoding every transfer syntax, checked against independent decoders:
// DCMTK's command-line tools (dcmdjpeg, dcmdjpls, dcmdrle, dcmconv) run as
// separate processes, OpenJPEG's opj_decompress and OpenJPH's ojph_expand
// on the extracted codestreams. Compared by SHA-256 of the native samples.
#include "codec/transcode.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "codec/frame_access.hpp"
#include "codec/native_layout.hpp"
#include "codec/stored_form.hpp"
#include "core/file_io.hpp"
#include "crypto/sha256.hpp"
#include "dicom/instance.hpp"
#include "support/temp_dir.hpp"

namespace cf::codec {
namespace {

namespace fs = std::filesystem;

std::string TransferSyntaxOf(ByteView file) {
  auto parsed = dicom::ParseInstance(file);
  return parsed ? parsed->transfer_syntax_uid : std::string();
}

bool RunQuietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

bool HaveTool(const char* name) { return RunQuietly(std::string("command -v ") + name); }

std::string Sha(ByteView v) { return crypto::ToHex(crypto::Sha256(v)); }

// Planar component images (as opj_decompress writes .raw) to interleaved.
Bytes Interleave(const Bytes& planar, size_t components, size_t sample_bytes) {
  if (components == 1) return planar;
  Bytes out(planar.size());
  const size_t plane = planar.size() / components / sample_bytes;
  for (size_t c = 0; c < components; ++c) {
    for (size_t i = 0; i < plane; ++i) {
      std::memcpy(out.data() + (i * components + c) * sample_bytes,
                  planar.data() + (c * plane + i) * sample_bytes, sample_bytes);
    }
  }
  return out;
}

// PGM/PPM (binary, maxval > 255 is big endian) to little-endian samples.
Result<Bytes> ReadPnm(const fs::path& path) {
  auto bytes = ReadFile(path, 1ull << 31);
  if (!bytes) return std::unexpected(bytes.error());
  // Four tokens (magic, width, height, maxval), "#" comments between them
  // (opj_decompress writes one), then one whitespace byte and the samples.
  const std::string head(reinterpret_cast<const char*>(bytes->data()),
                         std::min<size_t>(bytes->size(), 256));
  std::vector<std::string> tokens;
  size_t at = 0;
  while (tokens.size() < 4 && at < head.size()) {
    if (head[at] == '#') {
      at = head.find('\n', at);
      if (at == std::string::npos) break;
    } else if (!std::isspace(static_cast<unsigned char>(head[at]))) {
      const size_t end = head.find_first_of(" \t\r\n", at);
      tokens.push_back(head.substr(at, end - at));
      at = end;
      continue;
    }
    ++at;
  }
  if (tokens.size() < 4) return Fail(ErrorCode::kInvalidArgument, "not a PNM file");
  const int maxval = std::stoi(tokens[3]);
  const size_t data_at = at + 1;
  Bytes data(bytes->begin() + static_cast<long>(data_at), bytes->end());
  if (maxval > 255) {
    for (size_t i = 0; i + 1 < data.size(); i += 2) std::swap(data[i], data[i + 1]);
  }
  return data;
}

// The first frame of a JPEG 2000 / HTJ2K file's pixel data, as a codestream.
Bytes FirstCodestream(ByteView file) {
  auto enc = FindEncapsulatedPixels(file);
  EXPECT_TRUE(enc) << enc.error().message;
  Bytes out;
  if (!enc) return out;
  for (size_t i = 1; i < enc->items.size(); ++i) {
    out.insert(out.end(), enc->items[i].begin(), enc->items[i].end());
  }
  return out;
}

void WriteFile(const fs::path& p, ByteView v) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size()));
}

TEST(TranscodeTest, EveryCodecSampleDecodesLikeAnIndependentDecoder) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  for (const char* tool :
       {"dcmdjpeg", "dcmdjpls", "dcmdrle", "dcmconv", "opj_decompress", "ojph_expand"}) {
    if (!HaveTool(tool)) GTEST_SKIP() << tool << " not installed (scripts/install-deps.sh)";
  }
  cf::testing::TempDir tmp;
  int checked = 0;
  std::map<std::string, int> by_reference;
  for (const auto& entry : fs::recursive_directory_iterator(root / "codecs")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".dcm") continue;
    const std::string name = fs::relative(entry.path(), root).string();
    SCOPED_TRACE(name);
    auto bytes = ReadFile(entry.path(), 1ull << 31);
    ASSERT_TRUE(bytes);
    const std::string ts = TransferSyntaxOf(*bytes);
    auto ours = DecodePixels(*bytes);
    ASSERT_TRUE(ours) << ts << ": " << ours.error().message;
    const size_t per_pixel =
        ours->photometric.ends_with("_422") ? 2 : size_t{ours->samples_per_pixel};
    ASSERT_EQ(ours->data.size(), size_t{ours->rows} * ours->columns * per_pixel *
                                     (ours->bits_allocated / 8) * ours->frames);

    const fs::path out = tmp.Path() / "ref.dcm";
    fs::remove(out);
    const std::string in = "'" + entry.path().string() + "' '" + out.string() + "'";
    Result<Bytes> reference = Fail(ErrorCode::kNotFound, "no reference");
    std::string tool;
    if (ts.starts_with("1.2.840.10008.1.2.4.5") || ts == "1.2.840.10008.1.2.4.70") {
      tool = "dcmdjpeg";
    } else if (ts == "1.2.840.10008.1.2.4.80" || ts == "1.2.840.10008.1.2.4.81") {
      tool = "dcmdjpls";
    } else if (ts == "1.2.840.10008.1.2.5") {
      tool = "dcmdrle";
    } else if (ts == "1.2.840.10008.1.2" || ts == "1.2.840.10008.1.2.1" ||
               ts == "1.2.840.10008.1.2.2" || ts == "1.2.840.10008.1.2.1.99") {
      tool = "dcmconv";
    }
    if (!tool.empty()) {
      ASSERT_TRUE(RunQuietly(tool + (tool == "dcmconv" ? " +te " : " ") + in)) << tool;
      // The tool's output is native explicit little endian: its pixel bytes
      // are taken as they are (DecodePixels of a native file copies them).
      auto file = ReadFile(out, 1ull << 31);
      ASSERT_TRUE(file);
      LayoutResult l = FindNativeLayout(*file);
      ASSERT_TRUE(l.layout && l.layout->has_pixel_data) << l.reason;
      reference =
          Bytes(file->begin() + static_cast<long>(l.layout->pixel_offset),
                file->begin() + static_cast<long>(l.layout->pixel_offset + ours->data.size()));
    } else if (ts.starts_with("1.2.840.10008.1.2.4.9") && ours->frames == 1) {
      tool = "opj_decompress";
      const fs::path j2k = tmp.Path() / "f.j2k";
      WriteFile(j2k, FirstCodestream(*bytes));
      const fs::path raw = tmp.Path() / "f.rawl";
      fs::remove(raw);
      ASSERT_TRUE(RunQuietly("opj_decompress -i '" + j2k.string() + "' -o '" + raw.string() + "'"));
      auto planar = ReadFile(raw, 1ull << 31);
      ASSERT_TRUE(planar);
      reference = Interleave(*planar, ours->samples_per_pixel, ours->bits_allocated / 8);
    } else if (ts.starts_with("1.2.840.10008.1.2.4.20") && ours->frames == 1) {
      tool = "ojph_expand";
      const fs::path j2c = tmp.Path() / "f.j2c";
      WriteFile(j2c, FirstCodestream(*bytes));
      const fs::path pnm = tmp.Path() / (ours->samples_per_pixel == 3 ? "f.ppm" : "f.pgm");
      fs::remove(pnm);
      ASSERT_TRUE(RunQuietly("ojph_expand -i '" + j2c.string() + "' -o '" + pnm.string() + "'"));
      reference = ReadPnm(pnm);
    }
    ASSERT_TRUE(reference) << "no independent decoder for " << ts;
    EXPECT_EQ(Sha(ours->data), Sha(*reference)) << ts << " vs " << tool;
    ++by_reference[tool];
    ++checked;
  }
  for (const auto& [tool, n] : by_reference)
    std::cout << "  " << n << " checked with " << tool << "\n";
  EXPECT_GE(checked, 40);
  EXPECT_GE(by_reference["opj_decompress"], 3);
  EXPECT_GE(by_reference["ojph_expand"], 1);
}

TEST(TranscodeTest, LosslessTargetsRoundTripToTheSamePixels) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  for (const char* name : {"codecs/ct-ts-matrix/ct_1.2.840.10008.1.2_reference.dcm",
                           "codecs/rle_rgb.dcm", "codecs/mr_small_explicit-be.dcm",
                           "codecs/j2k-lossless_us_ybr-rct.dcm", "codecs/htj2k-lossless_rgb.dcm"}) {
    SCOPED_TRACE(name);
    auto bytes = ReadFile(root / name, 1ull << 31);
    ASSERT_TRUE(bytes);
    auto reference = DecodePixels(*bytes);
    ASSERT_TRUE(reference) << reference.error().message;
    for (std::string_view target : {ts::kExplicitLittle, ts::kImplicitLittle, ts::kJpegLsLossless,
                                    ts::kRle, ts::kJpegLosslessSv1, ts::kDeflated}) {
      SCOPED_TRACE(target);
      auto out = Transcode(*bytes, target);
      ASSERT_TRUE(out) << out.error().message;
      EXPECT_EQ(TransferSyntaxOf(*out), target);
      auto again = DecodePixels(*out);
      ASSERT_TRUE(again) << again.error().message;
      EXPECT_EQ(Sha(again->data), Sha(reference->data));
    }
  }
}

TEST(TranscodeTest, SameTransferSyntaxIsTheSameBytes) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  auto bytes = ReadFile(root / "codecs/mr_small_rle.dcm", 1ull << 31);
  ASSERT_TRUE(bytes);
  auto out = Transcode(*bytes, ts::kRle);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, *bytes);
}

TEST(TranscodeTest, LossyOutputOnlyOnExplicitRequest) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  auto bytes = ReadFile(root / "codecs/jpeg-lossless-sv1_8bit.dcm", 1ull << 31);
  ASSERT_TRUE(bytes);
  auto refused = Transcode(*bytes, ts::kJpegBaseline);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("explicit request"), std::string::npos);
  auto allowed = Transcode(*bytes, ts::kJpegBaseline, {.allow_lossy = true});
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(TransferSyntaxOf(*allowed), ts::kJpegBaseline);
}

TEST(TranscodeTest, CorruptCodestreamIsAClearErrorNamingTheFrame) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  for (const char* name : {"codecs/mr_small_j2k-lossless.dcm", "codecs/htj2k-lossless_rgb.dcm",
                           "codecs/mr_small_jpegls-lossless.dcm"}) {
    SCOPED_TRACE(name);
    auto bytes = ReadFile(root / name, 1ull << 31);
    ASSERT_TRUE(bytes);
    auto enc = FindEncapsulatedPixels(*bytes);
    ASSERT_TRUE(enc);
    ASSERT_GE(enc->items.size(), 2u);
    // Overwrite the middle of the first fragment's codestream with garbage.
    const ByteView frag = enc->items[1];
    const size_t at = static_cast<size_t>(frag.data() - bytes->data()) + 2;
    for (size_t i = at; i < at + std::min<size_t>(frag.size() - 4, 64); ++i) {
      (*bytes)[i] = std::byte{0xFF};
    }
    auto out = DecodePixels(*bytes);
    ASSERT_FALSE(out) << "decoded a corrupt codestream";
    EXPECT_EQ(out.error().code, ErrorCode::kInvalidDicom) << out.error().message;
    EXPECT_TRUE(out.error().message.starts_with("frame 1: ")) << out.error().message;
  }
}

TEST(TranscodeTest, FramesMissingFromTheSequenceAreNamed) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  // A one-frame JPEG 2000 image that claims three frames.
  cf::testing::TempDir tmp;
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile((root / "codecs/mr_small_j2k-lossless.dcm").c_str()).good());
  ASSERT_TRUE(file.getDataset()->putAndInsertString(DCM_NumberOfFrames, "3").good());
  const fs::path patched = tmp.Path() / "patched.dcm";
  ASSERT_TRUE(file.saveFile(patched.c_str(), EXS_Unknown).good());
  auto bytes = ReadFile(patched, 1ull << 31);
  ASSERT_TRUE(bytes);
  auto out = DecodePixels(*bytes);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidDicom);
  EXPECT_NE(out.error().message.find("3 frames, 1 fragments"), std::string::npos)
      << out.error().message;
}

}  // namespace
}  // namespace cf::codec

namespace cf::codec {
namespace {

// HTJ2K output (assembled by us: DCMTK 3.6.7 cannot write it) decodes to
// the source pixels with our decoder, and its first codestream decodes to
// the same samples with OpenJPEG, an independent HTJ2K decoder.
TEST(TranscodeTest, Htj2kOutputOfGrayscaleImagesIsLosslessForAnIndependentDecoder) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  if (!HaveTool("opj_decompress")) GTEST_SKIP() << "opj_decompress not installed";
  cf::testing::TempDir tmp;
  for (const char* name :
       {"codecs/ct-ts-matrix/ct_1.2.840.10008.1.2_reference.dcm", "codecs/mr_small_explicit-be.dcm",
        "codecs/mr_small_jpegls-lossless.dcm"}) {
    SCOPED_TRACE(name);
    auto bytes = ReadFile(root / name, 1ull << 31);
    ASSERT_TRUE(bytes);
    auto reference = DecodePixels(*bytes);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_EQ(reference->samples_per_pixel, 1);
    for (std::string_view target : {ts::kHtj2kLossless, ts::kHtj2k}) {
      SCOPED_TRACE(target);
      auto out = Transcode(*bytes, target);
      ASSERT_TRUE(out) << out.error().message;
      EXPECT_EQ(TransferSyntaxOf(*out), target);
      auto again = DecodePixels(*out);
      ASSERT_TRUE(again) << again.error().message;
      EXPECT_EQ(Sha(again->data), Sha(reference->data));
    }
    auto out = Transcode(*bytes, ts::kHtj2kLossless);
    ASSERT_TRUE(out);
    const fs::path j2c = tmp.Path() / "f.j2c";
    WriteFile(j2c, FirstCodestream(*out));
    const fs::path raw = tmp.Path() / "f.rawl";
    fs::remove(raw);
    ASSERT_TRUE(RunQuietly("opj_decompress -i '" + j2c.string() + "' -o '" + raw.string() + "'"));
    auto decoded = ReadFile(raw, 1ull << 31);
    ASSERT_TRUE(decoded);
    // .rawl holds Bits Stored-bit samples (sign bits above them dropped):
    // compare under that mask.
    const size_t n = size_t{reference->rows} * reference->columns;
    const size_t width = reference->bits_allocated / 8u;
    ASSERT_GE(decoded->size(), n * width);
    const uint32_t mask = (uint32_t{1} << reference->bits_stored) - 1;
    size_t differ = 0;
    for (size_t i = 0; i < n; ++i) {
      uint32_t a = std::to_integer<uint32_t>(reference->data[i * width]);
      uint32_t b = std::to_integer<uint32_t>((*decoded)[i * width]);
      if (width == 2) {
        a |= std::to_integer<uint32_t>(reference->data[i * 2 + 1]) << 8;
        b |= std::to_integer<uint32_t>((*decoded)[i * 2 + 1]) << 8;
      }
      if ((a & mask) != (b & mask)) ++differ;
    }
    EXPECT_EQ(differ, 0u);
  }
}

// Photometric Interpretation and Planar Configuration of a Part 10 file.
std::pair<std::string, int> ColourLabels(ByteView file) {
  DcmFileFormat ff;
  DcmInputBufferStream in;
  in.setBuffer(file.data(), static_cast<offile_off_t>(file.size()));
  in.setEos();
  ff.transferInit();
  const OFCondition c = ff.read(in);
  ff.transferEnd();
  EXPECT_TRUE(c.good()) << c.text();
  OFString photometric;
  Uint16 planar = 0;
  ff.getDataset()->findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  ff.getDataset()->findAndGetUint16(DCM_PlanarConfiguration, planar);
  return {photometric.c_str(), planar};
}

// The MCT byte of an HTJ2K codestream's COD marker (1: colour transform).
int MultipleComponentTransform(ByteView codestream) {
  for (size_t i = 0; i + 10 < codestream.size(); ++i) {
    if (codestream[i] == std::byte{0xFF} && codestream[i + 1] == std::byte{0x52}) {
      // COD: marker, Lcod (2), Scod (1), progression (1), layers (2), MCT (1).
      return std::to_integer<int>(codestream[i + 8]);
    }
  }
  return -1;
}

// One frame of native samples, interleaved (planar data rearranged).
Bytes FrameOf(const NativePixels& p, uint32_t frame) {
  const size_t sample = p.bits_allocated / 8u;
  const size_t size = size_t{p.rows} * p.columns * p.samples_per_pixel * sample;
  Bytes f(p.data.begin() + static_cast<long>(frame * size),
          p.data.begin() + static_cast<long>((frame + 1) * size));
  return p.planar_configuration == 1 ? Interleave(f, p.samples_per_pixel, sample) : f;
}

// Each independent decoder's samples of `codestream`, as PPM: interleaved,
// little endian after ReadPnm.
void ExpectIndependentDecodersGive(ByteView codestream, const Bytes& expected,
                                   const fs::path& dir) {
  const fs::path j2c = dir / "c.j2c";
  WriteFile(j2c, codestream);
  for (const std::string tool : {"opj_decompress", "ojph_expand"}) {
    if (!HaveTool(tool.c_str())) {
      std::cout << "  " << tool << " not installed\n";
      continue;
    }
    SCOPED_TRACE(tool);
    const fs::path ppm = dir / (tool + ".ppm");
    fs::remove(ppm);
    ASSERT_TRUE(RunQuietly(tool + " -i '" + j2c.string() + "' -o '" + ppm.string() + "'"));
    auto decoded = ReadPnm(ppm);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(Sha(*decoded), Sha(expected));
  }
}

// RGB out in HTJ2K: the reversible colour transform, labelled YBR_RCT;
// YBR_FULL: no transform, label kept. Planar colour becomes interleaved
// (Planar Configuration 0). Both decoders give the received samples.
TEST(TranscodeTest, Htj2kOutputOfColourIsLosslessForIndependentDecoders) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  cf::testing::TempDir tmp;
  struct Case {
    const char* file;
    const char* label;  // expected Photometric Interpretation out
    int mct;
  };
  for (const Case& c : {Case{"pixel/rgb_8bit.dcm", "YBR_RCT", 1},
                        Case{"codecs/us-rgb_explicit-be.dcm", "YBR_RCT", 1},  // planar
                        Case{"codecs/rle_rgb_16bit_2frame.dcm", "YBR_RCT", 1},
                        Case{"modalities/sc_rgb_2frame.dcm", "YBR_RCT", 1},
                        Case{"pixel/ybr-full_uncompressed.dcm", "YBR_FULL", 0}}) {
    SCOPED_TRACE(c.file);
    auto bytes = ReadFile(root / c.file, 1ull << 31);
    ASSERT_TRUE(bytes);
    auto reference = DecodePixels(*bytes);
    ASSERT_TRUE(reference) << reference.error().message;
    ASSERT_EQ(reference->samples_per_pixel, 3);
    for (std::string_view target : {ts::kHtj2kLossless, ts::kHtj2k}) {
      auto out = Transcode(*bytes, target);
      ASSERT_TRUE(out) << out.error().message;
      EXPECT_EQ(TransferSyntaxOf(*out), target);
      const auto [photometric, planar] = ColourLabels(*out);
      EXPECT_EQ(photometric, c.label);
      EXPECT_EQ(planar, 0);
      auto again = DecodePixels(*out);  // ours, back to native
      ASSERT_TRUE(again) << again.error().message;
      ASSERT_EQ(again->frames, reference->frames);
      for (uint32_t f = 0; f < reference->frames; ++f) {
        EXPECT_EQ(Sha(FrameOf(*again, f)), Sha(FrameOf(*reference, f)));
      }
    }
    auto out = Transcode(*bytes, ts::kHtj2kLossless);
    ASSERT_TRUE(out);
    auto enc = FindEncapsulatedPixels(*out);
    ASSERT_TRUE(enc);
    ASSERT_EQ(enc->items.size(), size_t{reference->frames} + 1);  // one fragment per frame
    for (uint32_t f = 0; f < reference->frames; ++f) {
      EXPECT_EQ(MultipleComponentTransform(enc->items[f + 1]), c.mct);
      ExpectIndependentDecodersGive(enc->items[f + 1], FrameOf(*reference, f), tmp.Path());
    }
  }
}

// The same for WADO-RS frames in HTJ2K made from the stored form: RGB
// frames are the stored codestreams (already with the colour transform),
// YBR_FULL ones recoded without it.
TEST(TranscodeTest, StoredFormColourFramesAreHtj2kOfTheReceivedSamples) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  cf::testing::TempDir tmp;
  for (const auto& [file, mct] :
       {std::pair{"pixel/rgb_8bit.dcm", 1}, std::pair{"modalities/sc_rgb_2frame.dcm", 1},
        std::pair{"codecs/us-rgb_explicit-be.dcm", 1},
        std::pair{"pixel/ybr-full_uncompressed.dcm", 0}}) {
    SCOPED_TRACE(file);
    auto bytes = ReadFile(root / file, 1ull << 31);
    ASSERT_TRUE(bytes);
    auto reference = DecodePixels(*bytes);
    ASSERT_TRUE(reference);
    StoredFormOptions options;
    options.max_ratio = 100;
    Encoded form = EncodeStoredForm(*bytes, options);
    ASSERT_TRUE(form.stored) << form.reason;
    auto frames = StoredFormHtj2kFrames(*form.stored);
    ASSERT_TRUE(frames) << frames.error().message;
    ASSERT_EQ(frames->size(), reference->frames);
    for (uint32_t f = 0; f < reference->frames; ++f) {
      EXPECT_EQ(MultipleComponentTransform((*frames)[f]), mct);
      ExpectIndependentDecodersGive((*frames)[f], FrameOf(*reference, f), tmp.Path());
    }
  }
}

TEST(TranscodeTest, Htj2kOutputOfOtherColourIsRefusedClearly) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  // YBR_FULL_422 (JPEG baseline decoded to native keeps it): no HTJ2K form.
  auto bytes = ReadFile(root / "codecs/jpeg-baseline_rgb_ybr-full.dcm", 1ull << 31);
  ASSERT_TRUE(bytes);
  auto native = Transcode(*bytes, ts::kExplicitLittle);
  ASSERT_TRUE(native);
  const std::string photometric = ColourLabels(*native).first;
  auto out = Transcode(*bytes, ts::kHtj2kLossless);
  if (photometric == "RGB" || photometric == "YBR_FULL") {
    ASSERT_TRUE(out) << out.error().message;  // DCMTK converted it: fine
  } else {
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::kUnsupported);
    EXPECT_NE(out.error().message.find("RGB or YBR_FULL"), std::string::npos)
        << out.error().message;
  }
}

// A two-frame JPEG-LS object kept by the DICOM object fuzzer: its second
// frame lacks the EOI marker and its data ends in zero bits, which CharLS
// 2.4 read past the end for 10 s of CPU. Decoding it must fail with the
// frame named, long before the child's CPU limit (5 s, then SIGXCPU).
TEST(TranscodeTest, AJpegLsFrameWithoutItsEndMarkerFailsAtOnce) {
  auto bytes = ReadFile(
      fs::path(CF_SOURCE_DIR) / "tests/fuzz/regressions/dicom_object/jpegls-frame-without-eoi.dcm",
      1 << 20);
  ASSERT_TRUE(bytes);
  const auto decode_within_five_cpu_seconds = [&bytes] {
    const rlimit cpu{5, 5};
    setrlimit(RLIMIT_CPU, &cpu);
    auto pixels = DecodePixels(*bytes);
    const bool named = !pixels && pixels.error().message.starts_with("frame 2: JPEG-LS");
    std::exit(named ? 0 : 1);
  };
  EXPECT_EXIT(decode_within_five_cpu_seconds(), ::testing::ExitedWithCode(0), "");
}

// A 256x1024 object kept by the DICOM object fuzzer whose JPEG 2000 frame
// declares gigapixels: OpenJPEG allocated them and decoded before the
// sizes were compared (17 s and 5.3 GB of RSS here). The header's size is
// refused now, before any decoding, naming both sizes.
TEST(TranscodeTest, AJ2kFrameDeclaringAnotherSizeIsRefusedFromItsHeader) {
  auto bytes =
      ReadFile(fs::path(CF_SOURCE_DIR) /
                   "tests/fuzz/regressions/dicom_object/j2k-frame-declaring-gigapixels.dcm",
               1 << 20);
  ASSERT_TRUE(bytes);
  auto pixels = DecodePixels(*bytes);
  ASSERT_FALSE(pixels);
  EXPECT_EQ(pixels.error().code, ErrorCode::kInvalidDicom);
  EXPECT_TRUE(pixels.error().message.starts_with("frame 1: JPEG 2000: the codestream declares "))
      << pixels.error().message;
}

}  // namespace
}  // namespace cf::codec
