// SPDX-License-Identifier: Apache-2.0
// The DICOM JSON model (PS3.18 Annex F) of a whole object, for WADO-RS
// metadata, and the bulk data values that the model points at.
//
// Why our own writer rather than DCMTK's DcmDataset::writeJson: DCMTK 3.6.7
// writes text in the object's own character set (a GB18030 name would come
// out as invalid JSON), and its BulkDataURI hook sees a tag without knowing
// where in the dataset it is. Here text is decoded to UTF-8 the way
// ParseInstance decodes it (text_decoder.hpp), and only top-level binary
// values become BulkDataURIs, so that every URI names a value the bulkdata
// resource can serve.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::dicom {

struct JsonOptions {
  // A top-level binary value (OB, OD, OF, OL, OV, OW, UN) longer than
  // `max_inline_binary`, and Pixel Data always, is written as
  // {"BulkDataURI": prefix + "GGGGEEEE"} (uppercase hex tag). Empty: such
  // values are written without a value (native ones that are not larger
  // than the limit still come inline).
  std::string bulk_data_uri_prefix;
  // Smaller binary values, and every binary value inside a sequence, are
  // written as InlineBinary (base64).
  size_t max_inline_binary = 1024;
  // When not empty, only these top-level attributes (sorted tags) are
  // written: a QIDO-RS includefield wants a few of an object's hundreds,
  // and writing the rest only to drop it cost most of such an answer.
  std::vector<uint32_t> only_tags = {};
};

// One JSON object (compact text) for the dataset of `part10` (a Part 10
// file or a raw dataset; the file meta group is left out). Text is UTF-8;
// (0008,0005) Specific Character Set, where present, says "ISO_IR 192". PN
// values are objects with Alphabetic/Ideographic/Phonetic groups; IS, DS and
// binary numbers are JSON numbers (a DS or IS that is not a number stays a
// string rather than being lost); empty values are null; group lengths are
// omitted. Errors: kInvalidDicom when the bytes do not parse.
// Thread-safe; blocks (CPU only).
Result<std::string> DatasetToJson(ByteView part10, const JsonOptions& options = {});

// The value of the top-level element `tag` (group << 16 | element) as
// little-endian bytes, as a BulkDataURI of DatasetToJson names it.
// Errors: kNotFound (no such element), kUnsupported (a sequence, or
// encapsulated Pixel Data: decode it with codec::DecodePixels instead),
// kInvalidDicom. Thread-safe; blocks.
Result<Bytes> ReadBulkData(ByteView part10, uint32_t tag);

}  // namespace cf::dicom
