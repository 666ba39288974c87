// SPDX-License-Identifier: Apache-2.0
// DICOMDIR media indexes (PS3.10, PS3.3 F): a CD or USB stick from another
// hospital lists its objects in a DICOMDIR file; importing the media means
// importing every file it references. Film packages carry one that we
// write, so that a workstation opens the ZIP like a CD.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::dicom {

inline constexpr const char* kMediaStorageDirectorySopClass = "1.2.840.10008.1.3.10";

// The Referenced File IDs of every record of a DICOMDIR, as relative paths
// with '/' separators, in record order without duplicates. Fails with
// kInvalidDicom when the file is not a DICOMDIR or its records are not a
// patient/study/series/instance hierarchy.
Result<std::vector<std::string>> ReadDicomdirFileIds(const std::filesystem::path& dicomdir);
// The same, for a DICOMDIR held in memory (a ZIP member).
Result<std::vector<std::string>> ReadDicomdirFileIds(ByteView dicomdir);

// A file the DICOMDIR could not index, and DCMTK's reason.
struct DicomdirExclusion {
  std::string file_id;
  std::string reason;
};

// Writes `root`/DICOMDIR indexing the files `file_ids` (relative to `root`,
// '/' separators, PS3.10 file IDs: upper-case letters, digits and '_', at
// most 8 characters per component), with DCMTK's DicomDirInterface and the
// General Purpose CD-R profile (STD-GEN-CD). That profile admits only
// uncompressed Little Endian objects with file meta and the attributes its
// records require (missing Study ID, Series and Instance Numbers are
// invented in the records, never in the files; a missing Patient ID is
// not): an object that does not fit (a JPEG-compressed one, a
// raw dataset without meta, an object lacking a required attribute) is left
// out of the index, not refused, and returned with DCMTK's reason; the
// caller still ships the file. kInvalidArgument when no DICOMDIR can be
// written at all.
Result<std::vector<DicomdirExclusion>> WriteDicomdir(const std::filesystem::path& root,
                                                     const std::vector<std::string>& file_ids,
                                                     std::string_view file_set_id);

}  // namespace cf::dicom
