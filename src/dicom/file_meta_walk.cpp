// SPDX-License-Identifier: Apache-2.0
#include "dicom/file_meta_walk.hpp"

#include <cstring>

namespace cf::dicom {
namespace {

constexpr size_t kMetaStart = 132;  // preamble and "DICM"

uint32_t U16(const unsigned char* p) { return p[0] | (p[1] << 8); }

// VRs with a reserved field and a 32-bit length (PS3.5 7.1.2).
bool HasLongLength(std::string_view vr) {
  return vr == "OB" || vr == "OW" || vr == "OF" || vr == "SQ" || vr == "UT" || vr == "UN" ||
         vr == "UC" || vr == "UR" || vr == "OD" || vr == "OL" || vr == "OV" || vr == "SV" ||
         vr == "UV";
}

struct Element {
  uint16_t number = 0;
  size_t value_at = 0;
  size_t length = 0;
};

// The group 0002 element at `at`; nullopt at the group's end. `overrun`
// is set when the element does not fit in the file.
std::optional<Element> ElementAt(ByteView file, size_t at, bool& overrun) {
  const auto* p = reinterpret_cast<const unsigned char*>(file.data());
  const size_t n = file.size();
  if (at + 8 > n || U16(p + at) != 0x0002) return std::nullopt;
  Element e;
  e.number = static_cast<uint16_t>(U16(p + at + 2));
  if (HasLongLength(std::string_view(reinterpret_cast<const char*>(p + at + 4), 2))) {
    if (at + 12 > n) {
      overrun = true;
      return std::nullopt;
    }
    e.length = U16(p + at + 8) | (size_t{U16(p + at + 10)} << 16);
    e.value_at = at + 12;
  } else {
    e.length = U16(p + at + 6);
    e.value_at = at + 8;
  }
  if (e.length > n - e.value_at) {
    overrun = true;
    return std::nullopt;
  }
  return e;
}

bool HasMeta(ByteView file) {
  return file.size() >= kMetaStart && std::memcmp(file.data() + 128, "DICM", 4) == 0;
}

}  // namespace

size_t DatasetOffset(ByteView file) {
  if (!HasMeta(file)) return 0;
  size_t at = kMetaStart;
  bool overrun = false;
  while (auto e = ElementAt(file, at, overrun)) at = e->value_at + e->length;
  return overrun ? file.size() : at;
}

std::optional<std::string_view> FileMetaText(ByteView file, uint16_t element) {
  if (!HasMeta(file)) return std::nullopt;
  size_t at = kMetaStart;
  bool overrun = false;
  while (auto e = ElementAt(file, at, overrun)) {
    if (e->number == element) {
      std::string_view text(reinterpret_cast<const char*>(file.data() + e->value_at), e->length);
      while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.remove_suffix(1);
      return text;
    }
    at = e->value_at + e->length;
  }
  return std::nullopt;
}

}  // namespace cf::dicom
