// SPDX-License-Identifier: Apache-2.0
#include "dicom/key_object_selection.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <array>

#include "dicom/dcmtk_read.hpp"

namespace cf::dicom {
namespace {

constexpr int kMaxDepth = 16;  // KOS trees are flat; a loop would not end

std::string Get(DcmItem& item, const DcmTagKey& tag) { return ElementText(item, tag); }

DcmItem* FirstItem(DcmItem& item, const DcmTagKey& tag) {
  DcmSequenceOfItems* seq = nullptr;
  if (item.findAndGetSequence(tag, seq).bad() || seq == nullptr || seq->card() == 0) {
    return nullptr;
  }
  return seq->getItem(0);
}

void Walk(DcmItem& item, int depth, std::vector<std::string>& out) {
  if (depth > kMaxDepth) return;
  DcmSequenceOfItems* content = nullptr;
  if (item.findAndGetSequence(DCM_ContentSequence, content).bad() || content == nullptr) return;
  for (unsigned long i = 0; i < content->card(); ++i) {
    DcmItem& child = *content->getItem(i);
    const std::string type = Get(child, DCM_ValueType);
    if (type == "IMAGE" || type == "COMPOSITE" || type == "WAVEFORM") {
      if (DcmItem* ref = FirstItem(child, DCM_ReferencedSOPSequence)) {
        const std::string uid = Get(*ref, DCM_ReferencedSOPInstanceUID);
        if (!uid.empty()) out.push_back(uid);
      }
    } else if (type == "CONTAINER") {
      Walk(child, depth + 1, out);
    }
  }
}

}  // namespace

KeySelectionKind KindOfKeySelectionTitle(std::string_view code) {
  // CID 7010. Teaching, research, peer review, quality issues and the
  // manifests are not what a patient's film shows.
  constexpr std::array<std::string_view, 9> kSelects = {
      "113000",  // Of Interest
      "113002",  // For Referring Provider
      "113003",  // For Surgery
      "113005",  // For Conference
      "113006",  // For Therapy
      "113007",  // For Patient
      "113013",  // Best In Set
      "113018",  // For Printing
      "113020",  // For Report Attachment
  };
  constexpr std::array<std::string_view, 4> kRejects = {
      "113001",  // Rejected for Quality Reasons
      "113037",  // Rejected for Patient Safety Reasons
      "113038",  // Incorrect Modality Worklist Entry
      "113039",  // Data Retention Policy Expired
  };
  for (const auto c : kSelects) {
    if (c == code) return KeySelectionKind::kSelects;
  }
  for (const auto c : kRejects) {
    if (c == code) return KeySelectionKind::kRejects;
  }
  return KeySelectionKind::kOther;
}

Result<KeyObjectSelection> ReadKeyObjectSelection(ByteView bytes) {
  auto file = ReadWithDcmtk(bytes);
  if (!file) return std::unexpected(file.error());
  DcmDataset& ds = *(*file)->getDataset();
  if (Get(ds, DCM_SOPClassUID) != kKeyObjectSelectionClass) {
    return Fail(ErrorCode::kUnsupported, "not a Key Object Selection document");
  }
  KeyObjectSelection out;
  out.study_uid = Get(ds, DCM_StudyInstanceUID);
  if (DcmItem* title = FirstItem(ds, DCM_ConceptNameCodeSequence)) {
    if (Get(*title, DCM_CodingSchemeDesignator) == "DCM") {
      out.title_code = Get(*title, DCM_CodeValue);
      out.kind = KindOfKeySelectionTitle(out.title_code);
    }
  }
  Walk(ds, 0, out.sop_instance_uids);
  return out;
}

}  // namespace cf::dicom
