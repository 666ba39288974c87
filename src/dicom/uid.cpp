// SPDX-License-Identifier: Apache-2.0
// UID syntax (PS3.5 9.1): digits and dots, at most 64 characters, no empty
// component. Leading zeros are tolerated here because real modalities send
// them and refusing their objects would lose data; see ParseInstance warnings.
#include <string_view>

#include "dicom/instance.hpp"

namespace cf::dicom {

bool IsValidUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  bool component_empty = true;
  for (char c : uid) {
    if (c == '.') {
      if (component_empty) return false;
      component_empty = true;
    } else if (c >= '0' && c <= '9') {
      component_empty = false;
    } else {
      return false;
    }
  }
  return !component_empty;
}

}  // namespace cf::dicom
