// SPDX-License-Identifier: Apache-2.0
#include "audit/syslog_exporter.hpp"

#include <utility>
#include <vector>

#include "audit/atna.hpp"
#include "audit/retry_backoff.hpp"
#include "core/log.hpp"

namespace cf::audit {

SyslogExporter::SyslogExporter(AuditLog& log, std::unique_ptr<SyslogTransport> transport,
                               SyslogExporterOptions options)
    : log_(log), transport_(std::move(transport)), options_(std::move(options)) {}

SyslogExporter::~SyslogExporter() { Stop(); }

void SyslogExporter::Start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void SyslogExporter::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();  // also wakes Sleep (condition_variable_any with the token)
  thread_.join();
}

void SyslogExporter::Notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

std::optional<int64_t> SyslogExporter::Position() const {
  std::lock_guard lock(mutex_);
  return position_;
}

Result<size_t> SyslogExporter::ExportPending(const std::stop_token& stop) {
  int64_t position = 0;
  {
    std::lock_guard lock(mutex_);
    if (!position_) {
      auto kept = log_.ExportPosition(options_.position_name);
      if (!kept) return std::unexpected(kept.error());
      position_ = *kept;
    }
    position = *position_;
  }
  size_t delivered = 0;
  while (!stop.stop_requested()) {
    auto events = log_.ReadAfter(position, options_.batch);
    if (!events) return std::unexpected(events.error());
    if (events->empty()) break;
    // A collector that restarted closed our connection: reconnect before
    // writing into a socket whose bytes nobody will read.
    if (!transport_->IsOpen()) {
      transport_->Close();
      if (auto r = transport_->Open(stop); !r) return std::unexpected(r.error());
      log::Debug("audit.syslog_connected", {{"collector", options_.collector}});
    }
    for (const Event& event : *events) {
      const std::string message =
          ToSyslogRfc5424(ToDicomAuditMessage(event, options_.audit_source_id), event.time_ms,
                          options_.hostname, options_.app_name);
      if (auto r = transport_->Send(message, stop); !r) return std::unexpected(r.error());
    }
    if (auto r = transport_->Flush(stop); !r) return std::unexpected(r.error());
    position = events->back().id;
    {
      std::lock_guard lock(mutex_);
      position_ = position;
    }
    delivered += events->size();
    // Delivery goes on even when the position cannot be saved (the audit
    // disk is full, say): it is saved with a later batch, and a restart
    // meanwhile only resends.
    if (auto r = log_.SetExportPosition(options_.position_name, position); !r) {
      log::Warn("audit.syslog_position_not_saved",
                {{"position", position}, {"error", r.error().message}});
    }
  }
  return delivered;
}

void SyslogExporter::Run(const std::stop_token& stop) {
  RetryBackoff backoff(options_.first_retry, options_.max_retry);
  int failures = 0;
  while (!stop.stop_requested()) {
    auto delivered = ExportPending(stop);
    if (stop.stop_requested()) break;
    if (delivered) {
      if (failures > 0) {
        log::Info("audit.syslog_resumed", {{"collector", options_.collector},
                                           {"failed_attempts", failures},
                                           {"events", *delivered},
                                           {"position", Position().value_or(0)}});
      }
      failures = 0;
      backoff.Reset();
      Sleep(stop, options_.poll);
      continue;
    }
    transport_->Close();
    ++failures;
    const auto delay = backoff.Next();
    // Transport and database errors name the collector and the cause, never
    // a message's content.
    log::Warn("audit.syslog_failed", {{"collector", options_.collector},
                                      {"error", delivered.error().message},
                                      {"attempt", failures},
                                      {"position", Position().value_or(0)},
                                      {"retry_in_ms", delay.count()}});
    Sleep(stop, delay);
  }
  transport_->Close();
}

void SyslogExporter::Sleep(const std::stop_token& stop, std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, stop, delay, [&] { return notified_; });
  notified_ = false;
}

}  // namespace cf::audit
