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
// The package is produced as a stream (PackageStream): each Next() gives
// the following piece of the ZIP, so that an HTTP answer starts at once and
// the producer goes at the pace of whoever reads it, with memory bounded by
// one object plus one piece whatever the exam's size. Nothing is written to
// disk: the DICOMDIR is built in memory from the objects' headers as they
// pass (dicom/dicomdir_writer.hpp) and written, with README.txt,
// contents.json and contents.sig, after the objects. Deterministic: the
// same film (and the same log head) gives the same bytes (DICOMDIR UIDs
// from the film id, the film's issuance time on every member, a fixed
// member order). Thread-safe (each stream is its own); calls block.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
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

class PackageStream;

// What PackageStream::Next gathers before it returns: big enough that a
// piece costs one socket write among many, small enough that memory stays
// bounded.
inline constexpr size_t kDefaultPieceBytes = 256 << 10;

class FilmPackager {
 public:
  // Borrows everything; all must outlive the packager and its streams.
  // `log` must be able to sign (a head covering the film's entry may need
  // signing). With `printer`, each report version that came as text also
  // gets a PDF printed from it, for people.
  FilmPackager(archive::Archive& archive, ReportStore& reports, ledger::TransparencyLog& log,
               crypto::SigningKeyStore& keys, ReportPrinter* printer = nullptr);

  // Checks everything that can be checked without reading the objects
  // (every object and report version held with its manifest hash, the log
  // entry and proof, the keys), then returns the stream of the package of
  // `film` (as FilmStore gave it). Errors: kNotFound when an object, a
  // report version or the hospital's key is no longer held; kInternal when
  // stored values do not hash to what the manifest lists (the film cannot
  // be packaged as issued). `piece_bytes`: how much Next gathers before it
  // returns (tests make it small).
  Result<std::unique_ptr<PackageStream>> Open(const Film& film,
                                              size_t piece_bytes = kDefaultPieceBytes);

  // Open, then every piece into a temporary file beside `out`, renamed at
  // the end, so that `out` is never half written. Errors as Open and
  // PackageStream::Next, kStorageUnavailable for disk errors.
  Result<PackageSummary> Write(const Film& film, const std::filesystem::path& out);

 private:
  friend class PackageStream;
  archive::Archive& archive_;
  ReportStore& reports_;
  ledger::TransparencyLog& log_;
  crypto::SigningKeyStore& keys_;
  ReportPrinter* printer_;
};

// One package being produced. Not thread-safe; calls block (disk, SQLite).
class PackageStream {
 public:
  ~PackageStream();
  PackageStream(const PackageStream&) = delete;
  PackageStream& operator=(const PackageStream&) = delete;

  // The next piece of the ZIP (about the piece size Open was given, at
  // times more: one slice of an object); an empty piece once the package is
  // complete.
  // An error (an object unreadable or no longer matching its hash) ends the
  // stream: the bytes given so far are not a valid package (no central
  // directory), and the caller must not make them look like one (an HTTP
  // answer is cut, a file removed). Logs film.packaged at the end and
  // film.package_failed (tenant, error) on an error.
  Result<Bytes> Next();

  // What was packaged; complete once Next gave the empty piece.
  const PackageSummary& summary() const;
  // Bytes given by Next so far.
  uint64_t bytes_out() const;

 private:
  friend class FilmPackager;
  struct State;
  explicit PackageStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The package's suggested file name: "film-<id>.zip".
std::string PackageFileName(const Film& film);

}  // namespace cf::film
