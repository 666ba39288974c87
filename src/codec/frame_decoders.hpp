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

// JPEG 2000 Part 1 codestream (or a JP2 file, which some senders put in
// DICOM), lossless or lossy; OpenJPEG inverts the codestream's colour
// transform (RCT/ICT). Also reads HTJ2K (OpenJPEG 2.5).
Result<DecodedFrame> DecodeJ2k(ByteView codestream);

// JPEG-LS (ISO 14495-1), lossless or near-lossless, any interleave mode.
Result<DecodedFrame> DecodeJpegLsStream(ByteView stream);

// Lossless JPEG-LS of one frame of interleaved samples (the form DICOM's
// 1.2.840.10008.1.2.4.80 carries): `bits` per sample, values masked to them.
Result<Bytes> EncodeJpegLsFrame(uint32_t width, uint32_t height, uint16_t components, uint16_t bits,
                                const std::vector<int32_t>& samples);

}  // namespace cf::codec
