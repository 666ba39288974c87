// SPDX-License-Identifier: Apache-2.0
// A DICOM dataset as plain values (private to dicom_synth). The modality
// builders fill these; writer.cpp alone turns them into DCMTK objects, so
// DCMTK stays in one translation unit. Text values are already encoded in
// the file's character set; the VR is explicit because a few tags (Pixel
// Padding Value) have a VR that depends on Pixel Representation.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cf::dicom::synth {

struct Element {
  uint32_t tag = 0;                         // (group << 16) | element
  char vr[3] = {};                          // "CS", "PN", "US", "SS", "UL", "SL", "FD", "SQ", ...
  std::string text;                         // text VRs, values separated by '\'
  std::vector<int64_t> ints;                // US, SS, UL, SL, AT
  std::vector<double> floats;               // FD, FL
  std::vector<std::vector<Element>> items;  // SQ
};

using Elements = std::vector<Element>;

inline Element Text(uint32_t tag, const char* vr, std::string_view value) {
  Element e;
  e.tag = tag;
  e.vr[0] = vr[0];
  e.vr[1] = vr[1];
  e.text = std::string(value);
  return e;
}

inline Element Ints(uint32_t tag, const char* vr, std::vector<int64_t> values) {
  Element e;
  e.tag = tag;
  e.vr[0] = vr[0];
  e.vr[1] = vr[1];
  e.ints = std::move(values);
  return e;
}

inline Element Floats(uint32_t tag, std::vector<double> values) {
  Element e;
  e.tag = tag;
  e.vr[0] = 'F';
  e.vr[1] = 'D';
  e.floats = std::move(values);
  return e;
}

inline Element Sequence(uint32_t tag, std::vector<Elements> items) {
  Element e;
  e.tag = tag;
  e.vr[0] = 'S';
  e.vr[1] = 'Q';
  e.items = std::move(items);
  return e;
}

// Pixel Data (7FE0,0010): 16-bit words (OW) or bytes (OB).
struct PixelData {
  std::vector<uint16_t> words;
  std::vector<uint8_t> bytes;
};

// A decimal string (DS, at most 16 characters) for `value`.
std::string Ds(double value);
// Several DS values joined with '\'.
std::string DsList(std::initializer_list<double> values);

}  // namespace cf::dicom::synth
