// SPDX-License-Identifier: Apache-2.0
// Decoders of single encapsulated DICOM frames into samples: JPEG 2000 and
// HTJ2K (OpenJPEG, which refuses damaged input; OpenJPH, Debian's build of
// which asserts on it, only ever sees our own frames: stored_form.hpp),
// which DCMTK 3.6.7 cannot decode, and
// JPEG-LS with the system CharLS 2 (DCMTK's own JPEG-LS codec must never
// run in this process: its bundled CharLS 1 exports the same C symbols as
// CharLS 2, and the dynamic linker binds DCMTK's calls to ours). Internal
// to the codec part.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

struct DecodedFrame {
  uint32_t width = 0;
  uint32_t height = 0;
  uint16_t components = 0;
  uint16_t precision = 0;  // bits per sample
  bool is_signed = false;
  std::vector<int32_t> samples;  // interleaved: (row, column, component)
};

// The size a frame must have: the object's Columns, Rows and Samples per
// Pixel. A codestream whose header declares another is refused before
// anything is decoded: a few hundred bytes can declare gigapixels, which
// the decoder would allocate (2.7 GB twice over, for a fuzzer's 8x8
// object) before the sizes were compared.
struct FrameSize {
  uint32_t width = 0;
  uint32_t height = 0;
  uint16_t components = 0;
};

// JPEG 2000 Part 1 codestream (or a JP2 file, which some senders put in
// DICOM), lossless or lossy; OpenJPEG inverts the codestream's colour
// transform (RCT/ICT). Also reads HTJ2K (OpenJPEG 2.5). Without
// `expected` (tests), any size up to a gigasample.
Result<DecodedFrame> DecodeJ2k(ByteView codestream, std::optional<FrameSize> expected = {});

// JPEG-LS (ISO 14495-1), lossless or near-lossless, any interleave mode.
Result<DecodedFrame> DecodeJpegLsStream(ByteView stream, std::optional<FrameSize> expected = {});

// kInvalidDicom naming both sizes when a codestream's declared size is not
// `expected`; empty when it is (or nothing is expected).
std::optional<Error> SizeMismatch(const char* codec, uint32_t width, uint32_t height,
                                  uint32_t components, const std::optional<FrameSize>& expected);

// Lossless JPEG-LS of one frame of interleaved samples (the form DICOM's
// 1.2.840.10008.1.2.4.80 carries): `bits` per sample, values masked to them.
Result<Bytes> EncodeJpegLsFrame(uint32_t width, uint32_t height, uint16_t components, uint16_t bits,
                                const std::vector<int32_t>& samples);

}  // namespace cf::codec
