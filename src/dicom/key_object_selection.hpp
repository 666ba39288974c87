// SPDX-License-Identifier: Apache-2.0
// Key Object Selection documents (KOS, PS3.3 A.35.4): the objects of an
// exam that someone flagged, under a document title that says why (CID
// 7010). A radiologist's "Of Interest" or "For Patient" selection is what a
// film sheet should show; a technologist's "Rejected for Quality Reasons"
// names images that must not be shown at all (IHE IOCM). No DCMTK type
// shows here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::dicom {

inline constexpr std::string_view kKeyObjectSelectionClass = "1.2.840.10008.5.1.4.1.1.88.59";

enum class KeySelectionKind {
  kSelects,  // images to look at: Of Interest, For Referring Provider, For Patient...
  kRejects,  // images withdrawn: Rejected for Quality / Patient Safety Reasons,
             // Incorrect Modality Worklist Entry, Data Retention Policy Expired
  kOther,    // manifests, teaching, research...: neither
};

struct KeyObjectSelection {
  std::string study_uid;
  std::string title_code;  // the document title's code value (DCM scheme), e.g. "113000"
  KeySelectionKind kind = KeySelectionKind::kOther;
  std::vector<std::string> sop_instance_uids;  // the referenced objects, in content order
};

// The kind a KOS document title (code value, scheme "DCM") stands for.
KeySelectionKind KindOfKeySelectionTitle(std::string_view code_value);

// Reads a stored KOS. kUnsupported for any other SOP class, kInvalidDicom
// when it cannot be parsed.
Result<KeyObjectSelection> ReadKeyObjectSelection(ByteView bytes);

}  // namespace cf::dicom
