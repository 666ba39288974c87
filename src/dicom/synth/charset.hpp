// SPDX-License-Identifier: Apache-2.0
// Character sets of the synthetic studies (private to dicom_synth): which
// Specific Character Set a patient's files declare, and the conversion of our
// UTF-8 text into it (glibc iconv; GB18030 included), so that the bytes in a
// file are what a modality configured for that character set would send.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cf::dicom::synth {

enum class Charset { kUtf8, kGb18030, kLatin1, kAscii };

// The value of (0008,0005), or "" for the default repertoire.
std::string_view DicomTermOf(Charset charset);

// Whether names in this character set are Chinese.
bool IsChinese(Charset charset);

// "utf8", "gb18030", "latin1", "ascii" -> that one; "mixed" -> all four,
// in that order (cycled per patient).
Result<std::vector<Charset>> ParseCharsetOption(std::string_view option);

// Converts UTF-8 text into the character set's bytes. Fails with
// kInvalidArgument when a character cannot be represented. Thread-safe.
Result<std::string> EncodeText(std::string_view utf8, Charset charset);

}  // namespace cf::dicom::synth
