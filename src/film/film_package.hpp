// SPDX-License-Identifier: Apache-2.0
// Film packages: one ZIP that holds everything a court, an insurer or
// another hospital needs to check a film offline (package_verify.hpp) and
// to read the exam on a workstation (a DICOMDIR at the root, so the ZIP
// opens like a CD): the DICOM objects exactly as received, every report
// version's canonical content and PDF, the signed manifest, the hospital's
// public key, the log entry with its inclusion proof, the signed tree head
// and the log's public key, a README for people, and contents.json (every
// member's SHA-256, signed with the hospital's key). Layout:
// package_layout.hpp and docs/storage-format.md.
//
// The package is written to a file, never built in memory: objects are
// staged one at a time in a folder under `work_dir` (DCMTK indexes files
// on disk), then streamed into the ZIP; the staging folder is removed
// whatever happens. Thread-safe (each Write uses its own staging folder);
// calls block.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "crypto/signing_key_store.hpp"
#include "film/film.hpp"
#include "film/report_pdf.hpp"
#include "film/report_store.hpp"
#include "ledger/transparency_log.hpp"

namespace cf::film {

// An object the DICOMDIR could not index (still in the package).
struct NotIndexed {
  std::string member;
  std::string reason;
};

struct PackageSummary {
  uint64_t objects = 0;
  uint64_t report_versions = 0;
  uint64_t pdfs = 0;           // the departments' own
  uint64_t rendered_pdfs = 0;  // printed from text reports
  uint64_t members = 0;
  std::vector<NotIndexed> not_indexed;
};

class FilmPackager {
 public:
  // Borrows everything; all must outlive the packager. `log` must be able
  // to sign (a head covering the film's entry may need signing). `work_dir`
  // is created when missing; it holds patient data while a package is
  // written (mode 0700). With `printer`, each report version that came as
  // text also gets a PDF printed from it, for people.
  FilmPackager(archive::Archive& archive, ReportStore& reports, ledger::TransparencyLog& log,
               crypto::SigningKeyStore& keys, std::filesystem::path work_dir,
               ReportPrinter* printer = nullptr);

  // Writes the package of `film` (as FilmStore gave it) to `out`, through a
  // temporary file beside it renamed at the end, so that `out` is never
  // half written. Errors: kNotFound when an object, a report version or the
  // hospital's key is no longer held; kInternal when stored bytes do not
  // hash to what the manifest lists (the film cannot be packaged as
  // issued); kStorageUnavailable for disk errors.
  Result<PackageSummary> Write(const Film& film, const std::filesystem::path& out);

  // Writes the package to a new file in `work_dir` and returns its path;
  // the caller removes it (an HTTP download unlinks it once open).
  Result<std::filesystem::path> WriteTemporary(const Film& film);

  // Removes what a crash left in `work_dir` (staging folders, temporary
  // packages: patient data in clear) when it was last written to more than
  // `min_age` ago, so that a package being written by another process is
  // left alone. Returns how many entries were removed.
  int RemoveLeftovers(std::chrono::seconds min_age);

 private:
  archive::Archive& archive_;
  ReportStore& reports_;
  ledger::TransparencyLog& log_;
  crypto::SigningKeyStore& keys_;
  std::filesystem::path work_dir_;
  ReportPrinter* printer_;
};

// The package's suggested file name: "film-<id>.zip".
std::string PackageFileName(const Film& film);

}  // namespace cf::film
