// SPDX-License-Identifier: Apache-2.0
// The layout of a film package (a ZIP; docs/storage-format.md, "Film
// packages"), shared by the writer (film_package.hpp) and the offline
// verifier (package_verify.hpp). Where each object and report version goes
// follows from the signed manifest alone, so the verifier needs no
// unsigned index to know which file should hold what:
//
//   DICOM/Sssss/Iiiii   the i-th object (from 1) of the s-th series, both in
//                       the order of the manifest's content.objects (a
//                       series numbered where its first object appears);
//                       4 digits, more past 9999 (at most 7: PS3.10 allows
//                       8 characters per component)
//   reports/<report id>/v<version>.json  a report version's CanonicalContent
//   reports/<report id>/v<version>.pdf   its PDF, when the content names one
//   reports/<report id>/v<version>.rendered.pdf  otherwise, a PDF the
//                       platform printed from the signed text (report_pdf.hpp):
//                       for people; covered by contents.json, not the manifest
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cf::film {

// Members every package holds, besides the DICOM files and report files.
inline constexpr std::string_view kReadmeMember = "README.txt";
inline constexpr std::string_view kManifestMember = "manifest.json";      // the exact signed bytes
inline constexpr std::string_view kManifestSigMember = "manifest.sig";    // raw signature bytes
inline constexpr std::string_view kSigningKeyMember = "signing-key.pem";  // the hospital's key
inline constexpr std::string_view kLogEntryMember = "log/entry.json";     // the exact log entry
inline constexpr std::string_view kInclusionProofMember = "log/inclusion-proof.json";
inline constexpr std::string_view kTreeHeadMember = "log/tree-head.json";
inline constexpr std::string_view kLogKeyMember = "log/log-key.pem";
// The TSA's RFC 3161 token (DER) of the tree head, when a time-stamping
// authority has stamped a head that covers the film (ledger/timestamp.hpp).
inline constexpr std::string_view kTimestampMember = "log/tree-head.tst";
inline constexpr std::string_view kDicomdirMember = "DICOMDIR";
// Every other member by its SHA-256, signed with the hospital's key: what
// makes a changed README or DICOMDIR (which the manifest does not cover)
// fail verification too.
inline constexpr std::string_view kContentsMember = "contents.json";
inline constexpr std::string_view kContentsSigMember = "contents.sig";

inline constexpr std::string_view kDicomFolder = "DICOM/";
inline constexpr std::string_view kReportsFolder = "reports/";

struct PackagedObject {
  std::string member;  // "DICOM/S0001/I0001"
  std::string sop_uid;
  int version = 1;
  std::string sha256;  // as the manifest lists it
  uint64_t size = 0;
};

struct PackagedReport {
  std::string json_member;      // "reports/<id>/v1.json"
  std::string pdf_member;       // "reports/<id>/v1.pdf" (present only when the content names a PDF)
  std::string rendered_member;  // "reports/<id>/v1.rendered.pdf" (may be present otherwise)
  std::string report_id;
  int version = 1;
  std::string sha256;  // of the canonical content, as the manifest lists it
};

struct PackageLayout {
  std::string film_id;
  std::string tenant;
  int64_t issued_at_ms = 0;
  std::string suite;
  std::string key_id;
  std::string supersedes;
  std::vector<PackagedObject> objects;
  std::vector<PackagedReport> reports;
};

// The layout a manifest implies. kInvalidArgument naming what is missing or
// malformed (a manifest that is not cloudfilm-film/1 JSON, a report id that
// cannot be a file name).
Result<PackageLayout> LayoutOf(std::string_view manifest);

}  // namespace cf::film
