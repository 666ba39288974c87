// SPDX-License-Identifier: Apache-2.0
// Japanese text under ISO 2022 code extensions (ISO 2022 IR 13, IR 87,
// IR 159), which Debian's DCMTK cannot convert (it is built on glibc iconv,
// whose ISO-2022-JP does not know DICOM's half-width katakana in G1). The
// bytes are rewritten as EUC-JP, which carries the same three character
// sets, and glibc converts that to UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cf::dicom {

// True when `charset` (the Specific Character Set value, backslash-separated)
// names only character sets DecodeIso2022Japanese handles.
bool IsIso2022Japanese(std::string_view charset);

// UTF-8 for `raw`, or nullopt when the bytes do not decode.
std::optional<std::string> DecodeIso2022Japanese(std::string_view raw);

}  // namespace cf::dicom
