// SPDX-License-Identifier: Apache-2.0
// The file meta header written in front of each received data set. It is
// ours, not the sender's (C-STORE carries no meta), and it is deterministic:
// the archive identifies an object by the SHA-256 of its bytes, so anything
// that varies with the sender or the software version (DCMTK adds (0002,0016)
// Source AE Title and its own version name) would turn the same data set,
// sent twice, into two "versions". Internal to the dimse part.
#pragma once

#include <string_view>

#include "core/bytes.hpp"

namespace cf::dimse {

// Preamble, "DICM" and the explicit VR little endian group 0002 with
// (0002,0000), (0002,0001), (0002,0002), (0002,0003), (0002,0010) and
// (0002,0012) = dicom::kImplementationClassUid, nothing else. REQUIRES: the UIDs are valid UIDs.
Bytes BuildFileMeta(std::string_view sop_class_uid, std::string_view sop_instance_uid,
                    std::string_view transfer_syntax_uid);

}  // namespace cf::dimse
