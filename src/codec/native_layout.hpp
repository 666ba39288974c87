// SPDX-License-Identifier: Apache-2.0
// Where the native (uncompressed) pixel data of a Part 10 file lies, and how
// its samples are laid out, found by walking the file's elements directly.
// The stored form keeps every other byte as received, so it needs the byte
// offset of the Pixel Data value in the exact received file, which a parsed
// DCMTK dataset does not give. The native transfer syntaxes are walked
// (implicit and explicit VR little endian, and the retired explicit VR big
// endian); anything else is "not native" and stored as received.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

struct NativeLayout {
  bool has_pixel_data = false;  // false: a non-image object (SR, PDF, ECG...)
  // Valid when has_pixel_data:
  uint64_t pixel_offset = 0;  // of the Pixel Data value in the file
  uint64_t pixel_length = 0;  // its value length (even)
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint32_t frames = 1;
  uint16_t samples_per_pixel = 1;
  uint16_t bits_allocated = 0;
  uint16_t bits_stored = 0;
  uint16_t pixel_representation = 0;  // 1: two's complement
  uint16_t planar_configuration = 0;  // 1: colour planes one after the other
  // Explicit VR big endian (1.2.840.10008.1.2.2): the dataset's numbers,
  // and the pixel samples of an OW value, are big endian.
  bool big_endian = false;
  char pixel_vr[2] = {0, 0};  // "OB" or "OW" in explicit VR; zeros in implicit VR
  // Photometric Interpretation (trimmed), and where its element and the
  // Planar Configuration value lie in the file (0: absent), for writers
  // that change them (HTJ2K output).
  std::string photometric;
  uint64_t photometric_element = 0;  // offset of the element's tag
  uint64_t photometric_end = 0;      // just past its value
  uint64_t planar_value = 0;         // offset of Planar Configuration's 2-byte value
  // Every top-level tag above the one before it. When not, a repeated
  // element is taken last here and first by DCMTK: writers that change the
  // object (HTJ2K output) must not rely on this layout.
  bool tags_ascending = true;
  uint64_t FrameBytes() const {
    return uint64_t{rows} * columns * samples_per_pixel * (bits_allocated / 8u);
  }
};

struct LayoutResult {
  std::optional<NativeLayout> layout;  // nullopt: not walkable as native LE
  std::string reason;                  // why not, for counters and logs (no patient data)
};

// The items of encapsulated Pixel Data, found the same way: the first is
// the Basic Offset Table (maybe empty), then the fragments. Views into
// `file`. Works whatever the transfer syntax UID, known to DCMTK or not
// (HTJ2K), since encapsulated data sets are explicit VR little endian.
struct Encapsulated {
  std::string transfer_syntax;
  std::vector<ByteView> items;
};
Result<Encapsulated> FindEncapsulatedPixels(ByteView file);

// Walks `file` (a Part 10 file with "DICM" at 128, or its file meta at 0).
// Implicit and explicit VR little endian, and explicit VR big endian (the
// layout says so: its pixel samples are then big endian). Never reads out
// of bounds; any inconsistency gives nullopt with a reason.
LayoutResult FindNativeLayout(ByteView file);

}  // namespace cf::codec
