// SPDX-License-Identifier: Apache-2.0
// `cloudfilm serve`: DIMSE and HTTP in one process over one archive. SIGTERM
// or SIGINT stops gracefully: no new associations or connections, in-flight
// ones finish, then the process exits 0. Every acknowledged object is
// already durable, so even a SIGKILL loses nothing acknowledged.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "../audit_export.hpp"
#include "../notify_setup.hpp"
#include "../runtime.hpp"
#include "access/dicom_nodes.hpp"
#include "archive/reencryptor.hpp"
#include "commands.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "dicom/dictionary.hpp"
#include "dimse/commitment_outbox.hpp"
#include "dimse/echo.hpp"
#include "dimse/scp_server.hpp"
#include "film/film_package.hpp"
#include "http/server.hpp"

namespace cf::app {
namespace {

// Versions before streamed packages staged each package's objects, and the
// package itself, in clear in DATA/tmp/packages; a crash could leave them
// there. Nothing writes that folder any more: remove whatever is left.
void RemoveLegacyPackageStaging(const std::filesystem::path& data) {
  const std::filesystem::path legacy = data / "tmp" / "packages";
  std::error_code ec;
  if (!std::filesystem::exists(legacy, ec)) return;
  const auto removed = std::filesystem::remove_all(legacy, ec);
  log::Info("serve.package_staging_removed",
            {{"entries", static_cast<int64_t>(removed)}, {"ok", !ec}});
}

int RunServe(const Config& config) {
  // Block the stop signals before any thread starts, so that every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // TLS files first: a missing file or a key that does not match its
  // certificate is a clear startup error, not a failed handshake later.
  std::vector<std::string> tls_warnings;
  if (auto r = CheckTlsFiles(config, tls_warnings); !r) return ReportError(r.error());
  for (const auto& warning : tls_warnings) {
    log::Warn("serve.tls_certificate", {{"problem", warning}});
  }

  auto rt = OpenRuntime(config, Role::kServer);
  if (!rt) return ReportError(rt.error());
  // Beside the rest of startup, so that neither readiness nor the first
  // object received waits for DCMTK's dictionary file; joined on return.
  std::jthread dictionary_loader([] {
    if (!dicom::LoadDictionary()) {
      log::Warn("serve.dicom_dictionary_missing",
                {{"hint", "install dcmtk's dicom.dic or set DCMDICTPATH"}});
    }
  });
  // After a key rotation, old blobs move to the new keys when the archive
  // is idle; the position survives restarts (docs/security.md, "Keys").
  std::optional<archive::Reencryptor> reencryptor;
  if (config.encryption && rt->sealed != nullptr) {
    reencryptor.emplace(*rt->catalog, *rt->sealed,
                        archive::ReencryptOptions{config.KeysPath() / "reencrypt.position"});
    reencryptor->Start([a = rt->archive.get()] { return a->Storage().backlog > 0; });
  }
  auto bootstrap = ReadBootstrapToken(config);
  if (!bootstrap) return ReportError(bootstrap.error());
  const bool has_bootstrap = !bootstrap->empty();
  // The outbox first: shares send their codes and notices through it.
  auto notify_parts = OpenNotify(config);
  if (!notify_parts) return ReportError(notify_parts.error());
  auto security = OpenSecurity(config, std::move(*bootstrap), notify_parts->outbox.get());
  if (!security) return ReportError(security.error());
  auto accounts = security->access->CountAccounts();
  if (!accounts) return ReportError(accounts.error());
  // Before the listeners: a bad collector setting stops startup. It reads
  // the events from the database, so it also sends what the CLI records.
  auto audit_export = StartAuditExport(config, *security->audit);
  if (!audit_export) return ReportError(audit_export.error());

  // Reports that arrive as DICOM (SR, Encapsulated PDF) are filed as they
  // are stored, before any listener takes objects.
  auto reports = OpenReports(config);
  if (!reports) return ReportError(reports.error());
  auto film_parts = OpenFilmParts(config);
  if (!film_parts) return ReportError(film_parts.error());
  film::FilmIssuer issuer(*rt->archive, **reports, *film_parts->films, *film_parts->log,
                          *film_parts->keys, film_parts->options);
  FileReportsAsStored(*rt->archive, **reports, issuer, "dicom");
  film::ReportPrinter printer(*rt->archive, film_parts->printer);
  // Stopped (destroyed) before the log it stamps.
  const auto timestamper = StartTimestamper(config, *film_parts->log);

  // The outbox's worker resumes what a previous run left queued or was
  // sending when it died.
  notify::DeliveryWorker notifier(*notify_parts->outbox, notify_parts->providers);
  notify_parts->outbox->OnEnqueued([&notifier] { notifier.Wake(); });
  if (auto r = notifier.Start(); !r) return ReportError(r.error());

  // DICOM nodes that admins register from the admin console
  // (DATA/dicom_nodes.sqlite): the DIMSE servers read them through the
  // directory, which every change replaces, so no restart is needed. The
  // configuration file's AE titles win and cannot be registered.
  auto nodes_vfs = DatabaseVfs(config, "dicom_nodes", config.DicomNodesPath());
  if (!nodes_vfs) return ReportError(nodes_vfs.error());
  access::DicomNodeOptions node_options{*nodes_vfs, {config.aet}};
  for (const auto& tenant : config.tenants) {
    node_options.reserved.insert(tenant.ae_titles.begin(), tenant.ae_titles.end());
  }
  for (const auto& [ae, address] : config.dicom_destinations) node_options.reserved.insert(ae);
  auto dicom_nodes = access::DicomNodeRegistry::Open(config.DicomNodesPath(), node_options);
  if (!dicom_nodes) return ReportError(dicom_nodes.error());
  dimse::NodeDirectory node_directory;
  const auto direct = [&node_directory](const std::vector<access::DicomNode>& nodes) {
    dimse::RegisteredNodes registered;
    for (const auto& n : nodes) {
      registered.caller_tenants[n.ae_title] = n.tenant;
      if (!n.host.empty()) registered.destinations[n.ae_title] = {n.host, n.port};
    }
    node_directory.Replace(std::move(registered));
  };
  auto registered = (*dicom_nodes)->List();
  if (!registered) return ReportError(registered.error());
  direct(*registered);
  (*dicom_nodes)->OnChange(direct);

  // Storage Commitment reports whose requester could not be reached wait
  // here (DATA/commitments.sqlite) and are retried, across restarts.
  auto commitments_vfs = DatabaseVfs(config, "commitments", config.CommitmentsPath());
  if (!commitments_vfs) return ReportError(commitments_vfs.error());
  auto commitments = dimse::CommitmentOutbox::Open(config.CommitmentsPath(), *commitments_vfs);
  if (!commitments) return ReportError(commitments.error());

  dimse::ScpOptions scp;
  scp.commitment_outbox = commitments->get();
  // Validate() has checked the three durations.
  scp.commitment_retry =
      ParseDuration(config.dicom_commitment_retry).value_or(std::chrono::seconds(30));
  scp.commitment_retry_max =
      ParseDuration(config.dicom_commitment_retry_max).value_or(std::chrono::minutes(30));
  scp.commitment_give_up = std::chrono::ceil<std::chrono::hours>(
      ParseDuration(config.dicom_commitment_give_up).value_or(std::chrono::hours(24 * 7)));
  scp.bind = config.dicom_bind;
  scp.port = config.dicom_port;
  scp.ae_title = config.aet;
  scp.allowed_callers = config.allowed_callers;
  for (const auto& tenant : config.tenants) {
    for (const auto& ae : tenant.ae_titles) scp.caller_tenants[ae] = tenant.code;
    for (const auto& fingerprint : tenant.dicom_client_certificates) {
      scp.certificate_tenants[CertificateFingerprint(fingerprint)] = tenant.code;
    }
  }
  scp.unknown_caller_tenant = config.UnknownCallers() == "refuse" ? "" : config.UnknownCallers();
  scp.max_pdu = config.max_pdu;
  scp.max_associations = config.max_associations;
  scp.max_object_size = config.max_object_size;
  scp.audit = security->audit.get();
  scp.nodes = &node_directory;
  for (const auto& [ae, address] : config.dicom_destinations) {
    auto parsed = ParseDicomAddress(address);  // Validate() has checked it
    if (parsed) scp.destinations[ae] = {parsed->first, parsed->second};
  }
  dimse::ScpServer dicom(scp, *rt->archive);
  if (auto r = dicom.Start(); !r) return ReportError(r.error());
  // DICOM TLS: a second server on its own port over the same archive.
  std::optional<dimse::ScpServer> dicom_tls;
  if (config.dicom_tls_port) {
    dimse::ScpOptions tls_scp = scp;
    tls_scp.port = *config.dicom_tls_port;
    tls_scp.tls = dimse::ScpTlsOptions{config.dicom_tls_certificate, config.dicom_tls_private_key,
                                       config.dicom_tls_ca_certificates,
                                       config.dicom_tls_require_client_certificate};
    dicom_tls.emplace(tls_scp, *rt->archive);
    if (auto r = dicom_tls->Start(); !r) {
      dicom.Stop();
      return ReportError(r.error());
    }
  }

  http::ServerOptions web;
  web.reports = reports->get();
  web.films = film_parts->films.get();
  web.issuer = &issuer;
  web.printer = &printer;
  web.visits = film_parts->visits.get();
  web.prints = film_parts->prints.get();
  web.hospital_name = film_parts->printer.hospital_name;
  web.public_base_url = config.http_public_base_url;
  web.web_root = config.http_web_root;
  for (const auto& t : config.tenants) {
    web.site.tenants.push_back({t.code, t.name, t.region, t.ae_titles, t.service_tier_years,
                                t.crypto_suite, t.share_factor});
  }
  web.site.ae_title = config.aet;
  web.site.dicom_port = dicom.Port();
  if (dicom_tls) web.site.dicom_tls_port = dicom_tls->Port();
  web.site.unknown_callers = config.UnknownCallers();
  for (const auto& [ae, address] : config.dicom_destinations) {
    if (auto parsed = ParseDicomAddress(address)) {
      web.site.destinations.push_back({ae, parsed->first, parsed->second});
    }
  }
  if (!web.web_root.empty() && !std::filesystem::exists(web.web_root / "index.html")) {
    log::Warn("serve.web_apps_missing", {{"web_root", web.web_root.string()}});
  }
  web.outbox = notify_parts->outbox.get();
  web.dicom_nodes = dicom_nodes->get();
  web.dicom_echo = [aet = config.aet](std::string_view ae, std::string_view host, uint16_t port) {
    return dimse::Echo({aet, std::string(ae), {std::string(host), port}, std::chrono::seconds(5)});
  };
  film::FilmPackager packager(*rt->archive, **reports, *film_parts->log, *film_parts->keys,
                              &printer);
  web.packager = &packager;
  RemoveLegacyPackageStaging(config.data);
  web.bind = config.http_bind;
  web.port = config.http_port;
  web.io_threads = config.http_threads;
  web.blocking_threads = config.blocking_threads;
  web.spool_dir = config.data / "tmp" / "http";
  web.max_upload_bytes = config.max_upload_bytes;
  web.upload_memory_bytes = config.upload_memory_bytes;
  web.cors_allow_origin = config.http_cors_allow_origin;
  web.tls_certificate = config.http_tls_certificate;
  web.tls_private_key = config.http_tls_private_key;
  web.max_header_bytes = config.http_max_header_bytes;
  web.max_body_bytes = config.http_max_body_bytes;
  web.read_timeout = ParseDuration(config.http_read_timeout).value_or(web.read_timeout);
  web.idle_timeout = ParseDuration(config.http_idle_timeout).value_or(web.idle_timeout);
  web.max_connections = config.http_max_connections;
  web.max_connections_per_client = config.http_max_connections_per_client;
  web.requests_per_second = static_cast<double>(config.http_requests_per_second);
  web.request_burst = static_cast<double>(config.http_request_burst);
  web.limit_exempt = config.http_limit_exempt;
  const bool https = !web.tls_certificate.empty();
  http::Server server(web, *rt->archive, *security->access, security->audit.get());
  if (auto r = server.Start(); !r) {
    if (dicom_tls) dicom_tls->Stop();
    dicom.Stop();
    return ReportError(r.error());
  }

  const std::string host = config.http_bind == "0.0.0.0" ? "127.0.0.1" : config.http_bind;
  const unsigned tls_port = dicom_tls ? dicom_tls->Port() : 0;
  std::printf(
      "cloudfilm %s serving\n  HTTP   %s://%s:%u/  (API: /api/system, /api/studies)\n"
      "  DICOM  %s@%s:%u\n",
      kVersion, https ? "https" : "http", host.c_str(), server.Port(), config.aet.c_str(),
      config.dicom_bind.c_str(), dicom.Port());
  if (dicom_tls) {
    std::printf("  DICOM  %s@%s:%u (TLS)\n", config.aet.c_str(), config.dicom_bind.c_str(),
                tls_port);
  }
  std::printf("  data   %s\nlistening http=%u dicom=%u", config.data.c_str(), server.Port(),
              dicom.Port());
  if (dicom_tls) std::printf(" dicom_tls=%u", tls_port);
  std::printf("\n");
  if (*accounts == 0) {
    // Anonymous HTTP access to patient data is refused: say how to get in.
    std::printf(
        "no accounts yet: create the first administrator with\n"
        "  cloudfilm accounts create --data %s --login admin --role platform-admin\n%s",
        config.data.c_str(),
        has_bootstrap ? "  (the bootstrap token from the environment is accepted meanwhile)\n"
                      : "");
  }
  std::fflush(stdout);
  log::Info("serve.started", {{"http_port", server.Port()},
                              {"bootstrap_token", has_bootstrap},
                              {"accounts", *accounts},
                              {"dicom_port", dicom.Port()},
                              {"https", https},
                              {"dicom_tls_port", tls_port}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::Info("serve.stopping", {{"signal", sig}});
  if (dicom_tls) dicom_tls->Stop();
  dicom.Stop();
  server.Stop();
  // After the server: nothing enqueues any more. A delivery in progress
  // ends within its provider's timeout.
  notifier.Stop();
  // Last: the listeners' final events are in the database by now; what is
  // not confirmed yet goes out after the next start.
  if (*audit_export) (*audit_export)->Stop();
  log::Info("serve.stopped");
  return 0;
}

}  // namespace

void RegisterServe(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("serve", "run the DICOM and HTTP servers");
  auto token_file = std::make_shared<std::string>();
  sub->add_option("--bootstrap-token-file", *token_file,
                  "file whose first line is a platform-admin Bearer token for automation "
                  "(or set CLOUDFILM_BOOTSTRAP_TOKEN)")
      ->check(CLI::ExistingFile);
  auto web_root = std::make_shared<std::optional<std::string>>();
  sub->add_option("--web-root", *web_root,
                  "folder of the built web apps (http.web_root; \"\" for none)");
  sub->callback([&run, token_file, web_root] {
    run = [token_file, web_root](const Config& config) {
      if (token_file->empty() && !web_root->has_value()) return RunServe(config);
      Config with_flags = config;
      if (!token_file->empty()) with_flags.bootstrap_token_file = *token_file;
      if (web_root->has_value()) with_flags.http_web_root = **web_root;
      return RunServe(with_flags);
    };
  });
}

}  // namespace cf::app
