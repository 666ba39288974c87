// SPDX-License-Identifier: Apache-2.0
// UIDs that belong to cloudfilm itself.
#pragma once

#include <string_view>

namespace cf::dicom {

// (0002,0012) Implementation Class UID of every file meta header cloudfilm
// writes (C-STORE receipt today; exports later). Fixed forever: the archive
// identifies an object by the SHA-256 of its bytes, so changing it would
// make every object received afterwards a new version of one received
// before. A UUID-derived UID (PS3.5 B.2).
inline constexpr std::string_view kImplementationClassUid =
    "2.25.158553281666682626548324005949285440965";

}  // namespace cf::dicom
