// SPDX-License-Identifier: Apache-2.0
#include "codec/native_layout.hpp"

#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>

namespace cf::codec {
namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFF;
constexpr int kMaxDepth = 32;  // nested sequences; real files use a handful

constexpr uint32_t Tag(uint16_t g, uint16_t e) { return (uint32_t{g} << 16) | e; }
constexpr uint32_t kItem = Tag(0xFFFE, 0xE000);
constexpr uint32_t kItemEnd = Tag(0xFFFE, 0xE00D);
constexpr uint32_t kSequenceEnd = Tag(0xFFFE, 0xE0DD);
constexpr uint32_t kPixelData = Tag(0x7FE0, 0x0010);

struct Element {
  uint32_t tag = 0;
  char vr[2] = {0, 0};
  uint32_t length = 0;
  uint64_t value_offset = 0;
};

class Walker {
 public:
  explicit Walker(ByteView data) : d_(data) {}

  uint64_t pos = 0;
  bool big_endian = false;  // the data set of explicit VR big endian; file meta never
  std::string error;

  bool AtEnd() const { return pos >= d_.size(); }

  uint16_t U16(uint64_t at) const {
    const auto lo = std::to_integer<uint16_t>(d_[at + (big_endian ? 1 : 0)]);
    const auto hi = std::to_integer<uint16_t>(d_[at + (big_endian ? 0 : 1)]);
    return static_cast<uint16_t>(lo | (hi << 8));
  }
  uint32_t U32(uint64_t at) const {
    return big_endian ? (uint32_t{U16(at)} << 16) | U16(at + 2)
                      : U16(at) | (uint32_t{U16(at + 2)} << 16);
  }

  bool Fail(const char* why) {
    if (error.empty()) error = why;
    return false;
  }

  // Reads the header of the element at pos and advances past it.
  bool Header(Element* e, bool explicit_vr) {
    if (pos + 8 > d_.size()) return Fail("element header runs past the end");
    e->tag = (uint32_t{U16(pos)} << 16) | U16(pos + 2);
    const bool delimiter = (e->tag >> 16) == 0xFFFE;
    if (!explicit_vr || delimiter) {
      e->vr[0] = e->vr[1] = 0;
      e->length = U32(pos + 4);
      pos += 8;
    } else {
      e->vr[0] = static_cast<char>(d_[pos + 4]);
      e->vr[1] = static_cast<char>(d_[pos + 5]);
      const std::string_view vr(e->vr, 2);
      static constexpr std::string_view kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                                   "UC", "UR", "UT", "UN", "SV", "UV"};
      bool long_form = false;
      for (auto l : kLong) long_form = long_form || vr == l;
      if (long_form) {
        if (pos + 12 > d_.size()) return Fail("element header runs past the end");
        e->length = U32(pos + 8);
        pos += 12;
      } else {
        e->length = U16(pos + 6);
        pos += 8;
      }
    }
    e->value_offset = pos;
    return true;
  }

  bool Skip(uint32_t length) {
    if (length > d_.size() - pos) return Fail("value runs past the end");
    pos += length;
    return true;
  }

  // After the header of an undefined-length element: items until the
  // sequence delimiter. Items of UN are implicit VR (PS3.5 6.2.2).
  bool SkipUndefined(bool explicit_vr, int depth) {
    if (depth > kMaxDepth) return Fail("sequences nested too deeply");
    for (;;) {
      Element item;
      if (!Header(&item, false)) return false;
      if (item.tag == kSequenceEnd) return true;
      if (item.tag != kItem) return Fail("unexpected element in a sequence");
      if (item.length != kUndefined) {
        if (!Skip(item.length)) return false;
        continue;
      }
      for (;;) {
        Element e;
        if (!Header(&e, explicit_vr)) return false;
        if (e.tag == kItemEnd) break;
        if (!SkipValue(e, explicit_vr, depth + 1)) return false;
      }
    }
  }

  bool SkipValue(const Element& e, bool explicit_vr, int depth) {
    if (e.length != kUndefined) return Skip(e.length);
    const bool un = e.vr[0] == 'U' && e.vr[1] == 'N';
    return SkipUndefined(explicit_vr && !un, depth);
  }

  ByteView Value(const Element& e) const { return d_.subspan(e.value_offset, e.length); }

 private:
  ByteView d_;
};

std::string TrimmedText(ByteView v) {
  std::string s(reinterpret_cast<const char*>(v.data()), v.size());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  const auto first = s.find_first_not_of(' ');
  return first == std::string::npos ? std::string() : s.substr(first);
}

struct MetaInfo {
  std::string transfer_syntax;
  uint64_t dataset_start = 0;
};

// The transfer syntax and where the data set starts, from the file meta
// (explicit VR little endian, group 0002). Empty reason: fine.
MetaInfo ReadMeta(ByteView file, std::string* reason) {
  MetaInfo m;
  Walker meta(file);
  if (file.size() >= 132 && std::memcmp(file.data() + 128, "DICM", 4) == 0) {
    meta.pos = 132;
  } else if (file.size() >= 8 && meta.U16(0) == 0x0002 &&
             std::isupper(std::to_integer<int>(file[4])) &&
             std::isupper(std::to_integer<int>(file[5]))) {
    meta.pos = 0;  // file meta without the preamble and "DICM", as some writers do
  } else {
    *reason = "no file meta";
    return m;
  }
  for (;;) {
    if (meta.pos + 4 > file.size()) {
      *reason = "no data set";
      return m;
    }
    if (meta.U16(meta.pos) != 0x0002) {
      m.dataset_start = meta.pos;
      return m;
    }
    Element e;
    if (!meta.Header(&e, true) || e.length == kUndefined || !meta.Skip(e.length)) {
      *reason = "file meta unreadable";
      return m;
    }
    if (e.tag == Tag(0x0002, 0x0010)) m.transfer_syntax = TrimmedText(meta.Value(e));
  }
}

}  // namespace

Result<Encapsulated> FindEncapsulatedPixels(ByteView file) {
  std::string reason;
  const MetaInfo m = ReadMeta(file, &reason);
  if (!reason.empty()) return Fail(ErrorCode::kInvalidDicom, reason);
  if (m.transfer_syntax == "1.2.840.10008.1.2" || m.transfer_syntax == "1.2.840.10008.1.2.2" ||
      m.transfer_syntax == "1.2.840.10008.1.2.1.99") {
    return Fail(ErrorCode::kInvalidArgument, "transfer syntax is not encapsulated");
  }
  Walker w(file);
  w.pos = m.dataset_start;
  while (!w.AtEnd()) {
    Element e;
    if (!w.Header(&e, true)) break;
    if (e.tag == kPixelData) {
      if (e.length != kUndefined) {
        return Fail(ErrorCode::kInvalidDicom, "pixel data is not encapsulated");
      }
      Encapsulated out;
      out.transfer_syntax = m.transfer_syntax;
      for (;;) {
        Element item;
        if (!w.Header(&item, false)) break;
        if (item.tag == kSequenceEnd) return out;
        if (item.tag != kItem || item.length == kUndefined || !w.Skip(item.length)) {
          return Fail(ErrorCode::kInvalidDicom, "damaged encapsulated pixel data (item " +
                                                    std::to_string(out.items.size()) + ")");
        }
        out.items.push_back(w.Value(item));
      }
      return Fail(ErrorCode::kInvalidDicom,
                  "encapsulated pixel data ends without a sequence delimiter: " + w.error);
    }
    if (!w.SkipValue(e, true, 0)) break;
  }
  if (!w.error.empty()) return Fail(ErrorCode::kInvalidDicom, w.error);
  return Fail(ErrorCode::kNotFound, "no pixel data");
}

LayoutResult FindNativeLayout(ByteView file) {
  LayoutResult out;
  const MetaInfo m = ReadMeta(file, &out.reason);
  if (!out.reason.empty()) return out;
  const std::string& ts = m.transfer_syntax;
  const uint64_t dataset_start = m.dataset_start;
  bool explicit_vr;
  bool big_endian = false;
  if (ts == "1.2.840.10008.1.2.1") {
    explicit_vr = true;
  } else if (ts == "1.2.840.10008.1.2") {
    explicit_vr = false;
  } else if (ts == "1.2.840.10008.1.2.2") {
    explicit_vr = true;
    big_endian = true;
  } else {
    out.reason = "transfer syntax not native";
    return out;
  }

  NativeLayout layout;
  layout.big_endian = big_endian;
  bool float_pixels = false;
  Walker w(file);
  w.pos = dataset_start;
  w.big_endian = big_endian;
  std::optional<uint32_t> previous;
  while (!w.AtEnd()) {
    Element e;
    if (!w.Header(&e, explicit_vr)) break;
    if (previous && e.tag <= *previous) layout.tags_ascending = false;
    previous = e.tag;
    if (e.tag == kPixelData) {
      if (e.length == kUndefined) {
        out.reason = "encapsulated pixel data in a native transfer syntax";
        return out;
      }
      layout.has_pixel_data = true;
      layout.pixel_offset = e.value_offset;
      layout.pixel_length = e.length;
      layout.pixel_vr[0] = e.vr[0];
      layout.pixel_vr[1] = e.vr[1];
    } else if (e.tag == Tag(0x7FE0, 0x0008) || e.tag == Tag(0x7FE0, 0x0009)) {
      float_pixels = true;
    } else if (e.tag == Tag(0x0028, 0x0008) && e.length != kUndefined && e.length <= 16 &&
               e.value_offset + e.length <= file.size()) {
      const std::string text = TrimmedText(w.Value(e));
      uint32_t frames = 0;
      const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), frames);
      if (ec != std::errc() || p != text.data() + text.size() || frames == 0) {
        out.reason = "unreadable Number of Frames";
        return out;
      }
      layout.frames = frames;
    } else if (e.tag == Tag(0x0028, 0x0004) && e.length <= 64 &&
               e.value_offset + e.length <= file.size()) {
      layout.photometric = TrimmedText(w.Value(e));
      layout.photometric_element = e.value_offset - 8;  // CS: an 8-byte header either way
      layout.photometric_end = e.value_offset + e.length;
    } else if ((e.tag >> 16) == 0x0028 && e.length == 2 && e.value_offset + 2 <= file.size()) {
      if ((e.tag & 0xFFFF) == 0x0006) layout.planar_value = e.value_offset;
      const uint16_t v = w.U16(e.value_offset);
      switch (e.tag & 0xFFFF) {
        case 0x0002:
          layout.samples_per_pixel = v;
          break;
        case 0x0006:
          layout.planar_configuration = v;
          break;
        case 0x0010:
          layout.rows = v;
          break;
        case 0x0011:
          layout.columns = v;
          break;
        case 0x0100:
          layout.bits_allocated = v;
          break;
        case 0x0101:
          layout.bits_stored = v;
          break;
        case 0x0103:
          layout.pixel_representation = v;
          break;
        default:
          break;
      }
    }
    if (!w.SkipValue(e, explicit_vr, 0)) break;
  }
  if (!w.error.empty()) {
    out.reason = w.error;
    return out;
  }
  if (float_pixels) {
    out.reason = "floating-point pixel data";
    return out;
  }
  out.layout = layout;
  return out;
}

}  // namespace cf::codec
