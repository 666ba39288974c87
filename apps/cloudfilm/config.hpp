// SPDX-License-Identifier: Apache-2.0
// The settings of a cloudfilm process. Read only here, in the composition
// root: defaults, then the TOML file, then command-line flags. Libraries get
// plain option structs built from this.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "notify_config.hpp"

namespace cf::app {

// A hospital: its data is its own (docs/security.md). Its DICOM nodes are
// known by their AE titles.
struct TenantConfig {
  std::string code;  // [a-z][a-z0-9-]*, the key in [tenants.<code>]
  std::string name;
  std::string region;
  std::vector<std::string> ae_titles;
  // How long its films are kept from the exam date: 5, 10, 15 or 30 years.
  int service_tier_years = 15;
  // "default" (AES-256-GCM, SHA-256) or "sm" (SM4, SM3: the Chinese national
  // suite, for hospitals that need 密评 compliance). Applies to the data keys
  // created from now on; a change rotates the tenant's key at the next start.
  std::string crypto_suite = "default";
  // What the patient must know besides the QR code's token to open a film
  // share: "birth-date" (from the images), "phone-last4", "id-last4" (given
  // when the share is made) or "one-time-code" (sent through the notifier).
  std::string share_factor = "birth-date";
  // The provider of its notifications; empty: notify.provider.
  std::string notify_provider;
  // SHA-256 fingerprints (hex, colons allowed) of the client certificates
  // its DICOM nodes present on the DICOM TLS port: such a certificate files
  // what comes under this hospital whatever AE title it calls with, and
  // this hospital's AE titles are accepted over TLS only with one of them.
  std::vector<std::string> dicom_client_certificates;
};

// The web apps installed beside this binary (../share/cloudfilm/web, as
// `make install` lays them out) when there are any, else the folder this
// binary was built with.
std::filesystem::path DefaultWebRoot();

struct Config {
  std::filesystem::path data = "cloudfilm-data";
  std::string log_level = "info";

  std::string http_bind = "127.0.0.1";
  uint16_t http_port = 8080;
  int http_threads = 2;
  int blocking_threads = 4;
  uint64_t max_upload_bytes = 4ull << 30;  // one STOW-RS request, spooled to DATA/tmp/http
  // Memory that uploads may be held in instead of the spool (all at once;
  // one at most a quarter of it); 0: always the spool.
  uint64_t upload_memory_bytes = 256ull << 20;
  std::string http_cors_allow_origin;  // empty: no CORS headers
  // HTTPS: PEM certificate (chain) and private key, both or neither; set =
  // the HTTP listener speaks HTTPS only.
  std::filesystem::path http_tls_certificate;
  std::filesystem::path http_tls_private_key;
  // Abuse resistance (docs/security.md): the largest request header and
  // body (431, 413), how long a request may take to arrive in full and a
  // kept-alive connection may wait for the next one, and per client
  // address (IPv6: per /64) the open connections and a request rate with
  // its burst (429); 0 = no limit. Addresses or networks in
  // http_limit_exempt skip the per-client limits (loopback: a reverse proxy
  // or the benchmarks on this machine).
  uint64_t http_max_header_bytes = 16 * 1024;
  uint64_t http_max_body_bytes = 1ull << 20;
  std::string http_read_timeout = "30s";
  std::string http_idle_timeout = "60s";
  uint64_t http_max_connections = 2048;
  uint64_t http_max_connections_per_client = 128;
  uint64_t http_requests_per_second = 100;
  uint64_t http_request_burst = 1000;
  std::vector<std::string> http_limit_exempt = {"127.0.0.0/8", "::1/128"};
  // What share URLs (QR codes) start with, as patients reach this server
  // ("https://film.hospital.example"); empty = the request's own Host.
  std::string http_public_base_url;
  // The built web apps (Vite's output of web/); by default those installed
  // with this binary, else the ones it was built with (DefaultWebRoot).
  // Empty: no web apps (the pages answer 404).
  std::filesystem::path http_web_root = DefaultWebRoot();

  std::string dicom_bind = "127.0.0.1";
  uint16_t dicom_port = 11112;
  std::string aet = "CLOUDFILM";
  std::vector<std::string> allowed_callers;  // empty: any calling AE title
  // Where a calling AE title that no tenant lists belongs: a tenant code, or
  // "refuse". Empty: "default" when no tenants are configured (a fresh
  // install accepts anyone), "refuse" when some are.
  std::string dicom_unknown_callers;
  uint32_t max_pdu = 131072;
  int max_associations = 16;
  // AE title -> "host:port": C-MOVE destinations, and where Storage
  // Commitment results go when the requester released its association.
  std::map<std::string, std::string> dicom_destinations;
  // Storage Commitment reports that could not be delivered are retried
  // after this, then twice as long each time up to the maximum, and given
  // up this long after the request (DATA/commitments.sqlite).
  std::string dicom_commitment_retry = "30s";
  std::string dicom_commitment_retry_max = "30m";
  std::string dicom_commitment_give_up = "7d";
  // DICOM TLS on a port of its own (2762 is IANA's "dicom-tls"; 0 picks a
  // free one), beside the plain port; absent = no TLS listener.
  std::optional<uint16_t> dicom_tls_port;
  std::filesystem::path dicom_tls_certificate;
  std::filesystem::path dicom_tls_private_key;
  std::filesystem::path dicom_tls_ca_certificates;  // verifies client certificates
  bool dicom_tls_require_client_certificate = false;

  bool fsync = true;
  uint64_t max_object_size = 2ull << 30;
  // "htj2k": native images stored with reversible HTJ2K pixels, other
  // uncompressed objects with zstd, always rebuilt to the exact received
  // bytes (docs/storage-format.md). "jpeg-ls": the same with lossless
  // JPEG-LS pixels (about 10% smaller, 2-4x slower). "off": as received.
  std::string compression = "htj2k";
  // How long a newly received object stays as received before the idle
  // compactor gives it its stored form: "0" (right after the
  // acknowledgement), or a number with s, m, h or d ("24h", "7d"). Recent
  // exams are read most (viewers, patients, printers), and reading an
  // object as received costs no decoding; a day of raw objects is a small
  // share of 15-30 years of storage.
  std::string compress_after = "24h";
  // While objects keep arriving (a CT from a modality, a PACS forwarding a
  // day), their blob files are written in the pause after the burst,
  // until this many bytes wait: each object is written to the disk once
  // while the senders wait for their acknowledgements (its journal record)
  // instead of twice. It is disk space the journal holds for a while. 0
  // writes each blob as soon as it can.
  uint64_t filing_backlog = 1ull << 30;

  // Encryption at rest of blobs and journal records (docs/security.md).
  // The master key comes from $CLOUDFILM_MASTER_KEY, else this file, else
  // DATA/keys/master.key (generated on a fresh install, with a warning).
  bool encryption = true;
  std::filesystem::path master_key_file;
  // A platform-admin Bearer token for automation, read at startup from
  // $CLOUDFILM_BOOTSTRAP_TOKEN or else this file (docs/security.md).
  std::filesystem::path bootstrap_token_file;
  // Failed passwords in a row before an account locks (then 30 s, doubling
  // up to 15 min), and login attempts per client address per minute.
  int max_failed_logins = 5;
  int login_attempts_per_minute = 20;
  // Refused bearer tokens or session cookies per client address per minute
  // before that address is refused for a while (429).
  int credential_failures_per_minute = 60;
  // Roles that may open time-limited, flagged access to another hospital's
  // images in an emergency, and the longest such a grant lasts.
  std::vector<std::string> break_glass_roles = {"doctor"};
  std::string break_glass_max = "1h";
  // Browser sessions end after this much inactivity, and at the latest
  // after session_max ("30m", "12h").
  std::string session_idle = "30m";
  std::string session_max = "12h";
  // Platform and hospital admins must sign in with a TOTP second factor;
  // one without it may only sign in to enrol one (docs/security.md).
  bool require_totp_for_admins = false;

  // Hospitals besides `default` (which always exists and holds what was
  // stored before tenants were configured).
  std::vector<TenantConfig> tenants;
  // dicom_unknown_callers with its default applied: a tenant code or "refuse".
  std::string UnknownCallers() const {
    if (!dicom_unknown_callers.empty()) return dicom_unknown_callers;
    return tenants.empty() ? "default" : "refuse";
  }
  // Export of the audit trail to a hospital SIEM (docs/security.md): every
  // event, in order, as a DICOM PS3.15 audit message over syslog, to
  // "udp://host:514", "tcp://host:601" or "tls://host:6514"; empty = none.
  std::string audit_syslog;
  // TLS only: the CA bundle that verifies the collector's certificate
  // (empty: the system's trust store), and a client certificate and key
  // for collectors that require mutual TLS.
  std::filesystem::path audit_syslog_ca_file;
  std::filesystem::path audit_syslog_client_certificate;
  std::filesystem::path audit_syslog_client_private_key;
  // AuditSourceID of the messages; empty = "cloudfilm@" + the host name.
  std::string audit_source_id;

  // The transparency log of issued films (docs/security.md): the suite of
  // the platform's log key that signs its tree heads, "ed25519" or "sm2"
  // (SM2 with SM3, the national suite). Changing it makes a new key; heads
  // signed before stay verifiable with the old public key.
  std::string ledger_signature_suite = "ed25519";
  // RFC 3161 time-stamping of tree heads (ledger/timestamper.hpp): the
  // TSA's URL (empty: no time-stamps), the CA file its certificate must
  // chain to (required with a URL), CAs for an https:// TSA (empty: the
  // system's), and how often the log is looked at.
  std::string ledger_tsa_url;
  std::filesystem::path ledger_tsa_ca_file;
  std::filesystem::path ledger_tsa_https_ca_file;
  std::string ledger_tsa_interval = "10s";

  // Patient shares of films (docs/security.md): wrong factors in a row
  // before a share locks and for how long, the longest share session.
  int share_max_failures = 5;
  std::string share_lockout = "15m";
  std::string share_session_max = "2h";
  // Notifications to patients (docs/operations.md, "Notifications").
  NotifyConfig notify;

  std::filesystem::path CatalogPath() const { return data / "catalog.sqlite"; }
  std::filesystem::path LedgerPath() const { return data / "ledger.sqlite"; }
  std::filesystem::path KeysPath() const { return data / "keys"; }
  std::filesystem::path AccessPath() const { return data / "access.sqlite"; }
  std::filesystem::path AuditPath() const { return data / "audit.sqlite"; }
  std::filesystem::path ReportsPath() const { return data / "reports.sqlite"; }
  std::filesystem::path FilmsPath() const { return data / "films.sqlite"; }
  std::filesystem::path VisitsPath() const { return data / "visits.sqlite"; }
  std::filesystem::path PrintsPath() const { return data / "prints.sqlite"; }
  std::filesystem::path DicomNodesPath() const { return data / "dicom_nodes.sqlite"; }
  std::filesystem::path CommitmentsPath() const { return data / "commitments.sqlite"; }
  std::filesystem::path OutboxPath() const { return data / "outbox.sqlite"; }
  std::filesystem::path NotifyFilePath() const {
    return notify.file_path.empty() ? data / "notifications.jsonl" : notify.file_path;
  }
};

// "0", "90s", "30m", "24h", "7d" as seconds; kInvalidArgument otherwise.
// A certificate's SHA-256 fingerprint as the configuration gives it
// ("AB:CD:..." or plain hex) in lower-case hex without colons; empty when
// it is not 64 hex digits.
std::string CertificateFingerprint(std::string_view text);
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// Overlays the settings of a TOML file on `config`. Unknown keys are errors,
// so that a typo does not silently leave a default in effect.
Result<void> LoadConfigFile(const std::filesystem::path& path, Config& config);

// Checks ranges and combinations after every source was applied.
Result<void> Validate(const Config& config);

// Checks the TLS files named in `config` (run at startup, after Validate):
// each exists and is PEM, every private key matches its certificate, a CA
// bundle holds at least one certificate. Errors (kInvalidArgument) name the
// setting and the file; never its contents. A certificate that is expired
// or not yet valid is not an error: a line per such certificate is appended
// to `warnings`.
Result<void> CheckTlsFiles(const Config& config, std::vector<std::string>& warnings);

// Splits a DICOM peer address "host:port" (IPv4 address or host name);
// kInvalidArgument when it is not one.
Result<std::pair<std::string, uint16_t>> ParseDicomAddress(std::string_view address);

// Reads a --dicom-destination value "AE=host:port" into `config`.
Result<void> AddDicomDestination(std::string_view flag, Config& config);

// Where the master key comes from ("environment CLOUDFILM_MASTER_KEY", "file
// PATH", "generated file DATA/keys/master.key ..."); never the key.
std::string MasterKeySource(const Config& config);

// The AuditSourceID of exported audit messages: audit.source_id, else
// "cloudfilm@" + this machine's host name.
std::string AuditSourceId(const Config& config);

// The effective settings as TOML (what `cloudfilm config show` prints).
std::string ToToml(const Config& config);

}  // namespace cf::app
