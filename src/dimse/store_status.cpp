// SPDX-License-Identifier: Apache-2.0
// Archive outcome -> C-STORE status. See store_status.hpp for the choice of
// B000 for new versions.
#include "dimse/store_status.hpp"

#include <algorithm>

namespace cf::dimse {

std::string ToErrorComment(std::string_view text) {
  constexpr size_t kMaxLo = 64;
  std::string out;
  out.reserve(std::min(text.size(), kMaxLo));
  for (char c : text) {
    if (out.size() == kMaxLo) break;
    const bool printable = c >= 0x20 && c < 0x7F && c != '\\';
    out.push_back(printable ? c : '?');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

StoreResponse ResponseForReceipt(const archive::IngestReceipt& receipt,
                                 std::string_view command_sop_class,
                                 std::string_view command_sop_instance) {
  if (receipt.sop_class_uid != command_sop_class ||
      receipt.sop_instance_uid != command_sop_instance) {
    return {kStatusDoesNotMatchSopClass,
            ToErrorComment("SOP Class/Instance UID differ between command and data set"),
            "refused"};
  }
  switch (receipt.outcome) {
    case catalog::IndexOutcome::kStored:
      return {kStatusSuccess, "", "stored"};
    case catalog::IndexOutcome::kAlreadyPresent:
      return {kStatusSuccess, "", "already-present"};
    case catalog::IndexOutcome::kNewVersion:
      return {kStatusWarningNewVersion,
              ToErrorComment("stored as version " + std::to_string(receipt.version) +
                             ": differs from an earlier object with this UID"),
              "new-version"};
  }
  return {kStatusProcessingFailure, ToErrorComment("unknown archive outcome"), "refused"};
}

StoreResponse ResponseForError(const Error& error) {
  return {ToDimseStatus(error.code), ToErrorComment(error.message), "refused"};
}

}  // namespace cf::dimse
