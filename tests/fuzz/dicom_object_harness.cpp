// SPDX-License-Identifier: Apache-2.0
#include "fuzz/dicom_object_harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "codec/frame_access.hpp"
#include "codec/header_without_pixels.hpp"
#include "codec/render.hpp"
#include "codec/stored_form.hpp"
#include "codec/transcode.hpp"
#include "core/bytes.hpp"
#include "dicom/dataset_json.hpp"
#include "dicom/instance.hpp"
#include "dicom/key_object_selection.hpp"
#include "dicom/report_document.hpp"

namespace cf::fuzz {
namespace {

constexpr uint32_t kPixelDataTag = 0x7FE00010;
// Decoded pixels above this are not transcoded again: a fuzz input is at
// most a few tens of KiB, and the pixels it claims beyond that are the
// decoders' business (they must refuse), not the round trip's.
constexpr size_t kMaxRoundTripPixels = 4u << 20;

void Require(bool condition, const char* promise) {
  if (condition) return;
  std::fprintf(stderr, "dicom_object harness: broken promise: %s\n", promise);
  std::abort();
}

// What the object's samples mean: bits above Bits Stored are not pixel
// values, and a lossless codec is free to drop them (DCMTK's do).
Bytes MeaningfulSamples(const codec::NativePixels& pixels) {
  Bytes out = pixels.data;
  if (pixels.bits_stored == 0 || pixels.bits_stored >= pixels.bits_allocated) return out;
  if (pixels.bits_allocated == 8) {
    const auto mask = static_cast<std::byte>((1u << pixels.bits_stored) - 1);
    for (auto& b : out) b &= mask;
  } else if (pixels.bits_allocated == 16) {
    const uint32_t mask = (uint32_t{1} << pixels.bits_stored) - 1;
    for (size_t i = 0; i + 1 < out.size(); i += 2) {
      const uint32_t v = static_cast<uint32_t>(LoadLe(&out[i], 2)) & mask;
      StoreLe(&out[i], v, 2);
    }
  }
  return out;
}

bool SameShape(const codec::NativePixels& a, const codec::NativePixels& b) {
  return a.rows == b.rows && a.columns == b.columns && a.frames == b.frames &&
         a.samples_per_pixel == b.samples_per_pixel && a.bits_allocated == b.bits_allocated &&
         a.bits_stored == b.bits_stored && a.photometric == b.photometric &&
         a.planar_configuration == b.planar_configuration;
}

// A lossless syntax must give back the samples it was given. Only for
// monochrome and RGB: other photometric interpretations may be converted on
// the way (YBR_FULL_422 is upsampled, palette colour expanded).
void CheckLosslessRoundTrip(ByteView bytes, const codec::NativePixels& pixels,
                            std::string_view target) {
  auto out = codec::Transcode(bytes, target);
  if (!out) return;  // refusing is allowed; producing garbage is not
  auto again = codec::DecodePixels(*out);
  if (!again) {
    std::fprintf(stderr, "transcoded to %.*s: %s\n", static_cast<int>(target.size()), target.data(),
                 again.error().message.c_str());
  }
  Require(again.has_value(), "a transcoded object decodes");
  if (!SameShape(pixels, *again)) return;
  const bool same = MeaningfulSamples(pixels) == MeaningfulSamples(*again);
  if (!same) {
    std::fprintf(stderr, "transcoded to %.*s: samples differ\n", static_cast<int>(target.size()),
                 target.data());
  }
  Require(same, "a lossless transcode keeps every sample");
}

std::string RunStoredForm(ByteView bytes) {
  (void)codec::StoredFormReceivedSha256(bytes);
  auto rebuilt = codec::DecodeStoredForm(bytes);
  auto header = codec::DecodeStoredFormWithoutPixels(bytes);
  if (rebuilt && header) {
    Require(header->size() == rebuilt->size(),
            "a stored form's header-only decode has the received length");
  }
  auto frames = codec::StoredFormHtj2kFrames(bytes);
  if (frames) {
    for (const auto& frame : *frames) Require(!frame.empty(), "no stored frame is empty");
  }
  return rebuilt ? "stored form, rebuilt" : "stored form refused: " + rebuilt.error().message;
}

void RunStoredFormOf(ByteView bytes, codec::PixelCodec pixel_codec) {
  codec::StoredFormOptions options;
  options.pixel_codec = pixel_codec;
  const auto encoded = codec::EncodeStoredForm(bytes, options);
  Require(!encoded.verify_failed, "every stored form the encoder makes rebuilds exactly");
  if (!encoded.stored) return;
  Require(codec::IsStoredForm(*encoded.stored), "a stored form is recognised as one");
  auto rebuilt = codec::DecodeStoredForm(*encoded.stored);
  Require(rebuilt.has_value(), "a stored form ingest keeps decodes");
  Require(*rebuilt == Bytes(bytes.begin(), bytes.end()),
          "a stored form rebuilds exactly the received bytes");
  auto header = codec::DecodeStoredFormWithoutPixels(*encoded.stored);
  Require(header.has_value() && header->size() == bytes.size(),
          "a stored form's header-only decode has the received length");
  (void)codec::StoredFormHtj2kFrames(*encoded.stored);
}

void RunReaders(ByteView bytes, const dicom::ParsedInstance& parsed) {
  dicom::JsonOptions json;
  json.bulk_data_uri_prefix = "https://cloudfilm.test/bulk/";
  (void)dicom::DatasetToJson(bytes, json);
  json.only_tags = {0x00080080, 0x00200013, 0x00280010};
  (void)dicom::DatasetToJson(bytes, json);
  (void)dicom::ReadBulkData(bytes, kPixelDataTag);
  (void)dicom::ReadBulkData(bytes, 0x00420011);  // Encapsulated Document
  (void)dicom::ReadReportDocument(bytes);
  (void)dicom::ReadKeyObjectSelection(bytes);
  if (auto header = codec::HeaderWithoutPixels(bytes)) {
    Require(header->size() <= bytes.size(), "a header without pixels is no larger");
  }
  if (codec::HasFrameFragments(parsed.transfer_syntax_uid)) {
    const int frames = parsed.number_of_frames.value_or(1);
    if (frames > 0) {
      auto split = codec::EncapsulatedFrames(bytes, static_cast<uint32_t>(frames));
      if (split) Require(split->size() == static_cast<size_t>(frames), "one entry per frame");
    }
  }
}

void RunPixels(ByteView bytes) {
  auto pixels = codec::DecodePixels(bytes);
  codec::RenderOptions render;
  render.format = codec::RenderFormat::kPng;
  render.viewport_width = 32;
  render.viewport_height = 32;
  (void)codec::RenderImage(bytes, render);
  if (!pixels) return;
  render.format = codec::RenderFormat::kJpeg;
  render.window = codec::RenderWindow{.center = 40, .width = 400};
  render.frame = pixels->frames;
  (void)codec::RenderImage(bytes, render);
  if (pixels->data.size() > kMaxRoundTripPixels) return;
  if (pixels->photometric != "MONOCHROME1" && pixels->photometric != "MONOCHROME2" &&
      pixels->photometric != "RGB") {
    return;
  }
  for (std::string_view target :
       {codec::ts::kExplicitLittle, codec::ts::kJpegLsLossless, codec::ts::kHtj2kLossless}) {
    CheckLosslessRoundTrip(bytes, *pixels, target);
  }
}

}  // namespace

std::string RunDicomObject(std::span<const uint8_t> input) {
  const ByteView bytes(reinterpret_cast<const std::byte*>(input.data()), input.size());
  if (codec::IsStoredForm(bytes)) return RunStoredForm(bytes);

  // Both pixel codecs, as ingest may be configured with either.
  RunStoredFormOf(bytes, codec::PixelCodec::kHtj2k);
  RunStoredFormOf(bytes, codec::PixelCodec::kJpegLs);

  auto parsed = dicom::ParseInstance(bytes);
  if (!parsed) return "rejected: " + parsed.error().message;
  RunReaders(bytes, *parsed);
  RunPixels(bytes);
  return "accepted " + parsed->transfer_syntax_uid;
}

}  // namespace cf::fuzz
