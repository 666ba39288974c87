// SPDX-License-Identifier: Apache-2.0
// DCMTK adapter for DICOMDIR files. The records are read with DcmFileFormat
// (not DcmDicomDir, which rewrites and "repairs" files it does not like) so
// that a damaged index is reported instead of silently changed.
#include "dicom/dicomdir.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <set>

namespace cf::dicom {

Result<std::vector<std::string>> ReadDicomdirFileIds(const std::filesystem::path& dicomdir) {
  DcmFileFormat file;
  const OFCondition status = file.loadFile(dicomdir.c_str());
  if (status.bad()) {
    return Fail(ErrorCode::kInvalidDicom, std::string("cannot read DICOMDIR: ") + status.text());
  }
  OFString sop_class;
  file.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sop_class);
  if (sop_class != kMediaStorageDirectorySopClass) {
    return Fail(ErrorCode::kInvalidDicom,
                "not a DICOMDIR (Media Storage SOP Class is not 1.2.840.10008.1.3.10)");
  }
  DcmSequenceOfItems* records = nullptr;
  if (file.getDataset()->findAndGetSequence(DCM_DirectoryRecordSequence, records).bad() ||
      records == nullptr) {
    return std::vector<std::string>{};  // an empty file-set is a valid DICOMDIR
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  bool has_patient = false;
  for (unsigned long i = 0; i < records->card(); ++i) {
    DcmItem* rec = records->getItem(i);
    OFString type;
    rec->findAndGetOFString(DCM_DirectoryRecordType, type);
    if (type == "PATIENT") has_patient = true;
    OFString file_id;
    if (rec->findAndGetOFStringArray(DCM_ReferencedFileID, file_id).bad() || file_id.empty())
      continue;
    std::string path(file_id.c_str());
    for (char& c : path) {
      if (c == '\\') c = '/';
    }
    while (!path.empty() && path.back() == ' ') path.pop_back();
    if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos) {
      return Fail(ErrorCode::kInvalidDicom,
                  "DICOMDIR references a file outside the media: " + path);
    }
    if (seen.insert(path).second) out.push_back(path);
  }
  if (!out.empty() && !has_patient) {
    return Fail(
        ErrorCode::kInvalidDicom,
        "DICOMDIR has no PATIENT records (a vendor per-series directory, not a media index)");
  }
  return out;
}

}  // namespace cf::dicom
