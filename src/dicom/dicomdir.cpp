// SPDX-License-Identifier: Apache-2.0
// DCMTK adapter for DICOMDIR files. The records are read with DcmFileFormat
// (not DcmDicomDir, which rewrites and "repairs" files it does not like) so
// that a damaged index is reported instead of silently changed; they are
// written with DicomDirInterface, DCMTK's implementation of the media
// profiles (what dcmmkdir runs).
#include "dicom/dicomdir.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcddirif.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <set>

#include "dicom/dcmtk_read.hpp"

namespace cf::dicom {

namespace {

Result<std::vector<std::string>> FileIdsOf(DcmFileFormat& file) {
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

// DCMTK's condition says which rule failed ("Storage media application
// profile violated"); its log, which we keep quiet, says more. The transfer
// syntax is what most often keeps an object out of the General Purpose
// profile, so the reason names it.
std::string ExclusionReason(const OFCondition& status, const std::filesystem::path& file) {
  std::string reason = status.text();
  DcmFileFormat meta;
  if (!ParseGuarded([&] {
        return meta.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                             ERM_metaOnly);
      })) {
    return reason + " (no readable file meta)";
  }
  OFString ts;
  if (meta.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).bad() || ts.empty()) {
    return reason + " (no file meta: a raw dataset)";
  }
  return reason + " (transfer syntax " + ts.c_str() + ")";
}

}  // namespace

Result<std::vector<std::string>> ReadDicomdirFileIds(const std::filesystem::path& dicomdir) {
  QuietDcmtk();
  DcmFileFormat file;
  auto loaded = ParseGuarded([&] { return file.loadFile(dicomdir.c_str()); });
  if (!loaded)
    return Fail(ErrorCode::kInvalidDicom, "cannot read DICOMDIR: " + loaded.error().message);
  return FileIdsOf(file);
}

Result<std::vector<std::string>> ReadDicomdirFileIds(ByteView dicomdir) {
  auto file = ReadWithDcmtk(dicomdir);
  if (!file) {
    return Fail(ErrorCode::kInvalidDicom, "cannot read DICOMDIR: " + file.error().message);
  }
  return FileIdsOf(**file);
}

Result<std::vector<DicomdirExclusion>> WriteDicomdir(const std::filesystem::path& root,
                                                     const std::vector<std::string>& file_ids,
                                                     std::string_view file_set_id) {
  // DicomDirInterface narrates every file at INFO level; problems come back
  // as conditions.
  QuietDcmtk();
  DicomDirInterface dir;
  const std::filesystem::path target = root / "DICOMDIR";
  OFCondition status =
      dir.createNewDicomDir(DicomDirInterface::AP_GeneralPurpose, OFFilename(target.c_str()),
                            OFString(file_set_id.data(), file_set_id.size()));
  if (status.bad()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("cannot create a DICOMDIR: ") + status.text());
  }
  // Records need values some objects lack (Study ID, Series and Instance
  // Number are type 1 there); like dcmmkdir +I, DCMTK invents those in the
  // record only, never in the files. A missing Patient ID is not invented:
  // a made-up identity would mislead a reader of the media.
  dir.enableInventMode(OFTrue);
  std::vector<DicomdirExclusion> excluded;
  for (const auto& id : file_ids) {
    // DicomDirInterface takes the file ID with the platform's separator,
    // relative to the directory it is given.
    status = dir.addDicomFile(OFFilename(id.c_str()), OFFilename(root.c_str()));
    if (status.bad()) excluded.push_back({id, ExclusionReason(status, root / id)});
  }
  status = dir.writeDicomDir();
  if (status.bad()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("cannot write the DICOMDIR: ") + status.text());
  }
  return excluded;
}

}  // namespace cf::dicom
