// SPDX-License-Identifier: Apache-2.0
#include "runtime.hpp"
#include "notify_setup.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdlib>
#include <fstream>
#include <map>

#include "catalog/encrypted_vfs.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "core/log.hpp"
#include "crypto/signing_key_store.hpp"
#include "film/dicom_report.hpp"
#include "store/encrypting_blob_store.hpp"
#include "store/filesystem_blob_store.hpp"

namespace cf::app {

namespace {

Result<FolderLock> Lock(const std::filesystem::path& path, int operation, const char* busy) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  FolderLock lock(fd);
  if (::flock(fd, operation | LOCK_NB) != 0) {
    return Fail(ErrorCode::kConflict, busy);
  }
  return lock;
}

constexpr std::string_view kDatabasesKeyContext = "cloudfilm sqlite databases v1";

}  // namespace

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<crypto::KeyProvider>> OpenMasterKey(const Config& config) {
  return crypto::OpenLocalKeyProvider(
      {"CLOUDFILM_MASTER_KEY", config.master_key_file, config.KeysPath() / "master.key"});
}

Result<std::unique_ptr<crypto::KeyStore>> OpenKeyStore(const Config& config) {
  auto provider = OpenMasterKey(config);
  if (!provider) return std::unexpected(provider.error());
  crypto::KeyStoreOptions options;
  for (const auto& t : config.tenants) {
    options.suites[t.code] =
        crypto::ParseSuite(t.crypto_suite).value_or(crypto::CryptoSuite::kDefault);
  }
  return crypto::KeyStore::Open(config.KeysPath(), std::move(*provider), std::move(options));
}

crypto::WrappedKeyFile DatabasesKeyFile(const Config& config) {
  return {config.KeysPath() / "databases.wrapped", std::string(kDatabasesKeyContext)};
}

Result<std::string> DatabaseVfs(const Config& config, std::string_view label,
                                const std::filesystem::path& path) {
  if (!config.encryption) return std::string();
  auto provider = OpenMasterKey(config);
  if (!provider) return std::unexpected(provider.error());
  const crypto::WrappedKeyFile databases = DatabasesKeyFile(config);
  auto key = crypto::OpenOrCreateWrappedKey(**provider, databases.file, databases.context);
  if (!key) return std::unexpected(key.error());
  auto vfs =
      catalog::RegisterEncryptedVfs(std::span<const std::byte, catalog::kEncryptedVfsKeyBytes>(
                                        key->view().data(), catalog::kEncryptedVfsKeyBytes),
                                    label);
  if (!vfs) return std::unexpected(vfs.error());
  auto converted = catalog::EncryptPlainDatabase(path, *vfs);
  if (!converted) return std::unexpected(converted.error());
  if (*converted) log::Info("storage.database_encrypted", {{"database", std::string(label)}});
  return vfs;
}

Result<Runtime> OpenRuntime(const Config& config, Role role) {
  std::error_code ec;
  std::filesystem::create_directories(config.data, ec);
  if (ec) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot create data folder " + config.data.string() + ": " + ec.message());
  }
  Runtime rt;
  // Everyone shares the folder, except fsck, which needs it alone; and one
  // server at a time.
  auto shared = Lock(config.data / "cloudfilm.lock", role == Role::kExclusive ? LOCK_EX : LOCK_SH,
                     role == Role::kExclusive
                         ? "the data folder is in use (a server, import or compact runs on it); "
                           "stop it first"
                         : "the data folder is being checked by fsck; try again when it ends");
  if (!shared) return std::unexpected(shared.error());
  rt.locks.push_back(std::move(*shared));
  if (role == Role::kServer) {
    auto server = Lock(config.data / "serve.lock", LOCK_EX,
                       "another cloudfilm server already serves this data folder");
    if (!server) return std::unexpected(server.error());
    rt.locks.push_back(std::move(*server));
  }
  // Durability comes from the archive's ingest journal (one fdatasync per
  // group of objects); blobs and catalog are flushed at its checkpoints, so
  // they need not sync each write. --no-fsync turns all of it off.
  auto blobs = store::FilesystemBlobStore::Open({config.data, /*fsync=*/false});
  if (!blobs) return std::unexpected(blobs.error());
  rt.blobs = std::move(*blobs);
  // Encryption at rest: every role (serve, import, fsck, compact) reads and
  // writes through the same keys. With encryption off, a folder that has
  // keys still opens what was sealed before; new bytes go in plaintext.
  if (config.encryption || crypto::KeyStore::HasKeys(config.KeysPath())) {
    auto keys = OpenKeyStore(config);
    if (!keys) return std::unexpected(keys.error());
    rt.keys = std::move(*keys);
    if (config.encryption) {
      // Fails now, not at the first ingest, when a key cannot be had; each
      // hospital has its own data key (crypto-shredding one spares the others).
      std::vector<std::string> tenants = {std::string(crypto::kDefaultTenant)};
      for (const auto& t : config.tenants) tenants.push_back(t.code);
      for (const auto& tenant : tenants) {
        if (auto active = rt.keys->Active(tenant); !active) return std::unexpected(active.error());
        // tenants.<code>.crypto_suite changed: new data goes under a key of
        // the new suite at once; re-encryption moves the old data.
        auto rotated = rt.keys->RotateIfSuiteChanged(tenant);
        if (!rotated) return std::unexpected(rotated.error());
        if (*rotated) {
          log::Info("keys.suite_changed",
                    {{"tenant", tenant},
                     {"suite", std::string(crypto::SuiteName(rt.keys->SuiteOf(tenant)))}});
        }
      }
    }
    auto sealed = std::make_unique<store::EncryptingBlobStore>(std::move(rt.blobs), *rt.keys,
                                                               config.encryption);
    rt.sealed = sealed.get();
    rt.blobs = std::move(sealed);
  }
  catalog::SqliteOptions sqlite_options;
  sqlite_options.path = config.CatalogPath();
  sqlite_options.synchronous_full = false;
  sqlite_options.read_connections = std::max(2, config.blocking_threads);
  auto catalog_vfs = DatabaseVfs(config, "catalog", config.CatalogPath());
  if (!catalog_vfs) return std::unexpected(catalog_vfs.error());
  sqlite_options.vfs = *catalog_vfs;
  auto catalog = catalog::OpenSqliteCatalog(sqlite_options);
  if (!catalog) return std::unexpected(catalog.error());
  rt.catalog = std::move(*catalog);
  archive::ArchiveOptions archive_options;
  archive_options.max_object_size = config.max_object_size;
  archive_options.compression = config.compression != "off";
  archive_options.compress_after_ack = role == Role::kServer;
  archive_options.compaction = role == Role::kServer;
  if (role == Role::kServer) archive_options.filing_backlog = config.filing_backlog;
  archive_options.compress_after =
      ParseDuration(config.compress_after).value_or(std::chrono::seconds(0));
  archive_options.stored_form.pixel_codec =
      config.compression == "htj2k" ? codec::PixelCodec::kHtj2k : codec::PixelCodec::kJpegLs;
  if (config.fsync) archive_options.journal_dir = config.data / "journal";
  archive_options.keys = rt.keys.get();
  archive_options.encrypt_journal = config.encryption;
  auto archive = archive::Archive::Open(*rt.catalog, *rt.blobs, archive_options);
  if (!archive) return std::unexpected(archive.error());
  rt.archive = std::move(*archive);
  return rt;
}

Result<std::unique_ptr<crypto::SigningKeyStore>> OpenSigningKeys(const Config& config) {
  // Wrapped by the master key whether or not the data is encrypted at
  // rest: a signing key must never lie in clear.
  auto provider = OpenMasterKey(config);
  if (!provider) return std::unexpected(provider.error());
  return crypto::SigningKeyStore::Open(config.KeysPath(), std::move(*provider));
}

Result<std::unique_ptr<ledger::TransparencyLog>> OpenLedger(const Config& config, bool sign,
                                                            crypto::SigningKeyStore* keys) {
  const auto path = config.LedgerPath();
  std::error_code ec;
  if (!sign && !std::filesystem::exists(path, ec)) {
    return Fail(ErrorCode::kNotFound,
                "no transparency log in " + config.data.string() + " (nothing was ever appended)");
  }
  std::filesystem::create_directories(config.data, ec);
  ledger::SqliteLogOptions options;
  options.path = path;
  options.readonly = !sign;
  auto vfs = DatabaseVfs(config, "ledger", path);
  if (!vfs) return std::unexpected(vfs.error());
  options.vfs = *vfs;
  if (sign) {
    std::unique_ptr<crypto::SigningKeyStore> own;
    if (keys == nullptr) {
      auto opened = OpenSigningKeys(config);
      if (!opened) return std::unexpected(opened.error());
      own = std::move(*opened);
      keys = own.get();
    }
    auto key = keys->Active(crypto::kLedgerKeyOwner,
                            crypto::ParseSignatureSuite(config.ledger_signature_suite)
                                .value_or(crypto::SignatureSuite::kEd25519));
    if (!key) return std::unexpected(key.error());
    options.signer = *key;
  }
  return ledger::OpenSqliteTransparencyLog(std::move(options));
}

Result<crypto::VerifyingKey> LedgerPublicKey(const Config& config, std::string_view key_id) {
  return crypto::ReadPublicSigningKey(config.KeysPath(), key_id);
}

Result<Security> OpenSecurity(const Config& config, std::string bootstrap_token,
                              notify::Outbox* outbox) {
  std::error_code ec;
  std::filesystem::create_directories(config.data, ec);
  if (ec) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot create data folder " + config.data.string() + ": " + ec.message());
  }
  Security security;
  auto audit_vfs = DatabaseVfs(config, "audit", config.AuditPath());
  if (!audit_vfs) return std::unexpected(audit_vfs.error());
  auto access_vfs = DatabaseVfs(config, "access", config.AccessPath());
  if (!access_vfs) return std::unexpected(access_vfs.error());
  audit::AuditOptions audit_options;
  audit_options.vfs = *audit_vfs;
  auto audit = audit::OpenSqliteAuditLog(config.AuditPath(), audit_options);
  if (!audit) return std::unexpected(audit.error());
  security.audit = std::move(*audit);
  access::AccessOptions options;
  options.vfs = *access_vfs;
  options.bootstrap_token = std::move(bootstrap_token);
  options.max_failed_logins = config.max_failed_logins;
  options.login_attempts_per_minute = config.login_attempts_per_minute;
  options.credential_failures_per_minute = config.credential_failures_per_minute;
  options.break_glass_roles.clear();
  for (const auto& name : config.break_glass_roles) {
    if (const auto role = access::ParseRole(name)) options.break_glass_roles.push_back(*role);
  }
  options.break_glass_max = ParseDuration(config.break_glass_max).value_or(std::chrono::hours(1));
  for (const auto& tenant : config.tenants) options.tenants.push_back(tenant.code);
  options.session_idle = ParseDuration(config.session_idle).value_or(std::chrono::minutes(30));
  options.session_max = ParseDuration(config.session_max).value_or(std::chrono::hours(12));
  options.require_totp_for_admins = config.require_totp_for_admins;
  options.share_max_failures = config.share_max_failures;
  options.share_lockout = ParseDuration(config.share_lockout).value_or(std::chrono::minutes(15));
  options.share_session_max =
      ParseDuration(config.share_session_max).value_or(std::chrono::hours(2));
  for (const auto& tenant : config.tenants) {
    if (const auto factor = access::ParseShareFactor(tenant.share_factor)) {
      options.share_factors.emplace_back(tenant.code, *factor);
    }
  }
  if (NotificationsConfigured(config)) {
    if (outbox == nullptr) {
      auto opened = OpenNotify(config);
      if (!opened) return std::unexpected(opened.error());
      security.outbox = std::move(opened->outbox);
      outbox = security.outbox.get();
    }
    options.share_notifier = OutboxShareNotifier(*outbox);
  }
  auto opened = access::Access::Open(config.AccessPath(), std::move(options), security.audit.get());
  if (!opened) return std::unexpected(opened.error());
  security.access = std::move(*opened);
  return security;
}

Result<std::string> ReadBootstrapToken(const Config& config) {
  std::string token;
  if (const char* env = std::getenv("CLOUDFILM_BOOTSTRAP_TOKEN"); env != nullptr && *env != 0) {
    token = env;
    ::unsetenv("CLOUDFILM_BOOTSTRAP_TOKEN");
  } else if (!config.bootstrap_token_file.empty()) {
    std::ifstream in(config.bootstrap_token_file);
    if (!in) {
      return Fail(ErrorCode::kInvalidArgument, "security.bootstrap_token_file: cannot read " +
                                                   config.bootstrap_token_file.string());
    }
    std::getline(in, token);
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (!token.empty() && token.size() < 20) {
    return Fail(ErrorCode::kInvalidArgument,
                "the bootstrap token must have at least 20 characters");
  }
  return token;
}

Result<std::unique_ptr<film::ReportStore>> OpenReports(const Config& config) {
  auto vfs = DatabaseVfs(config, "reports", config.ReportsPath());
  if (!vfs) return std::unexpected(vfs.error());
  return film::ReportStore::Open({config.ReportsPath(), *vfs});
}

Result<FilmParts> OpenFilmParts(const Config& config) {
  FilmParts parts;
  auto vfs = DatabaseVfs(config, "films", config.FilmsPath());
  if (!vfs) return std::unexpected(vfs.error());
  auto films = film::FilmStore::Open(config.FilmsPath(), *vfs);
  if (!films) return std::unexpected(films.error());
  parts.films = std::move(*films);
  auto visits_vfs = DatabaseVfs(config, "visits", config.VisitsPath());
  if (!visits_vfs) return std::unexpected(visits_vfs.error());
  auto visits = film::VisitStore::Open(config.VisitsPath(), *visits_vfs);
  if (!visits) return std::unexpected(visits.error());
  parts.visits = std::move(*visits);
  auto prints_vfs = DatabaseVfs(config, "prints", config.PrintsPath());
  if (!prints_vfs) return std::unexpected(prints_vfs.error());
  auto prints = film::PrintLog::Open(config.PrintsPath(), *prints_vfs);
  if (!prints) return std::unexpected(prints.error());
  parts.prints = std::move(*prints);
  parts.options.last_visits = [store = parts.visits.get()](std::string_view tenant,
                                                           std::string_view patient,
                                                           std::string_view issuer) {
    return store->Last(tenant, patient, issuer);
  };
  auto keys = OpenSigningKeys(config);
  if (!keys) return std::unexpected(keys.error());
  parts.keys = std::move(*keys);
  // The log key comes from the same store as the hospitals' keys.
  auto log = OpenLedger(config, /*sign=*/true, parts.keys.get());
  if (!log) return std::unexpected(log.error());
  parts.log = std::move(*log);
  std::map<std::string, int, std::less<>> tiers;
  std::map<std::string, crypto::SignatureSuite, std::less<>> suites;
  std::map<std::string, std::string, std::less<>> names;
  for (const auto& t : config.tenants) {
    tiers[t.code] = t.service_tier_years;
    names[t.code] = t.name.empty() ? t.code : t.name;
    // The national suite signs with SM2 over SM3, like it seals with SM4.
    suites[t.code] =
        t.crypto_suite == "sm" ? crypto::SignatureSuite::kSm2Sm3 : crypto::SignatureSuite::kEd25519;
  }
  parts.options.suite_of = [suites](std::string_view tenant) {
    const auto it = suites.find(tenant);
    return it == suites.end() ? crypto::SignatureSuite::kEd25519 : it->second;
  };
  parts.options.service_tier_years = [tiers](std::string_view tenant) {
    const auto it = tiers.find(tenant);
    return it == tiers.end() ? 15 : it->second;
  };
  parts.printer.hospital_name = [names](std::string_view tenant) {
    const auto it = names.find(tenant);
    return it == names.end() ? std::string(tenant) : it->second;
  };
  return parts;
}

ledger::TimestamperOptions TimestamperOptionsOf(const Config& config) {
  ledger::TimestamperOptions options;
  options.tsa.url = config.ledger_tsa_url;
  options.tsa.https_ca_file = config.ledger_tsa_https_ca_file;
  options.tsa_ca_file = config.ledger_tsa_ca_file;
  // Validate() has checked the duration.
  options.interval = ParseDuration(config.ledger_tsa_interval).value_or(std::chrono::seconds(10));
  return options;
}

std::unique_ptr<ledger::Timestamper> StartTimestamper(const Config& config,
                                                      ledger::TransparencyLog& log) {
  if (config.ledger_tsa_url.empty()) return nullptr;
  auto stamper = std::make_unique<ledger::Timestamper>(log, TimestamperOptionsOf(config));
  stamper->Start();
  return stamper;
}

void FileReportsAsStored(archive::Archive& archive, film::ReportStore& reports,
                         film::FilmIssuer& issuer, std::string received_by) {
  archive.OnStored(
      [&reports, &issuer, by = std::move(received_by)](const archive::IngestReceipt& receipt,
                                                       ByteView bytes, std::string_view tenant) {
        auto filed =
            film::FileDicomReport(reports, receipt.sop_class_uid, bytes, std::string(tenant), by);
        if (filed) issuer.OnReportFiled(*filed, by);
      });
}

}  // namespace cf::app
