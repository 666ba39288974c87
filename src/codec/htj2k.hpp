// SPDX-License-Identifier: Apache-2.0
// Reversible HTJ2K (OpenJPH) of one frame of samples, as the stored form
// uses it; the same FrameShape and sample layout as jpegls.hpp. Colour
// frames use the reversible colour transform. Internal to the codec part.
#pragma once

#include "codec/jpegls.hpp"

namespace cf::codec {

// Sends OpenJPH's own messages to /dev/null; call before using it.
void QuietOpenJph();

Result<Bytes> EncodeHtj2k(const FrameShape& shape, ByteView samples);
// OpenJPH: only for frames whose bytes are proven (stored_form.hpp,
// FormOrigin); it asserts on damaged ones.
Result<void> DecodeHtj2k(const FrameShape& shape, ByteView stream, Bytes& out);
// The same with OpenJPEG, for a frame whose bytes are not proven: OpenJPH
// 0.9 asserts on damaged packet headers (stored_form.hpp, FormOrigin).
Result<void> DecodeHtj2kWithOpenJpeg(const FrameShape& shape, ByteView stream, Bytes& out);

}  // namespace cf::codec
