// SPDX-License-Identifier: Apache-2.0
// The DCMTK adapter behind ParseInstance: only this file sees DcmFileFormat.
// It reads an object from memory, checks what an archive must rely on, and
// copies the indexed attributes out as UTF-8.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>
#include <tuple>

#include "dicom/dcmtk_read.hpp"
#include "dicom/instance.hpp"
#include "dicom/text_decoder.hpp"

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

__extension__ typedef unsigned __int128 Uint128;

// "2.25." + a 128-bit FNV-1a of `kind:text` in decimal (the UUID form of
// PS3.5 B.2). Deterministic, so that re-sending an object lands in the same
// place; not a security measure.
std::string DerivedUid(std::string_view kind, std::string_view text) {
  Uint128 h = (static_cast<Uint128>(0x6c62272e07bb0142ULL) << 64) | 0x62b821756295c58dULL;
  const Uint128 prime = (static_cast<Uint128>(1) << 88) | 0x13b;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= prime;
    }
  };
  mix(kind);
  mix(":");
  mix(text);
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(h % 10)));
    h /= 10;
  } while (h != 0);
  return "2.25." + std::string(digits.rbegin(), digits.rend());
}

// A stream over the object in memory that can make more of itself. With it
// DCMTK leaves values longer than kLoadLimit where they are (it skips over
// them, checking that they fit) instead of copying them out: Pixel Data,
// half a megabyte of a CT slice, was the largest cost of a parse and is
// never looked at here. The structural walk is the same either way.
class MemoryStream;
class MemoryStreamFactory final : public DcmInputStreamFactory {
 public:
  explicit MemoryStreamFactory(ByteView bytes) : bytes_(bytes) {}
  DcmInputStream* create() const override;
  DcmInputStreamFactory* clone() const override { return new MemoryStreamFactory(bytes_); }
  // Not a file; DCMTK only asks when it copies values into a temporary file.
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputTempFileStreamFactory; }

 private:
  ByteView bytes_;
};

class MemoryStream final : public DcmInputBufferStream {
 public:
  explicit MemoryStream(ByteView bytes) : bytes_(bytes) {
    setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
    setEos();
  }
  DcmInputStreamFactory* newFactory() const override { return new MemoryStreamFactory(bytes_); }

 private:
  ByteView bytes_;
};

DcmInputStream* MemoryStreamFactory::create() const { return new MemoryStream(bytes_); }

// Values up to this length are read as before (every attribute indexed is
// far shorter).
constexpr Uint32 kLoadLimit = 64 * 1024;

bool LooksLikePart10(ByteView bytes) {
  return bytes.size() >= kPreambleAndMagic && std::memcmp(bytes.data() + 128, "DICM", 4) == 0;
}

}  // namespace

Result<ParsedInstance> ParseInstance(ByteView bytes, const ParseOptions& options) {
  // DCMTK would print its parse warnings to stderr; what matters reaches the
  // caller as an error value or a warning string, and the logs are ours.
  QuietDcmtk();
  if (bytes.size() > options.max_object_size) {
    return Fail(ErrorCode::kTooLarge, "object of " + std::to_string(bytes.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(options.max_object_size));
  }
  if (bytes.size() < 8) {
    return Fail(ErrorCode::kInvalidDicom,
                bytes.empty() ? "empty file" : "file too short to be DICOM");
  }
  ParsedInstance out;
  const bool part10 = LooksLikePart10(bytes);
  if (!part10 && !options.accept_raw_dataset) {
    return Fail(ErrorCode::kInvalidDicom, "no DICM prefix (not a DICOM Part 10 file)");
  }

  MemoryStream stream(bytes);
  DcmFileFormat file;
  auto parsed = ParseGuarded([&] {
    file.transferInit();
    const OFCondition status = file.read(stream, EXS_Unknown, EGL_noChange, kLoadLimit);
    file.transferEnd();
    return status;
  });
  if (!parsed) return std::unexpected(parsed.error());
  if (stream.avail() > 0) {
    return Fail(ErrorCode::kInvalidDicom, "trailing bytes after the dataset");
  }
  DcmDataset& ds = *file.getDataset();
  DcmMetaInfo& meta = *file.getMetaInfo();
  out.has_file_meta = part10 && meta.card() > 0;
  // Also by content: a sender may claim another SOP class for it (storescu
  // picks UIDs found inside the directory records).
  if (GetRaw(meta, DCM_MediaStorageSOPClassUID) == "1.2.840.10008.1.3.10" ||
      file.getDataset()->tagExists(DCM_DirectoryRecordSequence)) {
    return Fail(
        ErrorCode::kInvalidDicom,
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

  // SOP Class and Instance UIDs: the dataset's, else the file meta's (some
  // codec samples and old media carry them only there). An object with no
  // SOP Instance UID anywhere is filed under one derived from its bytes.
  for (auto [tag, meta_tag, what, field] :
       {std::tuple{DCM_SOPClassUID, DCM_MediaStorageSOPClassUID, "(0008,0016) SOP Class UID",
                   &out.sop_class_uid},
        std::tuple{DCM_SOPInstanceUID, DCM_MediaStorageSOPInstanceUID,
                   "(0008,0018) SOP Instance UID", &out.sop_instance_uid}}) {
    if (GetRaw(ds, tag).empty() && out.has_file_meta && !GetRaw(meta, meta_tag).empty()) {
      auto uid = RequireUid(meta, meta_tag, what);
      if (!uid) return std::unexpected(uid.error());
      *field = std::move(*uid);
      out.warnings.push_back(std::string("no ") + what +
                             " in the dataset; the file meta's is used");
      continue;
    }
    if (GetRaw(ds, tag).empty() && field == &out.sop_instance_uid) {
      *field = DerivedUid("instance", AsChars(bytes));
      out.warnings.push_back(std::string("no ") + what + "; filed under the derived UID " + *field);
      continue;
    }
    auto uid = RequireUid(ds, tag, what);
    if (!uid) return std::unexpected(uid.error());
    *field = std::move(*uid);
  }
  if (out.has_file_meta) {
    const std::string meta_sop = GetRaw(meta, DCM_MediaStorageSOPInstanceUID);
    if (!meta_sop.empty() && meta_sop != out.sop_instance_uid) {
      // PS3.10 7.1 wants them equal, but real files (old planning systems)
      // differ; the dataset's UID is the one the object is known by.
      out.warnings.push_back("(0002,0003) Media Storage SOP Instance UID differs from (0008,0018)");
    }
  }
  // Study and Series UIDs: an object without them (codec samples, fragments)
  // is still kept as received, filed under UIDs derived from its SOP
  // Instance UID, so that re-sending it lands in the same place.
  for (auto [tag, what, kind, field] :
       {std::tuple{DCM_StudyInstanceUID, "(0020,000D) Study Instance UID", "study",
                   &out.study_instance_uid},
        std::tuple{DCM_SeriesInstanceUID, "(0020,000E) Series Instance UID", "series",
                   &out.series_instance_uid}}) {
    if (GetRaw(ds, tag).empty()) {
      *field = DerivedUid(kind, out.sop_instance_uid);
      out.warnings.push_back(std::string("no ") + what + "; filed under the derived UID " + *field);
      continue;
    }
    auto uid = RequireUid(ds, tag, what);
    if (!uid) return std::unexpected(uid.error());
    *field = std::move(*uid);
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
  out.series_date = GetRaw(ds, DCM_SeriesDate);
  out.series_time = GetRaw(ds, DCM_SeriesTime);
  out.performed_procedure_step_start_date = GetRaw(ds, DCM_PerformedProcedureStepStartDate);
  out.performed_procedure_step_start_time = GetRaw(ds, DCM_PerformedProcedureStepStartTime);

  out.instance_number = GetInt(ds, DCM_InstanceNumber);
  out.rows = GetInt(ds, DCM_Rows);
  out.columns = GetInt(ds, DCM_Columns);
  out.number_of_frames = GetInt(ds, DCM_NumberOfFrames);
  // A frame count that is not a positive number makes the pixel data
  // undecodable: whoever reads the object later could not split its frames.
  if (const std::string frames = GetRaw(ds, DCM_NumberOfFrames);
      !frames.empty() && (!out.number_of_frames || *out.number_of_frames < 1)) {
    return Fail(ErrorCode::kInvalidDicom, "invalid (0028,0008) Number of Frames value");
  }
  return out;
}

}  // namespace cf::dicom
