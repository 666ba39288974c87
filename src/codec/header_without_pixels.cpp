// SPDX-License-Identifier: Apache-2.0
#include "codec/header_without_pixels.hpp"

#include <cstring>

#include "codec/native_layout.hpp"

namespace cf::codec {
namespace {

// Pixel Data (7FE0,0010) OB of undefined length, explicit VR little endian
// (as every encapsulated data set is), holding only an empty Basic Offset
// Table: what encapsulated pixel data becomes. DCMTK refuses an explicit
// length there.
constexpr std::byte kEmptyEncapsulated[20] = {
    std::byte{0xE0}, std::byte{0x7F}, std::byte{0x10}, std::byte{0x00}, std::byte{'O'},
    std::byte{'B'},  std::byte{0x00}, std::byte{0x00}, std::byte{0xFF}, std::byte{0xFF},
    std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFE}, std::byte{0xFF}, std::byte{0x00},
    std::byte{0xE0}, std::byte{0x00}, std::byte{0x00}, std::byte{0x00}, std::byte{0x00}};
// The sequence delimitation item that closes encapsulated pixel data.
constexpr std::byte kSequenceDelimiter[8] = {std::byte{0xFE}, std::byte{0xFF}, std::byte{0xDD},
                                             std::byte{0xE0}, std::byte{0x00}, std::byte{0x00},
                                             std::byte{0x00}, std::byte{0x00}};

std::optional<Bytes> Joined(ByteView before, ByteView middle, ByteView after) {
  if (before.size() + middle.size() + after.size() > kMaxHeaderBytes) return std::nullopt;
  Bytes out;
  out.reserve(before.size() + middle.size() + after.size());
  out.insert(out.end(), before.begin(), before.end());
  out.insert(out.end(), middle.begin(), middle.end());
  out.insert(out.end(), after.begin(), after.end());
  return out;
}

}  // namespace

std::optional<Bytes> HeaderWithoutPixels(ByteView received) {
  const LayoutResult native = FindNativeLayout(received);
  if (native.layout) {
    const NativeLayout& l = *native.layout;
    if (!l.has_pixel_data) return Joined(received, {}, {});
    // The 4 bytes before the value are its length in every native encoding
    // (explicit VR OB/OW, implicit VR); zero reads the same either endian.
    if (l.pixel_offset < 8 || l.pixel_offset + l.pixel_length > received.size()) {
      return std::nullopt;
    }
    static constexpr std::byte kZeroLength[4] = {};
    return Joined(received.first(l.pixel_offset - 4), ByteView(kZeroLength, 4),
                  received.subspan(l.pixel_offset + l.pixel_length));
  }
  auto encapsulated = FindEncapsulatedPixels(received);
  if (!encapsulated || encapsulated->items.empty()) return std::nullopt;
  // The element's header (12 bytes, undefined length) and the first item's
  // (8) precede the first item's value; the delimiter follows the last.
  const std::byte* first = encapsulated->items.front().data();
  const std::byte* last_end = encapsulated->items.back().data() + encapsulated->items.back().size();
  const size_t element = static_cast<size_t>(first - received.data());
  const size_t end = static_cast<size_t>(last_end - received.data());
  if (element < 20 || end + sizeof(kSequenceDelimiter) > received.size() ||
      std::memcmp(received.data() + element - 20, kEmptyEncapsulated, 4) != 0 ||
      std::memcmp(received.data() + end, kSequenceDelimiter, sizeof(kSequenceDelimiter)) != 0) {
    return std::nullopt;
  }
  // The delimiter is kept: it follows the empty offset table.
  return Joined(received.first(element - 20), kEmptyEncapsulated, received.subspan(end));
}

}  // namespace cf::codec
