// SPDX-License-Identifier: Apache-2.0
// The file meta group of a Part 10 file read without a parser: "DICM" at
// 128, then group 0002 in explicit VR little endian. For the places that
// need one value or the data set's offset on a path run per object (a
// retrieve's read check, a C-STORE sub-operation), where a DCMTK parse of
// the header would cost more than the work itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.hpp"

namespace cf::dicom {

// Where the data set starts: after the last file meta element; 0 for a
// file without "DICM" (a raw data set), the file's size when an element
// runs past its end.
size_t DatasetOffset(ByteView file);

// The text value of file meta element (0002,`element`) without its
// trailing padding (NUL or space); nullopt without "DICM", when the group
// has no such element, or when an element before it runs past the end.
std::optional<std::string_view> FileMetaText(ByteView file, uint16_t element);

}  // namespace cf::dicom
