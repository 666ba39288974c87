// SPDX-License-Identifier: Apache-2.0
// Reading DICOMDIR media indexes (PS3.10, PS3.3 F): a CD or USB stick from
// another hospital lists its objects in a DICOMDIR file; importing the media
// means importing every file it references.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cf::dicom {

inline constexpr const char* kMediaStorageDirectorySopClass = "1.2.840.10008.1.3.10";

// The Referenced File IDs of every record of a DICOMDIR, as relative paths
// with '/' separators, in record order without duplicates. Fails with
// kInvalidDicom when the file is not a DICOMDIR or its records are not a
// patient/study/series/instance hierarchy.
Result<std::vector<std::string>> ReadDicomdirFileIds(const std::filesystem::path& dicomdir);

}  // namespace cf::dicom
