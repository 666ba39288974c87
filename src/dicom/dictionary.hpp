// SPDX-License-Identifier: Apache-2.0
// DICOM data dictionary lookups (DCMTK's dictionary) for front ends that
// take attribute names from users: QIDO-RS parameters, includefield; and
// loading it before it is needed.
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

// Loads DCMTK's data dictionary now; false when it has no entries (its file
// is missing). DCMTK would otherwise load it on first use: some 40-60 ms of
// reading a text file, which would land on the first object received or the
// first metadata asked for. Thread-safe; blocks.
bool LoadDictionary();

}  // namespace cf::dicom
