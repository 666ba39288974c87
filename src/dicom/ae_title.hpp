// SPDX-License-Identifier: Apache-2.0
// What an Application Entity title may be (PS3.5 table 6.2-1, AE): 1 to 16
// characters of the default repertoire without backslash or control
// characters, not only spaces. One rule for the DIMSE options, the DICOM
// nodes admins register and the C-ECHO they send.
#pragma once

#include <algorithm>
#include <string_view>

namespace cf::dicom {

inline bool IsValidAeTitle(std::string_view ae) {
  if (ae.empty() || ae.size() > 16 || ae.find_first_not_of(' ') == std::string_view::npos) {
    return false;
  }
  return std::ranges::all_of(ae, [](char c) { return c >= 0x20 && c < 0x7F && c != '\\'; });
}

}  // namespace cf::dicom
