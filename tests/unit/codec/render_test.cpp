// SPDX-License-Identifier: Apache-2.0
// Rendering checked pixel by pixel: small images with known values are
// built in memory, rendered, and the output decoded again with libpng and
// libjpeg (independent of DCMTK's encoders). Expected gray levels come from
// the VOI formulas of PS3.3 C.11.2.1.2 and C.11.2.1.3, computed here.
#include "codec/render.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <gtest/gtest.h>
#include <png.h>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <cstdio>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "codec/transcode.hpp"

namespace cf::codec {
namespace {

struct Decoded {
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t channels = 0;
  std::vector<uint8_t> pixels;  // interleaved rows
  int At(uint32_t x, uint32_t y, uint32_t c = 0) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
};

Decoded DecodePng(const Bytes& png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) {
    throw std::runtime_error(std::string("not a PNG: ") + image.message);
  }
  Decoded out;
  out.width = image.width;
  out.height = image.height;
  // Read as stored: gray stays one channel, colour three.
  image.format = (image.format & PNG_FORMAT_FLAG_COLOR) ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  out.channels = PNG_IMAGE_SAMPLE_CHANNELS(image.format);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    throw std::runtime_error(std::string("bad PNG: ") + image.message);
  }
  return out;
}

Decoded DecodeJpeg(const Bytes& jpeg) {
  jpeg_decompress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(jpeg.data()),
               static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&info, TRUE);
  jpeg_start_decompress(&info);
  Decoded out;
  out.width = info.output_width;
  out.height = info.output_height;
  out.channels = static_cast<uint32_t>(info.output_components);
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * out.channels);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row =
        out.pixels.data() + static_cast<size_t>(info.output_scanline) * out.width * out.channels;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return out;
}

Bytes ToPart10(DcmFileFormat& file) {
  const E_TransferSyntax xfer = EXS_LittleEndianExplicit;
  if (file.validateMetaInfo(xfer).bad()) throw std::runtime_error("cannot build file meta");
  file.transferInit();
  Bytes out(file.calcElementLength(xfer, EET_ExplicitLength) + 1024);
  DcmOutputBufferStream stream(out.data(), static_cast<offile_off_t>(out.size()));
  const OFCondition status = file.write(stream, xfer, EET_ExplicitLength, nullptr);
  file.transferEnd();
  if (status.bad()) throw std::runtime_error(status.text());
  void* buffer = nullptr;
  offile_off_t written = 0;
  stream.flushBuffer(buffer, written);
  out.resize(static_cast<size_t>(written));
  return out;
}

// The common attributes of an image object; pixels are added by the caller.
void Describe(DcmDataset& ds, uint16_t rows, uint16_t columns, const char* photometric,
              uint16_t samples, uint16_t bits, uint16_t pixel_representation = 0) {
  ds.putAndInsertString(DCM_SOPClassUID, "1.2.840.10008.5.1.4.1.1.7");
  ds.putAndInsertString(DCM_SOPInstanceUID, "1.2.826.0.1.3680043.8.498.1");
  ds.putAndInsertString(DCM_StudyInstanceUID, "1.2.826.0.1.3680043.8.498.2");
  ds.putAndInsertString(DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.8.498.3");
  ds.putAndInsertUint16(DCM_Rows, rows);
  ds.putAndInsertUint16(DCM_Columns, columns);
  ds.putAndInsertUint16(DCM_SamplesPerPixel, samples);
  ds.putAndInsertString(DCM_PhotometricInterpretation, photometric);
  ds.putAndInsertUint16(DCM_BitsAllocated, bits);
  ds.putAndInsertUint16(DCM_BitsStored, bits);
  ds.putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(bits - 1));
  ds.putAndInsertUint16(DCM_PixelRepresentation, pixel_representation);
  if (samples > 1) ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
}

// A CT row of stored values (unsigned 16 bits, intercept -1024 so that
// HU = stored - 1024), with an optional window in the object.
constexpr int kHuOffset = 1024;
const std::vector<int> kHu = {-1024, -200, -161, 0, 40, 100, 239, 240, 1000, 3000};

Bytes MakeCt(const char* photometric = "MONOCHROME2", const char* center = nullptr,
             const char* width = nullptr) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Describe(ds, 1, static_cast<uint16_t>(kHu.size()), photometric, 1, 16);
  ds.putAndInsertString(DCM_SOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
  ds.putAndInsertString(DCM_RescaleIntercept, "-1024");
  ds.putAndInsertString(DCM_RescaleSlope, "1");
  if (center != nullptr) {
    ds.putAndInsertString(DCM_WindowCenter, center);
    ds.putAndInsertString(DCM_WindowWidth, width);
  }
  std::vector<Uint16> px;
  for (int hu : kHu) px.push_back(static_cast<Uint16>(hu + kHuOffset));
  ds.putAndInsertUint16Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  return ToPart10(file);
}

// PS3.3 C.11.2.1.2.1, output 0..255.
double Linear(double x, double c, double w) {
  if (x <= c - 0.5 - (w - 1) / 2) return 0;
  if (x > c - 0.5 + (w - 1) / 2) return 255;
  return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
}
// PS3.3 C.11.2.1.3.2.
double LinearExact(double x, double c, double w) {
  if (x <= c - w / 2) return 0;
  if (x > c + w / 2) return 255;
  return ((x - c) / w + 0.5) * 255;
}
// PS3.3 C.11.2.1.3.1.
double Sigmoid(double x, double c, double w) { return 255 / (1 + std::exp(-4 * (x - c) / w)); }

Decoded RenderPng(const Bytes& part10, RenderOptions options = {}) {
  options.format = RenderFormat::kPng;
  auto png = RenderImage(part10, options);
  if (!png) throw std::runtime_error(png.error().message);
  return DecodePng(*png);
}

void ExpectRow(const Decoded& image, const std::vector<double>& expected, bool inverted = false) {
  ASSERT_EQ(image.width, expected.size());
  ASSERT_EQ(image.height, 1u);
  ASSERT_EQ(image.channels, 1u);
  for (size_t i = 0; i < expected.size(); ++i) {
    const double want = inverted ? 255 - expected[i] : expected[i];
    EXPECT_NEAR(image.At(static_cast<uint32_t>(i), 0), want, 1.0)
        << "pixel " << i << " (HU " << kHu[i] << ")";
  }
}

TEST(RenderTest, WindowFromTheQueryAppliesToHounsfieldUnits) {
  // The object's own window is far off: the requested one must win.
  const Bytes ct = MakeCt("MONOCHROME2", "1000", "10");
  RenderOptions options;
  options.window = RenderWindow{40, 400, VoiFunction::kLinear};
  const Decoded image = RenderPng(ct, options);
  std::vector<double> expected;
  for (int hu : kHu) expected.push_back(Linear(hu, 40, 400));
  ExpectRow(image, expected);
  // Spelled out, so that a wrong formula above cannot hide a wrong render:
  EXPECT_EQ(image.At(0, 0), 0);         // -1024 HU, far below
  EXPECT_EQ(image.At(1, 0), 0);         // -200 HU <= 40 - 0.5 - 199.5
  EXPECT_NEAR(image.At(4, 0), 128, 1);  // the centre
  EXPECT_EQ(image.At(7, 0), 255);       // 240 HU > 40 - 0.5 + 199.5
  EXPECT_EQ(image.At(9, 0), 255);
}

TEST(RenderTest, TheObjectsFirstWindowIsTheDefault) {
  const Decoded image = RenderPng(MakeCt("MONOCHROME2", "40\\-600", "400\\1500"));
  std::vector<double> expected;
  for (int hu : kHu) expected.push_back(Linear(hu, 40, 400));
  ExpectRow(image, expected);
}

TEST(RenderTest, WithoutAnyWindowTheValueRangeIsUsed) {
  const Decoded image = RenderPng(MakeCt());
  EXPECT_EQ(image.At(0, 0), 0);
  EXPECT_EQ(image.At(static_cast<uint32_t>(kHu.size() - 1), 0), 255);
  for (size_t i = 1; i < kHu.size(); ++i) {
    EXPECT_LE(image.At(static_cast<uint32_t>(i - 1), 0), image.At(static_cast<uint32_t>(i), 0));
  }
}

TEST(RenderTest, LinearExactAndSigmoid) {
  const Bytes ct = MakeCt();
  RenderOptions options;
  options.window = RenderWindow{40, 400, VoiFunction::kLinearExact};
  std::vector<double> expected;
  for (int hu : kHu) expected.push_back(LinearExact(hu, 40, 400));
  ExpectRow(RenderPng(ct, options), expected);
  // A narrow window tells linear exact from linear (which would give 255
  // at the centre here: 0 > 0 - 0.5 + (2 - 1) / 2).
  options.window = RenderWindow{0, 2, VoiFunction::kLinearExact};
  EXPECT_NEAR(RenderPng(ct, options).At(3, 0), 127.5, 1);  // 0 HU

  options.window = RenderWindow{40, 400, VoiFunction::kSigmoid};
  expected.clear();
  for (int hu : kHu) expected.push_back(Sigmoid(hu, 40, 400));
  ExpectRow(RenderPng(ct, options), expected);
}

TEST(RenderTest, MonochromeOneIsInverted) {
  RenderOptions options;
  options.window = RenderWindow{40, 400, VoiFunction::kLinear};
  const Decoded image = RenderPng(MakeCt("MONOCHROME1"), options);
  std::vector<double> expected;
  for (int hu : kHu) expected.push_back(Linear(hu, 40, 400));
  ExpectRow(image, expected, /*inverted=*/true);
  EXPECT_EQ(image.At(0, 0), 255);  // air is white on MONOCHROME1
}

TEST(RenderTest, CompressedPixelsRenderLikeNativeOnes) {
  const Bytes ct = MakeCt("MONOCHROME2", "40", "400");
  for (const std::string_view target : {ts::kRle, ts::kJpegLsLossless}) {
    auto compressed = Transcode(ct, target);
    ASSERT_TRUE(compressed) << compressed.error().message;
    const Decoded native = RenderPng(ct);
    const Decoded decoded = RenderPng(*compressed);
    EXPECT_EQ(native.pixels, decoded.pixels) << target;
  }
}

// 2 x 2: red, green / blue, white; `frames` frames, frame k's white pixel
// holding 10 * k instead (to tell frames apart).
Bytes MakeRgb(int frames = 1) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Describe(ds, 2, 2, "RGB", 3, 8);
  ds.putAndInsertString(DCM_NumberOfFrames, std::to_string(frames).c_str());
  std::vector<Uint8> px;
  for (int f = 1; f <= frames; ++f) {
    const auto k = static_cast<Uint8>(frames == 1 ? 255 : 10 * f);
    px.insert(px.end(), {255, 0, 0, 0, 255, 0, 0, 0, 255, k, k, k});
  }
  ds.putAndInsertUint8Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  return ToPart10(file);
}

TEST(RenderTest, RgbKeepsItsColours) {
  const Decoded image = RenderPng(MakeRgb());
  ASSERT_EQ(image.channels, 3u);
  ASSERT_EQ(image.width, 2u);
  const std::vector<uint8_t> want = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  EXPECT_EQ(image.pixels, want);
}

TEST(RenderTest, TheRequestedFrameOfAMultiFrameImage) {
  const Bytes clip = MakeRgb(3);
  RenderOptions options;
  options.frame = 2;
  const Decoded second = RenderPng(clip, options);
  EXPECT_EQ(second.At(1, 1, 0), 20);
  EXPECT_EQ(second.At(0, 0, 0), 255);
  options.frame = 3;
  EXPECT_EQ(RenderPng(clip, options).At(1, 1, 2), 30);

  options.frame = 4;
  const auto out = RenderImage(clip, options);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(out.error().message.find("3 frame"), std::string::npos) << out.error().message;
}

TEST(RenderTest, PaletteColourBecomesRgb) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Describe(ds, 1, 3, "PALETTE COLOR", 1, 8);
  const Uint16 descriptor[3] = {256, 0, 16};
  std::vector<Uint16> red(256, 0), green(256, 0), blue(256, 0);
  red[1] = 0xFFFF;                       // index 1: red
  green[2] = 0xFFFF;                     // index 2: green
  red[3] = green[3] = blue[3] = 0x8080;  // index 3: mid gray
  ds.putAndInsertUint16Array(DCM_RedPaletteColorLookupTableDescriptor, descriptor, 3);
  ds.putAndInsertUint16Array(DCM_GreenPaletteColorLookupTableDescriptor, descriptor, 3);
  ds.putAndInsertUint16Array(DCM_BluePaletteColorLookupTableDescriptor, descriptor, 3);
  ds.putAndInsertUint16Array(DCM_RedPaletteColorLookupTableData, red.data(), 256);
  ds.putAndInsertUint16Array(DCM_GreenPaletteColorLookupTableData, green.data(), 256);
  ds.putAndInsertUint16Array(DCM_BluePaletteColorLookupTableData, blue.data(), 256);
  const Uint8 px[4] = {1, 2, 3, 0};  // 3 pixels, padded to even length
  ds.putAndInsertUint8Array(DCM_PixelData, px, 4);
  const Decoded image = RenderPng(ToPart10(file));
  ASSERT_EQ(image.channels, 3u);
  const std::vector<uint8_t> want = {255, 0, 0, 0, 255, 0, 128, 128, 128};
  EXPECT_EQ(image.pixels, want);
}

// 64 x 32, 8-bit gray: the top left 16 x 16 white, the rest black.
Bytes MakeCorner() {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Describe(ds, 32, 64, "MONOCHROME2", 1, 8);
  std::vector<Uint8> px(64 * 32, 0);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) px[static_cast<size_t>(y * 64 + x)] = 200;
  }
  ds.putAndInsertString(DCM_WindowCenter, "100");
  ds.putAndInsertString(DCM_WindowWidth, "100");
  ds.putAndInsertUint8Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  return ToPart10(file);
}

TEST(RenderTest, ViewportFitsAndKeepsTheAspectRatio) {
  const Bytes image = MakeCorner();
  RenderOptions options;
  options.viewport_width = 32;
  options.viewport_height = 32;
  Decoded out = RenderPng(image, options);
  EXPECT_EQ(out.width, 32u);
  EXPECT_EQ(out.height, 16u);
  EXPECT_EQ(out.At(2, 2), 255);  // inside the white corner, window kept
  EXPECT_EQ(out.At(20, 12), 0);

  options.viewport_width = 300;
  options.viewport_height = 100;
  out = RenderPng(image, options);
  EXPECT_EQ(out.width, 200u);
  EXPECT_EQ(out.height, 100u);

  options.enlarge = false;  // thumbnails never grow
  out = RenderPng(image, options);
  EXPECT_EQ(out.width, 64u);
  EXPECT_EQ(out.height, 32u);
}

TEST(RenderTest, SourceRegionIsCroppedBeforeScaling) {
  RenderOptions options;
  options.region = RenderRegion{0, 0, 16, 16};
  options.viewport_width = 8;
  options.viewport_height = 8;
  Decoded out = RenderPng(MakeCorner(), options);
  EXPECT_EQ(out.width, 8u);
  EXPECT_EQ(out.height, 8u);
  for (uint8_t v : out.pixels) EXPECT_EQ(v, 255);

  options.region = RenderRegion{16, 16, 48, 16};  // the black part only
  options.viewport_width = 0;
  options.viewport_height = 0;
  out = RenderPng(MakeCorner(), options);
  EXPECT_EQ(out.width, 48u);
  EXPECT_EQ(out.height, 16u);
  for (uint8_t v : out.pixels) EXPECT_EQ(v, 0);

  options.region = RenderRegion{60, 0, 8, 8};  // past the right edge
  const auto outside = RenderImage(MakeCorner(), options);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().code, ErrorCode::kInvalidArgument);
}

TEST(RenderTest, JpegOutputDecodesToTheRightSizeAndValues) {
  RenderOptions options;
  options.format = RenderFormat::kJpeg;
  options.quality = 95;
  auto jpeg = RenderImage(MakeCorner(), options);
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  ASSERT_GE(jpeg->size(), 4u);
  EXPECT_EQ((*jpeg)[0], std::byte{0xFF});
  EXPECT_EQ((*jpeg)[1], std::byte{0xD8});
  const Decoded image = DecodeJpeg(*jpeg);
  EXPECT_EQ(image.width, 64u);
  EXPECT_EQ(image.height, 32u);
  EXPECT_EQ(image.channels, 1u);
  EXPECT_NEAR(image.At(4, 4), 255, 4);
  EXPECT_NEAR(image.At(40, 20), 0, 4);

  options.viewport_width = options.viewport_height = 16;
  jpeg = RenderImage(MakeRgb(), options);
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  const Decoded rgb = DecodeJpeg(*jpeg);
  EXPECT_EQ(rgb.width, 16u);
  EXPECT_EQ(rgb.channels, 3u);
  // Corners, away from the interpolated middle: red stays red, green green.
  EXPECT_GT(rgb.At(0, 0, 0), 180);
  EXPECT_LT(rgb.At(0, 0, 1), 80);
  EXPECT_LT(rgb.At(0, 0, 2), 80);
  EXPECT_GT(rgb.At(15, 0, 1), 180);
  EXPECT_LT(rgb.At(15, 0, 0), 80);
}

TEST(RenderTest, ObjectsWithoutPixelsAreNotRendered) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  ds.putAndInsertString(DCM_SOPClassUID, "1.2.840.10008.5.1.4.1.1.88.11");  // Basic Text SR
  ds.putAndInsertString(DCM_SOPInstanceUID, "1.2.826.0.1.3680043.8.498.9");
  const auto out = RenderImage(ToPart10(file), {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kUnsupported);
}

TEST(RenderTest, BadOptionsAreRefused) {
  const Bytes ct = MakeCt();
  RenderOptions options;
  options.quality = 0;
  EXPECT_EQ(RenderImage(ct, options).error().code, ErrorCode::kInvalidArgument);
  options = {};
  options.window = RenderWindow{0, 0.5, VoiFunction::kLinear};
  EXPECT_EQ(RenderImage(ct, options).error().code, ErrorCode::kInvalidArgument);
  options.window = RenderWindow{0, 0.5, VoiFunction::kLinearExact};  // allowed there
  EXPECT_TRUE(RenderImage(ct, options));
  options = {};
  options.frame = 2;
  EXPECT_EQ(RenderImage(ct, options).error().code, ErrorCode::kInvalidArgument);
}

TEST(RenderTest, FitToViewport) {
  RenderOptions options;
  options.viewport_width = 128;
  options.viewport_height = 128;
  EXPECT_EQ(FitToViewport(512, 256, options).width, 128u);
  EXPECT_EQ(FitToViewport(512, 256, options).height, 64u);
  EXPECT_EQ(FitToViewport(1, 1000, options).width, 1u);  // never 0
  options.enlarge = false;
  EXPECT_EQ(FitToViewport(64, 32, options).width, 64u);
  options.viewport_width = 0;
  EXPECT_EQ(FitToViewport(640, 480, options).width, 640u);
}

}  // namespace
}  // namespace cf::codec
