// SPDX-License-Identifier: Apache-2.0
// A DICOMDIR (PS3.10 media index, PS3.3 F) built in memory from the
// objects' headers, for film packages: no object is ever written to disk to
// be indexed (DCMTK's DicomDirInterface, dicomdir.hpp, reads files), and the
// result depends only on what was added and on the UID it is given, so that
// the same film gives the same DICOMDIR byte for byte.
//
// Records: one PATIENT per Patient ID, one STUDY per Study Instance UID, one
// SERIES per Series Instance UID, and one record per object: IMAGE, or by
// SOP class SR DOCUMENT, KEY OBJECT DOC, PRESENTATION, ENCAP DOC, WAVEFORM,
// RT DOSE / RT STRUCTURE SET / RT PLAN, each with the keys PS3.3 F.5 makes
// type 1 and 2 for it, the Referenced File ID and the object's SOP class,
// SOP instance and transfer syntax. Text values keep the object's bytes and
// its Specific Character Set (a Chinese name stays GB18030 or UTF-8 as
// received). Type 1 numbers that an object lacks (Study ID, Series Number,
// Instance Number) are invented in the record only (as DCMTK's invent
// mode): the study's, series' or object's position in the file-set. A
// missing Patient ID is not invented: a made-up identity would mislead a
// reader of the media. Order: records in the order objects were added (a
// patient, study or series where its first object appears).
//
// Encoding: Explicit VR Little Endian, sequence and items of undefined
// length, offsets from the first byte of the file (the preamble).
// Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::dicom {

class DicomdirWriter {
 public:
  // `file_set_id`: at most 16 characters of A-Z, 0-9, '_' and space.
  // `media_storage_uid`: the DICOMDIR's own Media Storage SOP Instance UID
  // (a film package derives it from the film id).
  DicomdirWriter(std::string file_set_id, std::string media_storage_uid);

  // Reads `object` (a Part 10 file; the header only, up to the pixel data)
  // and adds its records, referencing `file_id` ('/' separators, PS3.10
  // components). Returns why the object cannot be indexed (no file meta, no
  // Patient ID, no study, series or SOP instance UID, not DICOM), in which
  // case nothing is added; nullopt when it was indexed.
  std::optional<std::string> Add(std::string_view file_id, ByteView object);

  // The DICOMDIR file (preamble, file meta, data set). May be called more
  // than once; gives the same bytes for the same additions.
  Bytes Finish() const;

  size_t indexed() const { return objects_; }

  // One attribute of a record: tag, VR, value as encoded (unpadded).
  struct Element {
    uint32_t tag = 0;
    char vr[2] = {'C', 'S'};
    std::string value;
  };
  struct Record {
    std::string type;           // "PATIENT", "STUDY", "SERIES", "IMAGE", ...
    std::vector<Element> keys;  // in ascending tag order, besides the record's own
    std::vector<Record> children;
  };

 private:
  std::string file_set_id_;
  std::string media_storage_uid_;
  std::vector<Record> patients_;
  size_t objects_ = 0;
};

// "2.25.<decimal>" (PS3.5 B.2) of 16 bytes (a UUID, or the first bytes of a
// hash: the caller sets the variant and version bits it wants).
std::string UidFromUuidBytes(ByteView sixteen);

}  // namespace cf::dicom
