// SPDX-License-Identifier: Apache-2.0
// The `cloudfilm` binary: the composition root. It reads the configuration
// (defaults, then --config FILE, then flags), sets up logging and runs one
// subcommand. Exceptions that reach this point are bugs: they are reported
// and the process exits with 70.
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

#include "commands/commands.hpp"
#include "config.hpp"
#include "core/log.hpp"
#include "core/version.hpp"

namespace {

struct Overrides {
  std::string config_file;
  std::optional<std::string> data;
  std::optional<std::string> bind;
  std::optional<uint16_t> http_port;
  std::optional<uint16_t> dicom_port;
  std::optional<std::string> aet;
  std::optional<std::string> log_level;
  std::vector<std::string> dicom_destinations;  // AE=host:port, added to the config file's
  std::optional<std::string> compress_after;
  std::optional<std::string> audit_syslog;
  bool no_fsync = false;
};

void AddCommonFlags(CLI::App& sub, Overrides& o) {
  sub.add_option("--config", o.config_file, "TOML configuration file")->check(CLI::ExistingFile);
  sub.add_option("--data", o.data, "data folder (catalog and blobs)");
  sub.add_option("--bind", o.bind, "address the HTTP and DICOM listeners bind to");
  sub.add_option("--http-port", o.http_port, "HTTP port (0: pick a free one)");
  sub.add_option("--dicom-port", o.dicom_port, "DICOM port (0: pick a free one)");
  sub.add_option("--aet", o.aet, "DICOM AE title of this node");
  sub.add_option("--log-level", o.log_level, "debug, info, warn or error");
  sub.add_option("--dicom-destination", o.dicom_destinations,
                 "AE=host:port of a C-MOVE destination (repeatable)");
  sub.add_option(
      "--compress-after", o.compress_after,
      "keep new objects as received this long before compressing them (0, 30m, 24h, 7d)");
  sub.add_option("--audit-syslog", o.audit_syslog,
                 "send every audit event to this syslog collector: udp://, tcp:// or "
                 "tls://host:port (\"\" for none)");
  sub.add_flag("--no-fsync", o.no_fsync,
               "do not fsync (throw-away data only: a crash may lose acknowledged objects)");
}

cf::log::Level ToLevel(const std::string& s) {
  if (s == "debug") return cf::log::Level::kDebug;
  if (s == "warn") return cf::log::Level::kWarn;
  if (s == "error") return cf::log::Level::kError;
  return cf::log::Level::kInfo;
}

int Main(int argc, char** argv) {
  CLI::App app{"cloudfilm: DICOM archive and cloud film platform", "cloudfilm"};
  app.set_version_flag("--version", std::string("cloudfilm ") + cf::kVersion);
  app.require_subcommand(1);
  Overrides overrides;
  cf::app::Runner run;
  cf::app::RegisterServe(app, run);
  cf::app::RegisterImport(app, run);
  cf::app::RegisterFsck(app, run);
  cf::app::RegisterStats(app, run);
  cf::app::RegisterCompact(app, run);
  cf::app::RegisterSynth(app, run);
  cf::app::RegisterConfig(app, run);
  cf::app::RegisterAccounts(app, run);
  cf::app::RegisterSql(app, run);
  cf::app::RegisterLedger(app, run);
  cf::app::RegisterKeys(app, run);
  cf::app::RegisterShare(app, run);
  cf::app::RegisterNotify(app, run);
  cf::app::RegisterFilm(app, run);
  cf::app::RegisterVerify(app, run);
  for (CLI::App* sub : app.get_subcommands({})) {
    AddCommonFlags(*sub, overrides);
    for (CLI::App* nested : sub->get_subcommands({})) AddCommonFlags(*nested, overrides);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  cf::app::Config config;
  if (!overrides.config_file.empty()) {
    if (auto r = cf::app::LoadConfigFile(overrides.config_file, config); !r) {
      return cf::app::ReportError(r.error());
    }
  }
  if (overrides.data) config.data = *overrides.data;
  if (overrides.bind) config.http_bind = config.dicom_bind = *overrides.bind;
  if (overrides.http_port) config.http_port = *overrides.http_port;
  if (overrides.dicom_port) config.dicom_port = *overrides.dicom_port;
  if (overrides.aet) config.aet = *overrides.aet;
  if (overrides.log_level) config.log_level = *overrides.log_level;
  if (overrides.no_fsync) config.fsync = false;
  if (overrides.compress_after) config.compress_after = *overrides.compress_after;
  if (overrides.audit_syslog) config.audit_syslog = *overrides.audit_syslog;
  for (const auto& destination : overrides.dicom_destinations) {
    if (auto r = cf::app::AddDicomDestination(destination, config); !r) {
      return cf::app::ReportError(r.error());
    }
  }
  if (auto r = cf::app::Validate(config); !r) return cf::app::ReportError(r.error());
  cf::log::SetLevel(ToLevel(config.log_level));
  if (!run) return 2;
  return run(config);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "cloudfilm: internal error: " << e.what() << "\n";
    return 70;
  }
}
