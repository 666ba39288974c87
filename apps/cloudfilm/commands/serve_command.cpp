// SPDX-License-Identifier: Apache-2.0
// `cloudfilm serve`: DIMSE and HTTP in one process over one archive. SIGTERM
// or SIGINT stops gracefully: no new associations or connections, in-flight
// ones finish, then the process exits 0. Every acknowledged object is
// already durable, so even a SIGKILL loses nothing acknowledged.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "../runtime.hpp"
#include "commands.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "dimse/scp_server.hpp"
#include "http/server.hpp"

namespace cf::app {
namespace {

int RunServe(const Config& config) {
  // Block the stop signals before any thread starts, so that every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto rt = OpenRuntime(config, Role::kServer);
  if (!rt) return ReportError(rt.error());

  dimse::ScpOptions scp;
  scp.bind = config.dicom_bind;
  scp.port = config.dicom_port;
  scp.ae_title = config.aet;
  scp.allowed_callers = config.allowed_callers;
  scp.max_pdu = config.max_pdu;
  scp.max_associations = config.max_associations;
  scp.max_object_size = config.max_object_size;
  for (const auto& [ae, address] : config.dicom_destinations) {
    auto parsed = ParseDicomAddress(address);  // Validate() has checked it
    if (parsed) scp.destinations[ae] = {parsed->first, parsed->second};
  }
  dimse::ScpServer dicom(scp, *rt->archive);
  if (auto r = dicom.Start(); !r) return ReportError(r.error());

  http::ServerOptions web;
  web.bind = config.http_bind;
  web.port = config.http_port;
  web.io_threads = config.http_threads;
  web.blocking_threads = config.blocking_threads;
  web.spool_dir = config.data / "tmp" / "http";
  web.max_upload_bytes = config.max_upload_bytes;
  web.cors_allow_origin = config.http_cors_allow_origin;
  http::Server server(web, *rt->archive);
  if (auto r = server.Start(); !r) {
    dicom.Stop();
    return ReportError(r.error());
  }

  const std::string host = config.http_bind == "0.0.0.0" ? "127.0.0.1" : config.http_bind;
  std::printf(
      "cloudfilm %s serving\n  HTTP   http://%s:%u/  (API: /api/system, /api/studies)\n"
      "  DICOM  %s@%s:%u\n  data   %s\nlistening http=%u dicom=%u\n",
      kVersion, host.c_str(), server.Port(), config.aet.c_str(), config.dicom_bind.c_str(),
      dicom.Port(), config.data.c_str(), server.Port(), dicom.Port());
  std::fflush(stdout);
  log::Info("serve.started", {{"http_port", server.Port()}, {"dicom_port", dicom.Port()}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::Info("serve.stopping", {{"signal", sig}});
  dicom.Stop();
  server.Stop();
  log::Info("serve.stopped");
  return 0;
}

}  // namespace

void RegisterServe(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("serve", "run the DICOM and HTTP servers");
  sub->callback([&run] { run = RunServe; });
}

}  // namespace cf::app
