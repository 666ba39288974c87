// SPDX-License-Identifier: Apache-2.0
// The audit export of `cloudfilm serve`: builds the syslog exporter
// (src/audit/syslog_exporter.hpp) from the [audit] settings.
#pragma once

#include <memory>

#include "audit/audit_log.hpp"
#include "audit/syslog_exporter.hpp"
#include "config.hpp"

namespace cf::app {

// A running exporter of `log` to audit.syslog, or null when none is set.
// Fails (kInvalidArgument) when the collector URL or a TLS file is
// unusable; an unreachable collector is not an error: the exporter retries.
Result<std::unique_ptr<audit::SyslogExporter>> StartAuditExport(const Config& config,
                                                                audit::AuditLog& log);

}  // namespace cf::app
