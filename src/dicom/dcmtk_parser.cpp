// SPDX-License-Identifier: Apache-2.0
// The DCMTK adapter behind ParseInstance: only this file sees DcmFileFormat.
// It reads an object from memory, checks what an archive must rely on, and
// copies the indexed attributes out as UTF-8.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcspchrs.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include "dicom/instance.hpp"

namespace cf::dicom {
namespace {

constexpr size_t kPreambleAndMagic = 132;

std::string Trim(std::string s) {
  const auto not_pad = [](char c) { return c != ' ' && c != '\0'; };
  auto end = std::find_if(s.rbegin(), s.rend(), not_pad).base();
  auto begin = std::find_if(s.begin(), end, not_pad);
  return std::string(begin, end);
}

std::string GetRaw(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  // getOFStringArray keeps multi-valued strings joined with '\'.
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  return Trim(std::string(value.c_str(), value.length()));
}

std::optional<int> GetInt(DcmItem& item, const DcmTagKey& tag) {
  const std::string s = GetRaw(item, tag);
  if (s.empty()) return std::nullopt;
  int v = 0;
  std::string_view sv = s;
  if (!sv.empty() && sv.front() == '+') sv.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), v);
  if (ec != std::errc{} || ptr != sv.data() + sv.size()) {
    // IS values may carry spaces inside the padding; a non-number is not worth refusing an object.
    return std::nullopt;
  }
  return v;
}

// Replaces bytes that are not valid UTF-8 so that the index only holds UTF-8.
std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 2;
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

class TextDecoder {
 public:
  TextDecoder(const std::string& charset, std::vector<std::string>& warnings) {
    const bool plain = charset.empty() || charset == "ISO_IR 6" || charset == "ISO_IR 192";
    if (plain) return;
    const OFCondition st = converter_.selectCharacterSet(charset.c_str(), "ISO_IR 192");
    if (st.good()) {
      active_ = true;
    } else {
      warnings.push_back("unsupported Specific Character Set; text indexed with invalid bytes replaced");
    }
  }

  std::string Decode(const std::string& raw, const char* delimiters) {
    if (!active_ || raw.empty()) return SanitizeUtf8(raw);
    OFString out;
    if (converter_.convertString(OFString(raw.c_str(), raw.size()), out, delimiters).bad()) {
      return SanitizeUtf8(raw);
    }
    return SanitizeUtf8(std::string_view(out.c_str(), out.length()));
  }

 private:
  DcmSpecificCharacterSet converter_;
  bool active_ = false;
};

Result<std::string> RequireUid(DcmItem& item, const DcmTagKey& tag, const char* what) {
  std::string uid = GetRaw(item, tag);
  if (uid.empty()) {
    return Fail(ErrorCode::kInvalidDicom, std::string("missing ") + what);
  }
  if (!IsValidUid(uid)) {
    return Fail(ErrorCode::kInvalidDicom, std::string("invalid ") + what + " (not a DICOM UID)");
  }
  return uid;
}

bool LooksLikePart10(ByteView bytes) {
  return bytes.size() >= kPreambleAndMagic && std::memcmp(bytes.data() + 128, "DICM", 4) == 0;
}

}  // namespace

Result<ParsedInstance> ParseInstance(ByteView bytes, const ParseOptions& options) {
  if (bytes.size() > options.max_object_size) {
    return Fail(ErrorCode::kTooLarge, "object of " + std::to_string(bytes.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(options.max_object_size));
  }
  if (bytes.size() < 8) {
    return Fail(ErrorCode::kInvalidDicom, bytes.empty() ? "empty file" : "file too short to be DICOM");
  }
  ParsedInstance out;
  const bool part10 = LooksLikePart10(bytes);
  if (!part10 && !options.accept_raw_dataset) {
    return Fail(ErrorCode::kInvalidDicom, "no DICM prefix (not a DICOM Part 10 file)");
  }

  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  DcmFileFormat file;
  file.transferInit();
  const OFCondition status = file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
  file.transferEnd();
  if (status.bad()) {
    return Fail(ErrorCode::kInvalidDicom, std::string("cannot parse: ") + status.text());
  }
  if (stream.avail() > 0) {
    return Fail(ErrorCode::kInvalidDicom, "trailing bytes after the dataset");
  }
  DcmDataset& ds = *file.getDataset();
  DcmMetaInfo& meta = *file.getMetaInfo();
  out.has_file_meta = part10 && meta.card() > 0;
  if (GetRaw(meta, DCM_MediaStorageSOPClassUID) == "1.2.840.10008.1.3.10") {
    return Fail(ErrorCode::kInvalidDicom,
                "a DICOMDIR is an index of media, not an object to archive; import the media folder "
                "or its DICOMDIR instead");
  }
  if (!out.has_file_meta) {
    out.warnings.push_back("no file meta information (raw dataset)");
  }
  if (ds.card() == 0) {
    return Fail(ErrorCode::kInvalidDicom, "empty dataset");
  }
  const E_TransferSyntax xfer = ds.getOriginalXfer();
  if (xfer == EXS_Unknown) {
    return Fail(ErrorCode::kInvalidDicom, "unknown transfer syntax");
  }
  out.transfer_syntax_uid = DcmXfer(xfer).getXferID();
  if (out.has_file_meta) {
    const std::string declared = GetRaw(meta, DCM_TransferSyntaxUID);
    if (declared.empty()) {
      out.warnings.push_back("file meta without (0002,0010) Transfer Syntax UID");
    } else if (declared != out.transfer_syntax_uid) {
      // DCMTK maps unknown UIDs to EXS_Unknown above; a known, different one
      // means the meta disagrees with what the bytes turned out to be.
      out.transfer_syntax_uid = declared;
    }
  }

  auto sop_class = RequireUid(ds, DCM_SOPClassUID, "(0008,0016) SOP Class UID");
  if (!sop_class) return std::unexpected(sop_class.error());
  auto sop_instance = RequireUid(ds, DCM_SOPInstanceUID, "(0008,0018) SOP Instance UID");
  if (!sop_instance) return std::unexpected(sop_instance.error());
  auto study = RequireUid(ds, DCM_StudyInstanceUID, "(0020,000D) Study Instance UID");
  if (!study) return std::unexpected(study.error());
  auto series = RequireUid(ds, DCM_SeriesInstanceUID, "(0020,000E) Series Instance UID");
  if (!series) return std::unexpected(series.error());
  out.sop_class_uid = std::move(*sop_class);
  out.sop_instance_uid = std::move(*sop_instance);
  out.study_instance_uid = std::move(*study);
  out.series_instance_uid = std::move(*series);
  if (out.has_file_meta) {
    const std::string meta_sop = GetRaw(meta, DCM_MediaStorageSOPInstanceUID);
    if (!meta_sop.empty() && meta_sop != out.sop_instance_uid) {
      out.warnings.push_back("file meta SOP Instance UID differs from the dataset's");
    }
  }

  out.specific_character_set = GetRaw(ds, DCM_SpecificCharacterSet);
  TextDecoder text(out.specific_character_set, out.warnings);
  constexpr const char* kPnDelimiters = "\\^=";
  constexpr const char* kStringDelimiters = "\\";

  out.patient_id = text.Decode(GetRaw(ds, DCM_PatientID), kStringDelimiters);
  if (out.patient_id.empty()) out.warnings.push_back("empty (0010,0020) Patient ID");
  out.issuer_of_patient_id = text.Decode(GetRaw(ds, DCM_IssuerOfPatientID), kStringDelimiters);
  out.patient_name = text.Decode(GetRaw(ds, DCM_PatientName), kPnDelimiters);
  out.patient_birth_date = GetRaw(ds, DCM_PatientBirthDate);
  out.patient_sex = GetRaw(ds, DCM_PatientSex);

  out.study_date = GetRaw(ds, DCM_StudyDate);
  out.study_time = GetRaw(ds, DCM_StudyTime);
  out.accession_number = text.Decode(GetRaw(ds, DCM_AccessionNumber), kStringDelimiters);
  out.study_id = text.Decode(GetRaw(ds, DCM_StudyID), kStringDelimiters);
  out.study_description = text.Decode(GetRaw(ds, DCM_StudyDescription), kStringDelimiters);
  out.referring_physician_name = text.Decode(GetRaw(ds, DCM_ReferringPhysicianName), kPnDelimiters);

  out.modality = GetRaw(ds, DCM_Modality);
  out.series_number = GetInt(ds, DCM_SeriesNumber);
  out.series_description = text.Decode(GetRaw(ds, DCM_SeriesDescription), kStringDelimiters);
  out.body_part_examined = GetRaw(ds, DCM_BodyPartExamined);

  out.instance_number = GetInt(ds, DCM_InstanceNumber);
  out.rows = GetInt(ds, DCM_Rows);
  out.columns = GetInt(ds, DCM_Columns);
  out.number_of_frames = GetInt(ds, DCM_NumberOfFrames);
  return out;
}

}  // namespace cf::dicom
