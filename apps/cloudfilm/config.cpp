// SPDX-License-Identifier: Apache-2.0
#include "config.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <toml++/toml.h>

#include "access/role.hpp"
#include "access/share.hpp"
#include "audit/syslog_target.hpp"
#include "core/tenant.hpp"
#include "crypto/key_store.hpp"
#include "crypto/signing.hpp"
#include "http/server.hpp"
#include "toml_read.hpp"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace cf::app {
namespace {

Result<void> ValidateAuditExport(const Config& c) {
  const bool tls_files = !c.audit_syslog_ca_file.empty() ||
                         !c.audit_syslog_client_certificate.empty() ||
                         !c.audit_syslog_client_private_key.empty();
  if (c.audit_syslog.empty()) {
    if (tls_files) {
      return std::unexpected(
          ConfigError("audit.syslog_* files need audit.syslog = \"tls://host:port\""));
    }
  } else {
    auto target = audit::ParseSyslogTarget(c.audit_syslog);
    if (!target) return std::unexpected(ConfigError("audit.syslog: " + target.error().message));
    if (tls_files && target->protocol != audit::SyslogProtocol::kTls) {
      return std::unexpected(
          ConfigError("audit.syslog_ca_file and the client certificate need a tls:// collector"));
    }
  }
  if (c.audit_syslog_client_certificate.empty() != c.audit_syslog_client_private_key.empty()) {
    return std::unexpected(
        ConfigError("audit.syslog_client_certificate and audit.syslog_client_private_key go "
                    "together: set both or neither"));
  }
  // It goes into every message's XML and must stay one printable line.
  if (c.audit_source_id.size() > 255 ||
      c.audit_source_id.find_first_of("\r\n\t") != std::string::npos) {
    return std::unexpected(ConfigError("audit.source_id must be one line of at most 255 bytes"));
  }
  return {};
}

}  // namespace

std::string CertificateFingerprint(std::string_view text) {
  std::string hex;
  for (const char ch : text) {
    if (ch == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return {};
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return hex.size() == 64 ? hex : std::string();
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text == "0") return std::chrono::seconds(0);
  int64_t unit = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        break;
    }
  }
  const std::string_view digits = text.substr(0, text.empty() ? 0 : text.size() - 1);
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (unit == 0 || digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
      n < 0 || n > 100 * 365) {
    return Fail(ErrorCode::kInvalidArgument,
                "a duration is 0 or a number with s, m, h or d, such as 24h");
  }
  return std::chrono::seconds(n * unit);
}

std::filesystem::path DefaultWebRoot() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share" / "cloudfilm" / "web";
    if (std::filesystem::is_regular_file(installed / "index.html", ec)) return installed;
  }
  return CF_DEFAULT_WEB_ROOT;
}

Result<void> LoadConfigFile(const std::filesystem::path& path, Config& c) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "cannot read config " << path.string() << ": " << e.description() << " (line "
        << e.source().begin.line << ")";
    return std::unexpected(ConfigError(msg.str()));
  }
  if (auto r = CheckKeys(root,
                         {"data", "log_level", "http", "dicom", "storage", "security", "tenants",
                          "audit", "ledger", "shares", "notify"},
                         "");
      !r)
    return r;
  Result<void> r;
  if (!(r = Read(root, "data", c.data, ""))) return r;
  if (!(r = Read(root, "log_level", c.log_level, ""))) return r;
  if (const toml::table* h = root["http"].as_table()) {
    if (!(r = CheckKeys(*h,
                        {"bind",
                         "port",
                         "threads",
                         "blocking_threads",
                         "max_upload_bytes",
                         "upload_memory_bytes",
                         "cors_allow_origin",
                         "tls_certificate",
                         "tls_private_key",
                         "max_header_bytes",
                         "max_body_bytes",
                         "read_timeout",
                         "idle_timeout",
                         "max_connections",
                         "max_connections_per_client",
                         "requests_per_second",
                         "request_burst",
                         "limit_exempt",
                         "public_base_url",
                         "web_root"},
                        "http.")))
      return r;
    if (!(r = Read(*h, "max_header_bytes", c.http_max_header_bytes, "http."))) return r;
    if (!(r = Read(*h, "max_body_bytes", c.http_max_body_bytes, "http."))) return r;
    if (!(r = Read(*h, "read_timeout", c.http_read_timeout, "http."))) return r;
    if (!(r = Read(*h, "idle_timeout", c.http_idle_timeout, "http."))) return r;
    if (!(r = Read(*h, "max_connections", c.http_max_connections, "http."))) return r;
    if (!(r = Read(*h, "max_connections_per_client", c.http_max_connections_per_client, "http.")))
      return r;
    if (!(r = Read(*h, "requests_per_second", c.http_requests_per_second, "http."))) return r;
    if (!(r = Read(*h, "request_burst", c.http_request_burst, "http."))) return r;
    if (!(r = Read(*h, "limit_exempt", c.http_limit_exempt, "http."))) return r;
    if (!(r = Read(*h, "tls_certificate", c.http_tls_certificate, "http."))) return r;
    if (!(r = Read(*h, "tls_private_key", c.http_tls_private_key, "http."))) return r;
    if (!(r = Read(*h, "bind", c.http_bind, "http."))) return r;
    if (!(r = Read(*h, "port", c.http_port, "http."))) return r;
    if (!(r = Read(*h, "threads", c.http_threads, "http."))) return r;
    if (!(r = Read(*h, "blocking_threads", c.blocking_threads, "http."))) return r;
    if (!(r = Read(*h, "max_upload_bytes", c.max_upload_bytes, "http."))) return r;
    if (!(r = Read(*h, "upload_memory_bytes", c.upload_memory_bytes, "http."))) return r;
    if (!(r = Read(*h, "cors_allow_origin", c.http_cors_allow_origin, "http."))) return r;
    if (!(r = Read(*h, "public_base_url", c.http_public_base_url, "http."))) return r;
    if (!(r = Read(*h, "web_root", c.http_web_root, "http."))) return r;
  }
  if (const toml::table* s = root["shares"].as_table()) {
    if (!(r = CheckKeys(*s, {"max_failures", "lockout", "session_max"}, "shares."))) return r;
    if (!(r = Read(*s, "max_failures", c.share_max_failures, "shares."))) return r;
    if (!(r = Read(*s, "lockout", c.share_lockout, "shares."))) return r;
    if (!(r = Read(*s, "session_max", c.share_session_max, "shares."))) return r;
  }
  if (const toml::table* d = root["dicom"].as_table()) {
    if (!(r = CheckKeys(*d,
                        {"bind", "port", "aet", "allowed_callers", "unknown_callers", "max_pdu",
                         "max_associations", "destinations", "tls_port", "tls_certificate",
                         "tls_private_key", "tls_ca_certificates", "tls_require_client_certificate",
                         "commitment_retry", "commitment_retry_max", "commitment_give_up"},
                        "dicom.")))
      return r;
    if (d->contains("tls_port")) {
      uint16_t tls_port = 0;
      if (!(r = Read(*d, "tls_port", tls_port, "dicom."))) return r;
      c.dicom_tls_port = tls_port;
    }
    if (!(r = Read(*d, "tls_certificate", c.dicom_tls_certificate, "dicom."))) return r;
    if (!(r = Read(*d, "tls_private_key", c.dicom_tls_private_key, "dicom."))) return r;
    if (!(r = Read(*d, "tls_ca_certificates", c.dicom_tls_ca_certificates, "dicom."))) return r;
    if (!(r = Read(*d, "tls_require_client_certificate", c.dicom_tls_require_client_certificate,
                   "dicom.")))
      return r;
    if (!(r = Read(*d, "bind", c.dicom_bind, "dicom."))) return r;
    if (!(r = Read(*d, "port", c.dicom_port, "dicom."))) return r;
    if (!(r = Read(*d, "aet", c.aet, "dicom."))) return r;
    if (!(r = Read(*d, "allowed_callers", c.allowed_callers, "dicom."))) return r;
    if (!(r = Read(*d, "unknown_callers", c.dicom_unknown_callers, "dicom."))) return r;
    if (!(r = Read(*d, "max_pdu", c.max_pdu, "dicom."))) return r;
    if (!(r = Read(*d, "max_associations", c.max_associations, "dicom."))) return r;
    if (!(r = Read(*d, "commitment_retry", c.dicom_commitment_retry, "dicom."))) return r;
    if (!(r = Read(*d, "commitment_retry_max", c.dicom_commitment_retry_max, "dicom."))) return r;
    if (!(r = Read(*d, "commitment_give_up", c.dicom_commitment_give_up, "dicom."))) return r;
    if (const toml::node* n = d->get("destinations")) {
      const toml::table* t = n->as_table();
      if (t == nullptr) {
        return std::unexpected(
            ConfigError("dicom.destinations must be a table of AE = \"host:port\""));
      }
      for (const auto& [ae, address] : *t) {
        auto v = address.value<std::string>();
        if (!v) {
          return std::unexpected(ConfigError("dicom.destinations." + std::string(ae.str()) +
                                             " must be a string \"host:port\""));
        }
        c.dicom_destinations[std::string(ae.str())] = *v;
      }
    }
  }
  if (const toml::table* s = root["storage"].as_table()) {
    if (!(r = CheckKeys(
              *s, {"fsync", "max_object_size", "compression", "compress_after", "filing_backlog"},
              "storage."))) {
      return r;
    }
    if (!(r = Read(*s, "compression", c.compression, "storage."))) return r;
    if (!(r = Read(*s, "compress_after", c.compress_after, "storage."))) return r;
    if (!(r = Read(*s, "fsync", c.fsync, "storage."))) return r;
    if (!(r = Read(*s, "max_object_size", c.max_object_size, "storage."))) return r;
    if (!(r = Read(*s, "filing_backlog", c.filing_backlog, "storage."))) return r;
  }
  if (const toml::table* s = root["security"].as_table()) {
    if (!(r = CheckKeys(
              *s,
              {"encryption", "master_key_file", "bootstrap_token_file", "max_failed_logins",
               "login_attempts_per_minute", "credential_failures_per_minute", "session_idle",
               "session_max", "break_glass_roles", "break_glass_max", "require_totp_for_admins"},
              "security."))) {
      return r;
    }
    if (!(r = Read(*s, "encryption", c.encryption, "security."))) return r;
    if (!(r = Read(*s, "master_key_file", c.master_key_file, "security."))) return r;
    if (!(r = Read(*s, "bootstrap_token_file", c.bootstrap_token_file, "security."))) return r;
    if (!(r = Read(*s, "max_failed_logins", c.max_failed_logins, "security."))) return r;
    if (!(r = Read(*s, "login_attempts_per_minute", c.login_attempts_per_minute, "security."))) {
      return r;
    }
    if (!(r = Read(*s, "credential_failures_per_minute", c.credential_failures_per_minute,
                   "security."))) {
      return r;
    }
    if (!(r = Read(*s, "session_idle", c.session_idle, "security."))) return r;
    if (!(r = Read(*s, "break_glass_roles", c.break_glass_roles, "security."))) return r;
    if (!(r = Read(*s, "break_glass_max", c.break_glass_max, "security."))) return r;
    if (!(r = Read(*s, "session_max", c.session_max, "security."))) return r;
    if (!(r = Read(*s, "require_totp_for_admins", c.require_totp_for_admins, "security."))) {
      return r;
    }
  }
  if (const toml::node* n = root.get("tenants")) {
    const toml::table* all = n->as_table();
    if (all == nullptr) return std::unexpected(ConfigError("tenants must be a table of tables"));
    for (const auto& [code, node] : *all) {
      const std::string where = "tenants." + std::string(code.str()) + ".";
      const toml::table* t = node.as_table();
      if (t == nullptr) {
        return std::unexpected(ConfigError("tenants." + std::string(code.str()) +
                                           " must be a table ([tenants.<code>])"));
      }
      if (!(r = CheckKeys(*t,
                          {"name", "region", "ae_titles", "crypto_suite", "service_tier_years",
                           "share_factor", "notify_provider", "dicom_client_certificates"},
                          where))) {
        return r;
      }
      TenantConfig tenant;
      tenant.code = std::string(code.str());
      if (!(r = Read(*t, "name", tenant.name, where))) return r;
      if (!(r = Read(*t, "region", tenant.region, where))) return r;
      if (!(r = Read(*t, "ae_titles", tenant.ae_titles, where))) return r;
      if (!(r = Read(*t, "service_tier_years", tenant.service_tier_years, where))) return r;
      if (tenant.service_tier_years != 5 && tenant.service_tier_years != 10 &&
          tenant.service_tier_years != 15 && tenant.service_tier_years != 30) {
        return std::unexpected(ConfigError(where + "service_tier_years must be 5, 10, 15 or 30"));
      }
      if (!(r = Read(*t, "crypto_suite", tenant.crypto_suite, where))) return r;
      if (!(r = Read(*t, "share_factor", tenant.share_factor, where))) return r;
      if (!(r = Read(*t, "notify_provider", tenant.notify_provider, where))) return r;
      if (!(r = Read(*t, "dicom_client_certificates", tenant.dicom_client_certificates, where)))
        return r;
      c.tenants.push_back(std::move(tenant));
    }
  }
  if (const toml::table* a = root["audit"].as_table()) {
    if (!(r = CheckKeys(*a,
                        {"syslog", "syslog_ca_file", "syslog_client_certificate",
                         "syslog_client_private_key", "source_id"},
                        "audit."))) {
      return r;
    }
    if (!(r = Read(*a, "syslog", c.audit_syslog, "audit."))) return r;
    if (!(r = Read(*a, "syslog_ca_file", c.audit_syslog_ca_file, "audit."))) return r;
    if (!(r = Read(*a, "syslog_client_certificate", c.audit_syslog_client_certificate, "audit."))) {
      return r;
    }
    if (!(r = Read(*a, "syslog_client_private_key", c.audit_syslog_client_private_key, "audit."))) {
      return r;
    }
    if (!(r = Read(*a, "source_id", c.audit_source_id, "audit."))) return r;
  }
  if (const toml::table* l = root["ledger"].as_table()) {
    if (!(r = CheckKeys(
              *l,
              {"signature_suite", "tsa_url", "tsa_ca_file", "tsa_https_ca_file", "tsa_interval"},
              "ledger.")))
      return r;
    if (!(r = Read(*l, "signature_suite", c.ledger_signature_suite, "ledger."))) return r;
    if (!(r = Read(*l, "tsa_url", c.ledger_tsa_url, "ledger."))) return r;
    if (!(r = Read(*l, "tsa_ca_file", c.ledger_tsa_ca_file, "ledger."))) return r;
    if (!(r = Read(*l, "tsa_https_ca_file", c.ledger_tsa_https_ca_file, "ledger."))) return r;
    if (!(r = Read(*l, "tsa_interval", c.ledger_tsa_interval, "ledger."))) return r;
  }
  if (const toml::node* n = root.get("notify")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return std::unexpected(ConfigError("notify must be a table"));
    if (!(r = ReadNotifyConfig(*t, c.notify))) return r;
  }
  return {};
}

Result<void> Validate(const Config& c) {
  if (c.aet.empty() || c.aet.size() > 16)
    return std::unexpected(ConfigError("dicom.aet must be 1 to 16 characters"));
  for (const auto& a : c.allowed_callers) {
    if (a.empty() || a.size() > 16)
      return std::unexpected(
          ConfigError("dicom.allowed_callers entries must be 1 to 16 characters"));
  }
  std::set<std::string> codes = {std::string(kDefaultTenant)};
  std::map<std::string, std::string> tenant_of_ae;
  std::map<std::string, std::string> tenant_of_certificate;
  for (const auto& t : c.tenants) {
    if (!IsValidTenantCode(t.code))
      return std::unexpected(ConfigError("tenants." + t.code +
                                         ": a tenant code is 1 to 32 of a-z, 0-9 and '-', "
                                         "starting with a letter"));
    codes.insert(t.code);
    if (t.crypto_suite != "default" && t.crypto_suite != "sm")
      return std::unexpected(
          ConfigError("tenants." + t.code + ".crypto_suite must be \"default\" or \"sm\""));
    if (const auto factor = access::ParseShareFactor(t.share_factor);
        !factor || *factor == access::ShareFactor::kNone)
      return std::unexpected(ConfigError("tenants." + t.code +
                                         ".share_factor must be \"birth-date\", \"phone-last4\", "
                                         "\"id-last4\" or \"one-time-code\""));
    for (const auto& ae : t.ae_titles) {
      if (ae.empty() || ae.size() > 16 || ae.find('\\') != std::string::npos)
        return std::unexpected(ConfigError("tenants." + t.code + ".ae_titles: '" + ae +
                                           "' must be 1 to 16 characters"));
      if (auto [it, fresh] = tenant_of_ae.emplace(ae, t.code); !fresh)
        return std::unexpected(ConfigError("AE title '" + ae + "' is listed by tenants " +
                                           it->second + " and " + t.code +
                                           ": an AE title belongs to one hospital"));
    }
    for (const auto& fingerprint : t.dicom_client_certificates) {
      const std::string hex = CertificateFingerprint(fingerprint);
      if (hex.empty())
        return std::unexpected(
            ConfigError("tenants." + t.code + ".dicom_client_certificates: '" + fingerprint +
                        "' must be a SHA-256 fingerprint (64 hex digits, colons allowed), as "
                        "`openssl x509 -noout -fingerprint -sha256` prints it"));
      if (auto [it, fresh] = tenant_of_certificate.emplace(hex, t.code); !fresh)
        return std::unexpected(ConfigError("a client certificate is listed by tenants " +
                                           it->second + " and " + t.code +
                                           ": a certificate belongs to one hospital"));
    }
  }
  if (const std::string unknown = c.UnknownCallers();
      unknown != "refuse" && !codes.contains(unknown))
    return std::unexpected(
        ConfigError("dicom.unknown_callers must be \"refuse\" or a tenant code "
                    "(default or one of [tenants])"));
  if (!crypto::ParseSignatureSuite(c.ledger_signature_suite))
    return std::unexpected(ConfigError("ledger.signature_suite must be \"ed25519\" or \"sm2\""));
  if (!c.ledger_tsa_url.empty()) {
    if (!c.ledger_tsa_url.starts_with("http://") && !c.ledger_tsa_url.starts_with("https://"))
      return std::unexpected(ConfigError("ledger.tsa_url must be an http:// or https:// URL"));
    // An unchecked time-stamp would be anyone's word: the CA is required.
    if (c.ledger_tsa_ca_file.empty())
      return std::unexpected(
          ConfigError("ledger.tsa_ca_file is required with ledger.tsa_url (the CA the TSA's "
                      "certificate must chain to)"));
  }
  if (const auto every = ParseDuration(c.ledger_tsa_interval); !every || every->count() < 1)
    return std::unexpected(ConfigError("ledger.tsa_interval must be a duration of 1s or more"));
  if (c.max_pdu < 4096 || c.max_pdu > 131072)
    return std::unexpected(ConfigError("dicom.max_pdu must be between 4096 and 131072"));
  if (c.max_associations < 1 || c.max_associations > 1024)
    return std::unexpected(ConfigError("dicom.max_associations must be between 1 and 1024"));
  for (const auto& [ae, address] : c.dicom_destinations) {
    if (ae.empty() || ae.size() > 16 || ae.find('\\') != std::string::npos)
      return std::unexpected(
          ConfigError("dicom.destinations: AE title '" + ae + "' must be 1 to 16 characters"));
    if (auto parsed = ParseDicomAddress(address); !parsed)
      return std::unexpected(
          ConfigError("dicom.destinations." + ae + ": " + parsed.error().message));
  }
  if (c.http_tls_certificate.empty() != c.http_tls_private_key.empty())
    return std::unexpected(ConfigError(
        "http.tls_certificate and http.tls_private_key go together: set both or neither"));
  if (c.dicom_tls_port) {
    if (c.dicom_tls_certificate.empty() || c.dicom_tls_private_key.empty())
      return std::unexpected(
          ConfigError("dicom.tls_port needs dicom.tls_certificate and dicom.tls_private_key"));
    if (*c.dicom_tls_port != 0 && *c.dicom_tls_port == c.dicom_port)
      return std::unexpected(ConfigError("dicom.tls_port must differ from dicom.port"));
  } else if (!c.dicom_tls_certificate.empty() || !c.dicom_tls_private_key.empty() ||
             !c.dicom_tls_ca_certificates.empty() || c.dicom_tls_require_client_certificate) {
    return std::unexpected(
        ConfigError("dicom.tls_* settings need dicom.tls_port (the DICOM TLS listener's port)"));
  }
  if (c.dicom_tls_require_client_certificate && c.dicom_tls_ca_certificates.empty())
    return std::unexpected(ConfigError(
        "dicom.tls_require_client_certificate needs dicom.tls_ca_certificates to verify them"));
  if (c.http_threads < 1 || c.http_threads > 256)
    return std::unexpected(ConfigError("http.threads must be between 1 and 256"));
  if (c.blocking_threads < 1 || c.blocking_threads > 256)
    return std::unexpected(ConfigError("http.blocking_threads must be between 1 and 256"));
  if (c.max_upload_bytes < 1024)
    return std::unexpected(ConfigError("http.max_upload_bytes is too small"));
  // It goes into a header as it is.
  if (c.http_cors_allow_origin.find_first_of("\r\n") != std::string::npos)
    return std::unexpected(ConfigError("http.cors_allow_origin must be one line"));
  if (c.http_max_header_bytes < 1024 || c.http_max_header_bytes > (1u << 20))
    return std::unexpected(ConfigError("http.max_header_bytes must be from 1024 to 1048576"));
  if (c.http_max_body_bytes < 1024)
    return std::unexpected(ConfigError("http.max_body_bytes is too small"));
  for (const auto& [name, value] : {std::pair{"http.read_timeout", &c.http_read_timeout},
                                    {"http.idle_timeout", &c.http_idle_timeout}}) {
    const auto parsed = ParseDuration(*value);
    if (!parsed || parsed->count() < 1) {
      return std::unexpected(
          ConfigError(std::string(name) + " must be a duration of at least 1 s, such as \"30s\""));
    }
  }
  if (c.http_requests_per_second > 0 && c.http_request_burst < 1)
    return std::unexpected(ConfigError("http.request_burst must be at least 1"));
  if (auto checked = http::CheckClientNetworks(c.http_limit_exempt); !checked)
    return std::unexpected(ConfigError("http.limit_exempt: " + checked.error().message));
  if (c.compression != "jpeg-ls" && c.compression != "htj2k" && c.compression != "off")
    return std::unexpected(
        ConfigError("storage.compression must be \"jpeg-ls\", \"htj2k\" or \"off\""));
  if (!ParseDuration(c.compress_after)) {
    return std::unexpected(ConfigError(
        "storage.compress_after must be 0 or a number with s, m, h or d, such as \"24h\""));
  }
  if (c.max_object_size < 1024)
    return std::unexpected(ConfigError("storage.max_object_size is too small"));
  for (const auto& [name, value] : {std::pair{"security.session_idle", &c.session_idle},
                                    {"security.session_max", &c.session_max}}) {
    const auto parsed = ParseDuration(*value);
    if (!parsed || parsed->count() < 60) {
      return std::unexpected(ConfigError(
          std::string(name) + " must be a duration of at least 1 minute, such as \"30m\""));
    }
  }
  if (c.max_failed_logins < 1 || c.max_failed_logins > 1000) {
    return std::unexpected(ConfigError("security.max_failed_logins must be from 1 to 1000"));
  }
  for (const auto& role : c.break_glass_roles) {
    if (!access::ParseRole(role)) {
      return std::unexpected(
          ConfigError("security.break_glass_roles: unknown role \"" + role + "\""));
    }
  }
  if (const auto max = ParseDuration(c.break_glass_max); !max || max->count() < 60) {
    return std::unexpected(
        ConfigError("security.break_glass_max must be a duration of at least 1 minute"));
  }
  if (c.credential_failures_per_minute < 1 || c.credential_failures_per_minute > 100000) {
    return std::unexpected(
        ConfigError("security.credential_failures_per_minute must be from 1 to 100000"));
  }
  if (c.login_attempts_per_minute < 1 || c.login_attempts_per_minute > 100000) {
    return std::unexpected(
        ConfigError("security.login_attempts_per_minute must be from 1 to 100000"));
  }
  if (c.share_max_failures < 1 || c.share_max_failures > 100) {
    return std::unexpected(ConfigError("shares.max_failures must be from 1 to 100"));
  }
  for (const auto& [name, value] : {std::pair{"shares.lockout", &c.share_lockout},
                                    {"shares.session_max", &c.share_session_max}}) {
    const auto parsed = ParseDuration(*value);
    if (!parsed || parsed->count() < 60) {
      return std::unexpected(ConfigError(
          std::string(name) + " must be a duration of at least 1 minute, such as \"15m\""));
    }
  }
  for (const auto& [name, value] : {std::pair{"dicom.commitment_retry", &c.dicom_commitment_retry},
                                    {"dicom.commitment_retry_max", &c.dicom_commitment_retry_max},
                                    {"dicom.commitment_give_up", &c.dicom_commitment_give_up}}) {
    const auto parsed = ParseDuration(*value);
    if (!parsed || parsed->count() < 1) {
      return std::unexpected(ConfigError(std::string(name) +
                                         " must be a duration of at least 1 second, such as "
                                         "\"30s\""));
    }
  }
  if (!c.http_public_base_url.empty() && !c.http_public_base_url.starts_with("https://") &&
      !c.http_public_base_url.starts_with("http://")) {
    return std::unexpected(ConfigError("http.public_base_url must start with https:// or http://"));
  }
  if (auto r = ValidateAuditExport(c); !r) return r;
  if (auto r = ValidateNotify(c); !r) return r;
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error"};
  if (!kLevels.contains(c.log_level))
    return std::unexpected(ConfigError("log_level must be debug, info, warn or error"));
  if (c.data.empty()) return std::unexpected(ConfigError("data must name a folder"));
  return {};
}

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using UniqueFile = std::unique_ptr<std::FILE, FileCloser>;
using UniqueX509 = std::unique_ptr<X509, X509Free>;

Result<UniqueFile> OpenPem(const std::string& setting, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return std::unexpected(ConfigError(setting + ": no such file " + path.string()));
  }
  UniqueFile file(std::fopen(path.c_str(), "rb"));
  if (!file) return std::unexpected(ConfigError(setting + ": cannot read " + path.string()));
  return file;
}

// Every certificate of a PEM file (a chain or a bundle), first one first.
Result<std::vector<UniqueX509>> ReadCertificates(const std::string& setting,
                                                 const std::filesystem::path& path) {
  auto file = OpenPem(setting, path);
  if (!file) return std::unexpected(file.error());
  std::vector<UniqueX509> certificates;
  while (X509* x = PEM_read_X509(file->get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(x);
  }
  if (certificates.empty()) {
    return std::unexpected(
        ConfigError(setting + ": " + path.string() + " holds no PEM certificate"));
  }
  return certificates;
}

void CheckValidity(const std::string& setting, const std::filesystem::path& path,
                   const X509* certificate, std::vector<std::string>& warnings) {
  if (X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0) {
    warnings.push_back(setting + ": certificate " + path.string() + " has expired");
  } else if (X509_cmp_current_time(X509_get0_notBefore(certificate)) > 0) {
    warnings.push_back(setting + ": certificate " + path.string() + " is not valid yet");
  }
}

Result<void> CheckPair(const std::string& certificate_setting,
                       const std::filesystem::path& certificate_path,
                       const std::string& key_setting, const std::filesystem::path& key_path,
                       std::vector<std::string>& warnings) {
  auto certificates = ReadCertificates(certificate_setting, certificate_path);
  if (!certificates) return std::unexpected(certificates.error());
  CheckValidity(certificate_setting, certificate_path, certificates->front().get(), warnings);
  auto file = OpenPem(key_setting, key_path);
  if (!file) return std::unexpected(file.error());
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_PrivateKey(file->get(), nullptr, nullptr, nullptr));
  if (!key) {
    return std::unexpected(ConfigError(key_setting + ": " + key_path.string() +
                                       " is not an unencrypted PEM private key"));
  }
  if (X509_check_private_key(certificates->front().get(), key.get()) != 1) {
    return std::unexpected(ConfigError(key_setting + ": " + key_path.string() +
                                       " does not match the certificate " +
                                       certificate_path.string()));
  }
  return {};
}

}  // namespace

Result<void> CheckTlsFiles(const Config& c, std::vector<std::string>& warnings) {
  if (!c.http_tls_certificate.empty()) {
    if (auto r = CheckPair("http.tls_certificate", c.http_tls_certificate, "http.tls_private_key",
                           c.http_tls_private_key, warnings);
        !r)
      return r;
  }
  if (!c.audit_syslog_client_certificate.empty()) {
    if (auto r = CheckPair("audit.syslog_client_certificate", c.audit_syslog_client_certificate,
                           "audit.syslog_client_private_key", c.audit_syslog_client_private_key,
                           warnings);
        !r)
      return r;
  }
  if (!c.audit_syslog_ca_file.empty()) {
    auto bundle = ReadCertificates("audit.syslog_ca_file", c.audit_syslog_ca_file);
    if (!bundle) return std::unexpected(bundle.error());
    for (const auto& certificate : *bundle) {
      CheckValidity("audit.syslog_ca_file", c.audit_syslog_ca_file, certificate.get(), warnings);
    }
  }
  if (c.dicom_tls_port) {
    if (auto r = CheckPair("dicom.tls_certificate", c.dicom_tls_certificate,
                           "dicom.tls_private_key", c.dicom_tls_private_key, warnings);
        !r)
      return r;
    if (!c.dicom_tls_ca_certificates.empty()) {
      auto bundle = ReadCertificates("dicom.tls_ca_certificates", c.dicom_tls_ca_certificates);
      if (!bundle) return std::unexpected(bundle.error());
      for (const auto& certificate : *bundle) {
        CheckValidity("dicom.tls_ca_certificates", c.dicom_tls_ca_certificates, certificate.get(),
                      warnings);
      }
    }
  }
  return {};
}

Result<std::pair<std::string, uint16_t>> ParseDicomAddress(std::string_view address) {
  const auto colon = address.rfind(':');
  auto bad = [&] {
    return std::unexpected(
        ConfigError("DICOM address must be \"host:port\", got \"" + std::string(address) + "\""));
  };
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) return bad();
  const std::string_view port_text = address.substr(colon + 1);
  uint32_t port = 0;
  for (char ch : port_text) {
    if (ch < '0' || ch > '9' || port > 65535) return bad();
    port = port * 10 + static_cast<uint32_t>(ch - '0');
  }
  if (port == 0 || port > 65535) return bad();
  return std::pair{std::string(address.substr(0, colon)), static_cast<uint16_t>(port)};
}

Result<void> AddDicomDestination(std::string_view flag, Config& config) {
  const auto eq = flag.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return std::unexpected(
        ConfigError("--dicom-destination must be AE=host:port, got \"" + std::string(flag) + "\""));
  }
  config.dicom_destinations[std::string(flag.substr(0, eq))] = std::string(flag.substr(eq + 1));
  return {};
}

std::string MasterKeySource(const Config& c) {
  return crypto::DescribeMasterKeySource(
      {"CLOUDFILM_MASTER_KEY", c.master_key_file, c.KeysPath() / "master.key"});
}

std::string AuditSourceId(const Config& c) {
  if (!c.audit_source_id.empty()) return c.audit_source_id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == 0) return "cloudfilm";
  return std::string("cloudfilm@") + host;
}

std::string ToToml(const Config& c) {
  toml::array break_glass_roles;
  for (const auto& r : c.break_glass_roles) break_glass_roles.push_back(r);
  toml::array callers;
  toml::array limit_exempt;
  for (const auto& e : c.http_limit_exempt) limit_exempt.push_back(e);
  for (const auto& a : c.allowed_callers) callers.push_back(a);
  toml::table destinations;
  for (const auto& [ae, address] : c.dicom_destinations) destinations.insert(ae, address);
  toml::table tenants;
  for (const auto& tenant : c.tenants) {
    toml::array ae_titles;
    for (const auto& ae : tenant.ae_titles) ae_titles.push_back(ae);
    toml::array certificates;
    for (const auto& f : tenant.dicom_client_certificates) certificates.push_back(f);
    tenants.insert(tenant.code, toml::table{{"name", tenant.name},
                                            {"region", tenant.region},
                                            {"ae_titles", ae_titles},
                                            {"service_tier_years", tenant.service_tier_years},
                                            {"crypto_suite", tenant.crypto_suite},
                                            {"share_factor", tenant.share_factor},
                                            {"notify_provider", tenant.notify_provider},
                                            {"dicom_client_certificates", certificates}});
  }
  toml::table t{
      {"data", c.data.string()},
      {"log_level", c.log_level},
      {"http",
       toml::table{
           {"bind", c.http_bind},
           {"port", c.http_port},
           {"threads", c.http_threads},
           {"blocking_threads", c.blocking_threads},
           {"max_upload_bytes", static_cast<int64_t>(c.max_upload_bytes)},
           {"upload_memory_bytes", static_cast<int64_t>(c.upload_memory_bytes)},
           {"cors_allow_origin", c.http_cors_allow_origin},
           {"tls_certificate", c.http_tls_certificate.string()},
           {"tls_private_key", c.http_tls_private_key.string()},
           {"max_header_bytes", static_cast<int64_t>(c.http_max_header_bytes)},
           {"max_body_bytes", static_cast<int64_t>(c.http_max_body_bytes)},
           {"read_timeout", c.http_read_timeout},
           {"idle_timeout", c.http_idle_timeout},
           {"max_connections", static_cast<int64_t>(c.http_max_connections)},
           {"max_connections_per_client", static_cast<int64_t>(c.http_max_connections_per_client)},
           {"requests_per_second", static_cast<int64_t>(c.http_requests_per_second)},
           {"request_burst", static_cast<int64_t>(c.http_request_burst)},
           {"limit_exempt", limit_exempt},
           {"public_base_url", c.http_public_base_url},
           {"web_root", c.http_web_root.string()}}},
      {"shares", toml::table{{"max_failures", c.share_max_failures},
                             {"lockout", c.share_lockout},
                             {"session_max", c.share_session_max}}},
      {"dicom",
       toml::table{{"bind", c.dicom_bind},
                   {"port", c.dicom_port},
                   {"aet", c.aet},
                   {"allowed_callers", callers},
                   {"unknown_callers", c.UnknownCallers()},
                   {"max_pdu", static_cast<int64_t>(c.max_pdu)},
                   {"max_associations", c.max_associations},
                   {"destinations", destinations},
                   {"tls_certificate", c.dicom_tls_certificate.string()},
                   {"tls_private_key", c.dicom_tls_private_key.string()},
                   {"tls_ca_certificates", c.dicom_tls_ca_certificates.string()},
                   {"tls_require_client_certificate", c.dicom_tls_require_client_certificate},
                   {"commitment_retry", c.dicom_commitment_retry},
                   {"commitment_retry_max", c.dicom_commitment_retry_max},
                   {"commitment_give_up", c.dicom_commitment_give_up}}},
      {"storage", toml::table{{"fsync", c.fsync},
                              {"compression", c.compression},
                              {"compress_after", c.compress_after},
                              {"max_object_size", static_cast<int64_t>(c.max_object_size)},
                              {"filing_backlog", static_cast<int64_t>(c.filing_backlog)}}},
      {"security", toml::table{{"encryption", c.encryption},
                               {"master_key_file", c.master_key_file.string()},
                               {"bootstrap_token_file", c.bootstrap_token_file.string()},
                               {"max_failed_logins", c.max_failed_logins},
                               {"login_attempts_per_minute", c.login_attempts_per_minute},
                               {"credential_failures_per_minute", c.credential_failures_per_minute},
                               {"break_glass_roles", break_glass_roles},
                               {"break_glass_max", c.break_glass_max},
                               {"session_idle", c.session_idle},
                               {"session_max", c.session_max},
                               {"require_totp_for_admins", c.require_totp_for_admins}}},
      {"tenants", tenants},
      {"audit",
       toml::table{{"syslog", c.audit_syslog},
                   {"syslog_ca_file", c.audit_syslog_ca_file.string()},
                   {"syslog_client_certificate", c.audit_syslog_client_certificate.string()},
                   {"syslog_client_private_key", c.audit_syslog_client_private_key.string()},
                   {"source_id", c.audit_source_id}}},
      {"ledger", toml::table{{"signature_suite", c.ledger_signature_suite},
                             {"tsa_url", c.ledger_tsa_url},
                             {"tsa_ca_file", c.ledger_tsa_ca_file.string()},
                             {"tsa_https_ca_file", c.ledger_tsa_https_ca_file.string()},
                             {"tsa_interval", c.ledger_tsa_interval}}},
      {"notify", NotifyToToml(c.notify)},
  };
  // Absent = no DICOM TLS listener, which TOML can only say by leaving it out.
  if (c.dicom_tls_port) {
    t["dicom"].as_table()->insert("tls_port", static_cast<int64_t>(*c.dicom_tls_port));
  }
  std::ostringstream out;
  out << t << "\n";
  out << "# encryption at rest: " << (c.encryption ? "on (blobs, journal and databases)" : "off")
      << "; master key from " << MasterKeySource(c) << "\n";
  out << "# audit export: "
      << (c.audit_syslog.empty()
              ? std::string("off")
              : "every audit event to " + c.audit_syslog + " as AuditSourceID " + AuditSourceId(c))
      << "\n";
  return out.str();
}

}  // namespace cf::app
