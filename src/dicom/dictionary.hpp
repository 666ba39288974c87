// SPDX-License-Identifier: Apache-2.0
// DICOM data dictionary lookups (DCMTK's dictionary) for front ends that
// take attribute names from users: QIDO-RS parameters, includefield.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cf::dicom {

// The tag ((group << 16) | element) of a standard keyword ("PatientName"),
// or of eight hex digits ("00100010"); nullopt for anything else.
// Thread-safe.
std::optional<uint32_t> TagForKeywordOrHex(std::string_view name);

// The VR of `tag` in the dictionary ("PN", "DA", ...); "UN" when unknown.
std::string DictionaryVr(uint32_t tag);

}  // namespace cf::dicom
