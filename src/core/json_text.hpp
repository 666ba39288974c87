// SPDX-License-Identifier: Apache-2.0
// JSON text written by hand where a tree of JSON values would cost more
// than the answer is worth: the DICOM JSON of whole studies, and lists of
// keys handed to SQLite's json_each.
#pragma once

#include <string>
#include <string_view>

namespace cf {

// Appends `utf8` to `out` as a JSON string, quotes included. Escapes
// quotes, backslashes and control characters only (\b \f \n \r \t by
// name, the others as \u00XX); `utf8` must already be valid UTF-8.
void AppendJsonString(std::string& out, std::string_view utf8);

}  // namespace cf
