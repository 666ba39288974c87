// SPDX-License-Identifier: Apache-2.0
// Forwards every audit event, in the order stored, to a syslog collector
// as a DICOM PS3.15 audit message in an RFC 5424 frame (atna.hpp), from a
// background thread. For hospital SIEMs and IHE ATNA audit record
// repositories.
//
// Durable and resumable: the id of the last delivered event is kept in the
// audit database (AuditLog::ExportPosition) and advances only after the
// transport's Flush confirmed a batch. While the collector is down, events
// wait in the database (memory holds one batch at most) and the exporter
// retries with a growing delay; a restart resumes at the kept position.
// Delivery is at-least-once: a failure after sending and before the
// position moved resends those events, so a collector may see duplicates
// (same EventDateTime and content).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "audit/audit_log.hpp"
#include "audit/syslog_transport.hpp"
#include "core/error.hpp"

namespace cf::audit {

struct SyslogExporterOptions {
  std::string collector;        // the collector's URL, for logs
  std::string audit_source_id;  // AuditSourceID of every message ("cloudfilm@host")
  std::string hostname;         // RFC 5424 HOSTNAME
  std::string app_name = "cloudfilm";
  std::string position_name = "syslog";  // its row in AuditLog::ExportPosition
  size_t batch = 256;                    // events read, sent and confirmed together
  // How often to look for new events once everything was sent.
  std::chrono::milliseconds poll{500};
  // Retry delays after a failure: doubling from first_retry up to max_retry.
  std::chrono::milliseconds first_retry{1'000};
  std::chrono::milliseconds max_retry{60'000};
};

class SyslogExporter {
 public:
  // `log` must outlive the exporter.
  SyslogExporter(AuditLog& log, std::unique_ptr<SyslogTransport> transport,
                 SyslogExporterOptions options);
  ~SyslogExporter();  // Stop()
  SyslogExporter(const SyslogExporter&) = delete;
  SyslogExporter& operator=(const SyslogExporter&) = delete;

  // Starts the background thread, which calls ExportPending until stopped.
  void Start();

  // Interrupts whatever the thread waits for (a retry delay, a connection,
  // a write, an acknowledgement: each gives up within ~50 ms; only a DNS
  // lookup in progress is waited for) and joins it. Events not yet
  // confirmed are sent after the next start. Idempotent.
  void Stop();

  // Looks for new events now rather than at the next poll.
  void Notify();

  // One pass, on the caller's thread (the background thread's loop; also
  // for tests, without Start): sends the pending events batch by batch,
  // moving the position after each confirmed batch, until none is left or
  // `stop` is requested. The number of events delivered, or the first
  // error (the transport is closed then; the position stays at the last
  // confirmed batch). Messages are never logged: they name patients.
  Result<size_t> ExportPending(const std::stop_token& stop);

  // The id of the last event delivered (0 before the first), once known.
  std::optional<int64_t> Position() const;

 private:
  void Run(const std::stop_token& stop);
  void Sleep(const std::stop_token& stop, std::chrono::milliseconds delay);

  AuditLog& log_;
  const std::unique_ptr<SyslogTransport> transport_;
  const SyslogExporterOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  bool notified_ = false;            // guarded by mutex_
  std::optional<int64_t> position_;  // guarded by mutex_; read from the log on first use

  std::jthread thread_;  // last: joined before the members above go
};

}  // namespace cf::audit
