// SPDX-License-Identifier: Apache-2.0
// Decoding every transfer syntax we receive to native pixels, and
// re-encoding on the way out for a client that asks for (or only accepts)
// another transfer syntax. Lossless unless the caller explicitly allows
// lossy output: decompressing an already lossy image is no new loss, so
// JPEG baseline in, explicit little endian out is fine; explicit little
// endian in, JPEG baseline out needs consent.
//
// DCMTK decodes and encodes the JPEG family, JPEG-LS and RLE; JPEG 2000
// (OpenJPEG) and HTJ2K (OpenJPH), which DCMTK 3.6.7 cannot decode, are
// decoded here frame by frame from the encapsulated fragments.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

namespace ts {
inline constexpr std::string_view kImplicitLittle = "1.2.840.10008.1.2";
inline constexpr std::string_view kExplicitLittle = "1.2.840.10008.1.2.1";
inline constexpr std::string_view kDeflated = "1.2.840.10008.1.2.1.99";
inline constexpr std::string_view kExplicitBig = "1.2.840.10008.1.2.2";
inline constexpr std::string_view kJpegBaseline = "1.2.840.10008.1.2.4.50";
inline constexpr std::string_view kJpegLosslessSv1 = "1.2.840.10008.1.2.4.70";
inline constexpr std::string_view kJpegLsLossless = "1.2.840.10008.1.2.4.80";
inline constexpr std::string_view kRle = "1.2.840.10008.1.2.5";
inline constexpr std::string_view kHtj2kLossless = "1.2.840.10008.1.2.4.201";
inline constexpr std::string_view kHtj2k = "1.2.840.10008.1.2.4.203";
}  // namespace ts

struct TranscodeOptions {
  bool allow_lossy = false;  // only when the request says so explicitly
};

// Transfer syntaxes Transcode can produce (lossless ones, plus lossy ones
// when `allow_lossy`).
bool CanProduce(std::string_view transfer_syntax, bool allow_lossy);

// `part10` (a Part 10 file) in `target`: the same bytes when it already is
// in `target`; otherwise decoded and re-encoded, with the file meta's
// transfer syntax updated and everything else kept. Errors: kUnsupported
// (a source we cannot decode, such as video, or a target we cannot or may
// not produce), kInvalidDicom (a corrupt codestream, frames missing from
// the encapsulated sequence; the message says which frame and what).
Result<Bytes> Transcode(ByteView part10, std::string_view target,
                        const TranscodeOptions& options = {});

// The decoded pixels of every frame as native little-endian samples (what
// explicit little endian would carry), with the attributes that describe
// them. For cross-checks against independent decoders, and rendering.
struct NativePixels {
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint32_t frames = 1;
  uint16_t samples_per_pixel = 1;
  uint16_t bits_allocated = 0;
  uint16_t bits_stored = 0;
  uint16_t pixel_representation = 0;
  uint16_t planar_configuration = 0;
  std::string photometric;
  // rows * columns * samples * bits_allocated / 8 * frames (4:2:2 colour,
  // YBR_FULL_422 as received natively: two samples per pixel instead of 3)
  Bytes data;
};
Result<NativePixels> DecodePixels(ByteView part10);

}  // namespace cf::codec
