// SPDX-License-Identifier: Apache-2.0
// Deterministic UIDs for the synthetic studies (private to dicom_synth). A
// UID under the 2.25 root is a UUID written as one decimal number (PS3.5
// B.2), so it needs no registered organisation root and cannot collide with
// a hospital's UIDs. We derive the 128 bits by hashing the run's fingerprint
// and the object's path, and mark them as a version 8 (custom) UUID.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace cf::dicom::synth {

// "2.25.<decimal>", at most 44 characters, no leading zeros.
std::string MakeUid(uint64_t fingerprint, std::initializer_list<uint64_t> path);

}  // namespace cf::dicom::synth
