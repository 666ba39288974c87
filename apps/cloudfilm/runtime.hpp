// SPDX-License-Identifier: Apache-2.0
// Builds the embedded backends (SQLite catalog, filesystem blob store) and
// the archive on top of them from the configuration. Backends are chosen
// here and nowhere else.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "access/access.hpp"
#include "archive/archive.hpp"
#include "audit/audit_log.hpp"
#include "config.hpp"
#include "crypto/key_store.hpp"
#include "crypto/signing.hpp"
#include "film/film_issuer.hpp"
#include "film/print_log.hpp"
#include "film/report_pdf.hpp"
#include "film/report_store.hpp"
#include "film/visit_store.hpp"
#include "ledger/timestamper.hpp"
#include "ledger/transparency_log.hpp"
#include "notify/outbox.hpp"
#include "store/encrypting_blob_store.hpp"

namespace cf::app {

// An flock on a file in the data folder, released when the process ends.
class FolderLock {
 public:
  FolderLock() = default;
  explicit FolderLock(int fd) : fd_(fd) {}
  FolderLock(FolderLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FolderLock& operator=(FolderLock&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~FolderLock();

 private:
  int fd_ = -1;
};

struct Runtime {
  std::vector<FolderLock> locks;           // released after the archive (declared first)
  std::unique_ptr<crypto::KeyStore> keys;  // outlives the blob store and archive
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<store::BlobStore> blobs;
  // `blobs` itself when the folder has keys (re-encryption, key usage);
  // null otherwise. Not owned.
  store::EncryptingBlobStore* sealed = nullptr;
  std::unique_ptr<archive::Archive> archive;
};

// What the process does with the archive, which decides when compression
// happens: a server compresses right after each acknowledgement and
// compacts older blobs when idle; an import files blobs as received, so
// that it ends promptly, and leaves them to the server's compactor; tools
// (stats, compact) do neither on their own. fsck needs the folder to
// itself: a server's compactor writes blobs before the catalog names them,
// which a concurrent fsck --repair would take for orphans.
enum class Role { kServer, kImport, kTool, kExclusive };

Result<Runtime> OpenRuntime(const Config& config, Role role = Role::kTool);

// The master key as configured (CLOUDFILM_MASTER_KEY, security.master_key_file
// or DATA/keys/master.key, generated when missing).
Result<std::unique_ptr<crypto::KeyProvider>> OpenMasterKey(const Config& config);

// The data keys of DATA/keys, with each tenant's configured crypto suite.
Result<std::unique_ptr<crypto::KeyStore>> OpenKeyStore(const Config& config);

// The wrapped key of the encrypted SQLite databases and its wrap context,
// for master-key rotation.
crypto::WrappedKeyFile DatabasesKeyFile(const Config& config);

// The SQLite VFS that encrypts the database at `path` (catalog, access or
// audit; registered once per label), converting a plaintext database from
// before encryption was on. "" with encryption off, where opening an
// encrypted database is refused with a clear message.
Result<std::string> DatabaseVfs(const Config& config, std::string_view label,
                                const std::filesystem::path& path);

// The transparency log (DATA/ledger.sqlite, encrypted like the other
// databases). With `sign`, it carries the platform's log key
// (DATA/keys/_ledger.sign.<id>.wrapped, created on first use, in
// ledger.signature_suite) and can sign tree heads; without, it is opened
// read-only and must exist (kNotFound otherwise). `keys`: where the log key
// comes from (opened here when null).
Result<std::unique_ptr<ledger::TransparencyLog>> OpenLedger(
    const Config& config, bool sign, crypto::SigningKeyStore* keys = nullptr);

// The hospitals' and the log's signing keys (DATA/keys, master-key wrapped).
Result<std::unique_ptr<crypto::SigningKeyStore>> OpenSigningKeys(const Config& config);

// The public key with `key_id` from DATA/keys: what verifies tree heads
// (no master key needed).
Result<crypto::VerifyingKey> LedgerPublicKey(const Config& config, std::string_view key_id);

// Accounts, tokens and sessions (DATA/access.sqlite) and the audit trail
// (DATA/audit.sqlite). Several processes may open them at once (SQLite
// WAL): the CLI creates accounts while the server runs.
struct Security {
  std::unique_ptr<audit::AuditLog> audit;  // outlives access
  // The outbox shares send through, when OpenSecurity opened it itself.
  std::unique_ptr<notify::Outbox> outbox;
  std::unique_ptr<access::Access> access;
};
// With a notification provider configured, shares send their one-time
// codes and notices through the outbox: `outbox` (borrowed; the server's,
// whose worker delivers), or one opened here (the CLI's messages wait for
// the server's worker). Without a provider they have no notifier: one-time
// codes are refused and notices live in the access history.
Result<Security> OpenSecurity(const Config& config, std::string bootstrap_token = {},
                              notify::Outbox* outbox = nullptr);

// DATA/reports.sqlite, encrypted like the other databases.
Result<std::unique_ptr<film::ReportStore>> OpenReports(const Config& config);

// What issuing films needs besides the archive and the reports: the films
// (DATA/films.sqlite), the transparency log (signing) and the hospitals'
// signing keys. Destroy the issuer first.
struct FilmParts {
  std::unique_ptr<film::FilmStore> films;
  std::unique_ptr<ledger::TransparencyLog> log;
  std::unique_ptr<crypto::SigningKeyStore> keys;
  std::unique_ptr<film::VisitStore> visits;  // DATA/visits.sqlite: retention's legal minimum
  std::unique_ptr<film::PrintLog> prints;    // DATA/prints.sqlite: what kiosks printed
  film::IssuerOptions options;
  film::PrinterOptions printer;  // the hospitals' names for printed reports
};
Result<FilmParts> OpenFilmParts(const Config& config);

// The RFC 3161 time-stamper of `log`'s tree heads, started; null when no
// TSA is configured (ledger.tsa_url).
std::unique_ptr<ledger::Timestamper> StartTimestamper(const Config& config,
                                                      ledger::TransparencyLog& log);
// The same settings, for a one-off stamp from the CLI.
ledger::TimestamperOptions TimestamperOptionsOf(const Config& config);

// Makes every report that arrives as a DICOM object (SR, Encapsulated PDF),
// by any channel, a version in `reports`, and a signed one issue its exam's
// film. Call before the first ingest; everything must outlive the archive's use.
void FileReportsAsStored(archive::Archive& archive, film::ReportStore& reports,
                         film::FilmIssuer& issuer, std::string received_by);

// $CLOUDFILM_BOOTSTRAP_TOKEN (then removed from the environment, so that
// child processes do not inherit it), else the first line of
// security.bootstrap_token_file, else empty.
Result<std::string> ReadBootstrapToken(const Config& config);

}  // namespace cf::app
