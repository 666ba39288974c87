// SPDX-License-Identifier: Apache-2.0
// The stored form of a received object: smaller on disk, and rebuilt into
// exactly the received bytes on the way out.
//
// - Native (uncompressed) images: every byte outside the Pixel Data value
//   kept as received (zstd-compressed), the pixel data compressed frame by
//   frame with lossless JPEG-LS. Bits above Bits Stored, signedness, odd
//   leftovers after the last frame and planar colour are all kept, so the
//   rebuilt file is the received one, bit for bit.
// - Objects without pixel data (SR, PDF, ECG waveforms, KOS...): zstd.
// - Native images in explicit VR big endian: the same, each frame
//   byte-swapped to samples first; 32-bit integer samples: narrowed to at
//   most 16 bits per frame when they fit, else split into 16-bit halves.
// - Everything else (already compressed pixel data, float pixels, odd
//   layouts) is stored as received: never re-encoded.
//
// EncodeStoredForm decodes what it produced and compares the SHA-256 of the
// rebuilt bytes with the received ones before it offers the stored form; on
// any difference the caller stores the received bytes. The format (v1, and
// v2 for big endian and 32-bit samples) is described in
// docs/storage-format.md.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

enum class StoredKind : uint8_t {
  kAsReceived = 0,
  kNativePixels = 1,  // JPEG-LS frames + zstd of the rest
  kZstd = 2,          // the whole object
};

// Lossless codecs for the frames of native images. The numbers are stored.
enum class PixelCodec : uint16_t {
  kJpegLs = 1,  // CharLS
  kHtj2k = 2,   // OpenJPH, reversible 5/3 wavelet, RCT for colour
};

struct StoredFormOptions {
  bool compress_pixels = true;  // native images: frames with pixel_codec
  // HTJ2K by default: on the shared test data it stores 10% more than
  // JPEG-LS (ratio 4.5 against 5.0) but encodes 1.8x and decodes 3.6x
  // faster, and halves colour ultrasound thanks to its colour transform
  // (bench/codec.sh; docs/performance.md).
  PixelCodec pixel_codec = PixelCodec::kHtj2k;
  bool compress_other = true;  // zstd for objects without pixel data
  int zstd_level = 3;
  // Below this saving (stored/received), the received bytes are kept as they
  // are: a stored form costs a decode on every read.
  double max_ratio = 0.97;
};

struct Encoded {
  StoredKind kind = StoredKind::kAsReceived;
  std::optional<Bytes> stored;  // the stored form; nullopt: store as received
  std::string reason;           // why as received; no patient data
  bool verify_failed = false;   // a stored form was made but did not rebuild exactly
};

// Never fails: the worst case is "store as received" with a reason.
// `received_sha256`, when the caller has it already (ingest, compaction),
// saves hashing the object once more.
Encoded EncodeStoredForm(ByteView received, const StoredFormOptions& options = {},
                         const std::array<uint8_t, 32>* received_sha256 = nullptr);

// True when `blob` is a stored form rather than received bytes. A Part 10
// file has "DICM" at offset 128, where a stored form has "CFZ1".
bool IsStoredForm(ByteView blob);

// Where a stored form to decode comes from. OpenJPH, the fast HTJ2K
// decoder, trusts a codestream's packet headers: OpenJPH 0.9 fails
// assertions on damaged ones, and Debian builds it with assertions on, so a
// damaged form would abort the process. Only a form whose bytes are proven
// (its blob's AEAD tag checked, or just made here) goes to OpenJPH; any
// other goes to OpenJPEG, slower but made to refuse damaged input.
enum class FormOrigin { kUnproven, kProven };

// The received bytes, checked against the SHA-256 recorded in the form.
Result<Bytes> DecodeStoredForm(ByteView blob, FormOrigin origin = FormOrigin::kUnproven);

// The received bytes with the native Pixel Data value as zeros (same
// length), without decoding any frame: for readers of everything but the
// pixels (metadata), ten times faster. The SHA-256 cannot be checked; the
// zstd frames of the other bytes carry their own checksums (forms written
// before those checksums decode unchecked).
Result<Bytes> DecodeStoredFormWithoutPixels(ByteView blob);

}  // namespace cf::codec
