// SPDX-License-Identifier: Apache-2.0
#include "dicom/dictionary.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dctag.h>

namespace cf::dicom {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<uint32_t> TagForKeywordOrHex(std::string_view name) {
  if (name.size() == 8) {
    uint32_t tag = 0;
    bool hex = true;
    for (char c : name) {
      const int v = Hex(c);
      if (v < 0) {
        hex = false;
        break;
      }
      tag = (tag << 4) | static_cast<uint32_t>(v);
    }
    if (hex) return tag;
  }
  if (name.empty() || name.size() > 64) return std::nullopt;
  const std::string keyword(name);
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const DcmDictEntry* entry = dict.findEntry(keyword.c_str());
  std::optional<uint32_t> tag;
  if (entry != nullptr && !entry->isRepeating()) {
    tag = (static_cast<uint32_t>(entry->getGroup()) << 16) | entry->getElement();
  }
  dcmDataDict.rdunlock();
  return tag;
}

std::string DictionaryVr(uint32_t tag) {
  DcmTag t(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
  return t.getVR().getValidVRName();
}

bool LoadDictionary() { return dcmDataDict.isDictionaryLoaded(); }

}  // namespace cf::dicom
