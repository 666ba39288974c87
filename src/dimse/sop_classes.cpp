// SPDX-License-Identifier: Apache-2.0
// Accepted SOP classes and transfer syntaxes, and the choice of one transfer
// syntax per presentation context. DCMTK supplies its list of storage SOP
// classes; the transfer syntaxes are UID strings, so that those newer than
// DCMTK 3.6.7 (HTJ2K, JPEG XL, ...) are accepted as soon as the DCMTK we run
// on can carry them.
#include "dimse/sop_classes.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <array>
#include <set>

namespace cf::dimse {
namespace {

constexpr std::string_view kStorageRoot = "1.2.840.10008.5.1.4.1.1.";
constexpr std::string_view kImplicitLittle = "1.2.840.10008.1.2";
constexpr std::string_view kExplicitLittle = "1.2.840.10008.1.2.1";
constexpr std::string_view kExplicitBig = "1.2.840.10008.1.2.2";

// Storage SOP classes outside the storage root, missing from DCMTK 3.6.7's list.
constexpr std::array<std::string_view, 5> kStorageOutsideRoot = {
    "1.2.840.10008.5.1.4.38.1",  // Hanging Protocol Storage
    "1.2.840.10008.5.1.4.39.1",  // Color Palette Storage
    "1.2.840.10008.5.1.4.43.1",  // Generic Implant Template Storage
    "1.2.840.10008.5.1.4.44.1",  // Implant Assembly Template Storage
    "1.2.840.10008.5.1.4.45.1",  // Implant Template Group Storage
};

constexpr std::array<std::string_view, 52> kTransferSyntaxes = {
    "1.2.840.10008.1.2.1",     // Explicit VR Little Endian
    "1.2.840.10008.1.2",       // Implicit VR Little Endian
    "1.2.840.10008.1.2.2",     // Explicit VR Big Endian (retired, still sent by old modalities)
    "1.2.840.10008.1.2.1.99",  // Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.1.98",  // Encapsulated Uncompressed Explicit VR Little Endian
    "1.2.840.10008.1.2.4.50",  // JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",  // JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.52",  // JPEG processes 3..29 (retired, but archived as received)
    "1.2.840.10008.1.2.4.53",    "1.2.840.10008.1.2.4.54", "1.2.840.10008.1.2.4.55",
    "1.2.840.10008.1.2.4.56",
    "1.2.840.10008.1.2.4.57",  // JPEG Lossless, Non-Hierarchical (Process 14)
    "1.2.840.10008.1.2.4.58",    "1.2.840.10008.1.2.4.59", "1.2.840.10008.1.2.4.60",
    "1.2.840.10008.1.2.4.61",    "1.2.840.10008.1.2.4.62", "1.2.840.10008.1.2.4.63",
    "1.2.840.10008.1.2.4.64",    "1.2.840.10008.1.2.4.65", "1.2.840.10008.1.2.4.66",
    "1.2.840.10008.1.2.4.70",   // JPEG Lossless, First-Order Prediction (Process 14, SV1)
    "1.2.840.10008.1.2.4.80",   // JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",   // JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90",   // JPEG 2000 Lossless Only
    "1.2.840.10008.1.2.4.91",   // JPEG 2000
    "1.2.840.10008.1.2.4.92",   // JPEG 2000 Part 2 Multi-component Lossless Only
    "1.2.840.10008.1.2.4.93",   // JPEG 2000 Part 2 Multi-component
    "1.2.840.10008.1.2.4.201",  // High-Throughput JPEG 2000 Lossless Only
    "1.2.840.10008.1.2.4.202",  // High-Throughput JPEG 2000 with RPCL Lossless Only
    "1.2.840.10008.1.2.4.203",  // High-Throughput JPEG 2000
    "1.2.840.10008.1.2.5",      // RLE Lossless
    "1.2.840.10008.1.2.4.100",  // MPEG2 Main Profile @ Main Level
    "1.2.840.10008.1.2.4.100.1",
    "1.2.840.10008.1.2.4.101",  // MPEG2 Main Profile @ High Level
    "1.2.840.10008.1.2.4.101.1",
    "1.2.840.10008.1.2.4.102",  // MPEG-4 AVC/H.264 High Profile / Level 4.1
    "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103",  // MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1
    "1.2.840.10008.1.2.4.103.1",
    "1.2.840.10008.1.2.4.104",  // MPEG-4 AVC/H.264 High Profile / Level 4.2 (2D)
    "1.2.840.10008.1.2.4.104.1",
    "1.2.840.10008.1.2.4.105",  // MPEG-4 AVC/H.264 High Profile / Level 4.2 (3D)
    "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106",  // MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2
    "1.2.840.10008.1.2.4.106.1",
    "1.2.840.10008.1.2.4.107",  // HEVC/H.265 Main Profile / Level 5.1
    "1.2.840.10008.1.2.4.108",  // HEVC/H.265 Main 10 Profile / Level 5.1
    "1.2.840.10008.1.2.4.110",  // JPEG XL Lossless
    "1.2.840.10008.1.2.4.111",  // JPEG XL JPEG Recompression
    "1.2.840.10008.1.2.4.112",  // JPEG XL
};

const std::set<std::string, std::less<>>& DcmtkStorageClasses() {
  static const std::set<std::string, std::less<>> classes = [] {
    std::set<std::string, std::less<>> s;
    for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i) {
      s.emplace(dcmAllStorageSOPClassUIDs[i]);
    }
    for (auto uid : kStorageOutsideRoot) s.emplace(uid);
    return s;
  }();
  return classes;
}

bool IsUncompressed(std::string_view ts) { return IsUncompressedTransferSyntax(ts); }

bool Contains(std::span<const std::string> list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool IsUncompressedTransferSyntax(std::string_view ts) {
  return ts == kImplicitLittle || ts == kExplicitLittle || ts == kExplicitBig;
}

bool IsQueryRetrieve(std::string_view uid) {
  for (auto qr : {kPatientRootFind, kPatientRootMove, kPatientRootGet, kStudyRootFind,
                  kStudyRootMove, kStudyRootGet}) {
    if (uid == qr) return true;
  }
  return false;
}

SopClassPolicy::SopClassPolicy(std::vector<std::string> extra) : extra_(std::move(extra)) {}

bool SopClassPolicy::IsStorage(std::string_view uid) const {
  if (uid.starts_with(kStorageRoot) && uid.size() > kStorageRoot.size()) return true;
  if (DcmtkStorageClasses().contains(uid)) return true;
  return std::find(extra_.begin(), extra_.end(), uid) != extra_.end();
}

bool DcmtkCanCarry(std::string_view uid) {
  // DcmXfer wants a NUL-terminated string; transfer syntax UIDs are short.
  return DcmXfer(std::string(uid).c_str()).getXfer() != EXS_Unknown;
}

bool IsAcceptedTransferSyntax(std::string_view uid) {
  const bool listed =
      std::find(kTransferSyntaxes.begin(), kTransferSyntaxes.end(), uid) != kTransferSyntaxes.end();
  return listed && DcmtkCanCarry(uid);
}

std::optional<std::string> SopClassPolicy::ChooseTransferSyntax(
    std::string_view abstract_syntax, std::span<const std::string> proposed) const {
  if (!IsAccepted(abstract_syntax)) return std::nullopt;
  const bool storage = IsStorage(abstract_syntax);
  for (const auto& ts : proposed) {
    const bool acceptable = storage ? IsAcceptedTransferSyntax(ts) : IsUncompressed(ts);
    if (!acceptable) continue;
    if (!IsUncompressed(ts)) return ts;  // the sender's first choice, kept as sent
    // The sender's first acceptable choice is uncompressed: take the best
    // uncompressed syntax it offers.
    for (auto preferred : {kExplicitLittle, kImplicitLittle, kExplicitBig}) {
      if (Contains(proposed, preferred)) return std::string(preferred);
    }
  }
  return std::nullopt;
}

}  // namespace cf::dimse
