// SPDX-License-Identifier: Apache-2.0
// What the SCP accepts during association negotiation: which abstract
// syntaxes (SOP classes) and, for each proposed presentation context, which
// transfer syntax. Kept apart from the DCMTK glue so that the policy is
// plain code with its own tests. Internal to the dimse part.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cf::dimse {

inline constexpr std::string_view kVerificationSopClass = "1.2.840.10008.1.1";

// Query/Retrieve information models (PS3.4 C.6) and Storage Commitment
// (PS3.4 J). Composite Instance Root and the worklist models are not offered.
inline constexpr std::string_view kPatientRootFind = "1.2.840.10008.5.1.4.1.2.1.1";
inline constexpr std::string_view kPatientRootMove = "1.2.840.10008.5.1.4.1.2.1.2";
inline constexpr std::string_view kPatientRootGet = "1.2.840.10008.5.1.4.1.2.1.3";
inline constexpr std::string_view kStudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
inline constexpr std::string_view kStudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
inline constexpr std::string_view kStudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";
inline constexpr std::string_view kStorageCommitmentPushModel = "1.2.840.10008.1.20.1";
// The well-known SOP instance every Storage Commitment request addresses.
inline constexpr std::string_view kStorageCommitmentInstance = "1.2.840.10008.1.20.1.1";

inline constexpr std::string_view kImplicitVrLittleEndian = "1.2.840.10008.1.2";
inline constexpr std::string_view kExplicitVrLittleEndian = "1.2.840.10008.1.2.1";

// True for the six Query/Retrieve SOP classes above.
bool IsQueryRetrieve(std::string_view sop_class_uid);
// True for the uncompressed syntaxes: implicit and explicit VR little endian,
// explicit VR big endian.
bool IsUncompressedTransferSyntax(std::string_view uid);

// The standard storage SOP classes: every UID DCMTK lists as storage, every
// UID under the storage root 1.2.840.10008.5.1.4.1.1 (so that classes newer
// than DCMTK 3.6.7 are accepted too), and the storage classes outside it
// (hanging protocols, colour palettes, implant templates, RT instructions),
// plus `extra` (private classes named by the operator).
class SopClassPolicy {
 public:
  explicit SopClassPolicy(std::vector<std::string> extra = {});

  bool IsStorage(std::string_view sop_class_uid) const;
  bool IsAccepted(std::string_view abstract_syntax) const {
    return abstract_syntax == kVerificationSopClass || IsStorage(abstract_syntax) ||
           IsQueryRetrieve(abstract_syntax) || abstract_syntax == kStorageCommitmentPushModel;
  }

  // The transfer syntax to accept for one proposed presentation context, or
  // nullopt when none of `proposed` is acceptable. The sender's own order is
  // kept, so that an object proposed first in its compressed form is
  // received exactly as compressed; among the uncompressed syntaxes explicit
  // VR little endian is preferred (it keeps the VRs the sender knew).
  // Services other than storage carry only commands and small identifiers:
  // uncompressed syntaxes only.
  std::optional<std::string> ChooseTransferSyntax(std::string_view abstract_syntax,
                                                  std::span<const std::string> proposed) const;

 private:
  std::vector<std::string> extra_;
};

// The transfer syntaxes received and archived as they are: uncompressed,
// deflated, every JPEG process, JPEG-LS, JPEG 2000, HTJ2K, RLE, MPEG-2,
// MPEG-4, HEVC, JPEG XL -- each as long as the DCMTK we run on knows it. The
// archive keeps the bytes and decoding is the codec part's business, but
// DCMTK's DIMSE layer refuses to send or receive any message (even the
// C-STORE response) on a presentation context whose transfer syntax it does
// not know: accepting one would abort the association at the first object.
// DCMTK 3.6.7 (Debian 12) does not know HTJ2K, JPEG XL, the fragmentable
// MPEG syntaxes or encapsulated uncompressed; they are refused in
// negotiation (the sender falls back to another syntax) and accepted once
// DCMTK is upgraded.
bool IsAcceptedTransferSyntax(std::string_view uid);

// True when the linked DCMTK knows `uid` as a transfer syntax.
bool DcmtkCanCarry(std::string_view uid);

}  // namespace cf::dimse
