// SPDX-License-Identifier: Apache-2.0
#include "audit_export.hpp"

#include <unistd.h>

#include <string>
#include <utility>

#include "audit/syslog_target.hpp"
#include "audit/syslog_transport.hpp"
#include "core/log.hpp"

namespace cf::app {

Result<std::unique_ptr<audit::SyslogExporter>> StartAuditExport(const Config& config,
                                                                audit::AuditLog& log) {
  if (config.audit_syslog.empty()) return nullptr;
  auto target = audit::ParseSyslogTarget(config.audit_syslog);
  if (!target) return std::unexpected(target.error());
  audit::SyslogTransportOptions transport_options;
  transport_options.target = *target;
  transport_options.ca_file = config.audit_syslog_ca_file;
  transport_options.client_certificate = config.audit_syslog_client_certificate;
  transport_options.client_private_key = config.audit_syslog_client_private_key;
  auto transport = audit::MakeSyslogTransport(std::move(transport_options));
  if (!transport) return std::unexpected(transport.error());

  audit::SyslogExporterOptions options;
  options.collector = audit::ToUrl(*target);
  options.audit_source_id = AuditSourceId(config);
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) options.hostname = host;
  auto exporter =
      std::make_unique<audit::SyslogExporter>(log, std::move(*transport), std::move(options));
  exporter->Start();
  log::Info("audit.syslog_started",
            {{"collector", audit::ToUrl(*target)},
             {"tls", target->protocol != audit::SyslogProtocol::kTls ? "off"
                     : config.audit_syslog_ca_file.empty()           ? "system trust store"
                                                                     : "CA file"},
             {"client_certificate", !config.audit_syslog_client_certificate.empty()}});
  return exporter;
}

}  // namespace cf::app
