// SPDX-License-Identifier: Apache-2.0
// Compressed frames without decoding, for WADO-RS frame retrieval in
// compressed media types (PS3.18 8.7.3.3.2):
// - EncapsulatedFrames: the frames of an object received with encapsulated
//   pixel data, as the sender compressed them (each frame's fragments
//   joined). Frames are told apart only where that is certain; otherwise
//   kUnsupported, and the caller decodes instead.
// - StoredFormHtj2kFrames: the HTJ2K codestreams of a native grayscale
//   object's stored form, as stored, when each is a valid DICOM HTJ2K
//   lossless codestream of the original samples (docs/storage-format.md,
//   "Frames served as stored").
// Pure functions of their input; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

// The HTJ2K transfer syntaxes a stored form's frames can be labelled with.
// Not 1.2.840.10008.1.2.4.202 (RPCL options): it also requires TLM marker
// segments and a base resolution of at most 64, which our streams lack.
inline constexpr std::string_view kHtj2kLosslessSyntax = "1.2.840.10008.1.2.4.201";
inline constexpr std::string_view kHtj2kSyntax = "1.2.840.10008.1.2.4.203";

// Whether the fragments of `transfer_syntax` are image frames a client can
// decode by themselves (the JPEG family of Table 8.7.3-5, JPEG-LS, JPEG
// 2000, HTJ2K, RLE). Video, deflate and the native syntaxes are not.
bool HasFrameFragments(std::string_view transfer_syntax);

// The frames of `part10`, a Part 10 file (or dataset with file meta) with
// encapsulated pixel data in a transfer syntax for which HasFrameFragments,
// holding `number_of_frames` frames: frame 1 first, each the bytes of its
// fragments joined, exactly as received (a padding byte included).
// Frames are found by the Basic Offset Table, else one fragment per frame
// when the counts agree, else (JPEG family, JPEG 2000, HTJ2K) by each
// frame's fragments starting with its start marker and ending with its
// end marker (EOI / EOC). Errors: kUnsupported (a transfer syntax without
// frame fragments, or frames that cannot be told apart with certainty:
// decode instead), kInvalidDicom (damaged encapsulation).
Result<std::vector<Bytes>> EncapsulatedFrames(ByteView part10, uint32_t number_of_frames);

// The frames of a stored form (codec::IsStoredForm) whose pixel codec is
// HTJ2K, as DICOM HTJ2K lossless codestreams (kHtj2kLosslessSyntax), without
// decoding: each frame's stored codestream as it is when it codes the
// unsigned samples in Bits Stored bits, or with the component's sign bit
// set in SIZ when it codes signed samples shifted by 2^(Bits Stored - 1)
// (the shift is the one JPEG 2000 itself applies to unsigned components,
// so the signed codestream decodes to the original values exactly).
// Errors: kUnsupported when any frame is not such a codestream (colour,
// bits above Bits Stored kept, other transforms, JPEG-LS stored forms,
// objects without pixels), kInternal for a damaged stored form. The frame
// bytes are not checked against the received SHA-256 (that needs a full
// decode); the caller checks that the form is the instance's.
Result<std::vector<Bytes>> StoredFormHtj2kFrames(ByteView stored_form);

// The SHA-256 of the received bytes that a stored form records.
// REQUIRES: IsStoredForm(stored_form).
std::array<uint8_t, 32> StoredFormReceivedSha256(ByteView stored_form);

}  // namespace cf::codec
