// SPDX-License-Identifier: Apache-2.0
// `cloudfilm stats [--json]`: what the archive holds and what it costs on
// disk: bytes received against bytes stored, overall and per modality.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "../runtime.hpp"
#include "commands.hpp"

namespace cf::app {
namespace {

using catalog::StorageRatio;

std::string Mib(uint64_t bytes) { return fmt::format("{:.1f}", bytes / 1048576.0); }

}  // namespace

void RegisterStats(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("stats", "counts, and bytes received against bytes stored");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "print JSON instead of a table");
  sub->callback([&run, json] {
    run = [json](const Config& config) {
      auto rt = OpenRuntime(config);
      if (!rt) return ReportError(rt.error());
      auto totals = rt->archive->Totals();
      if (!totals) return ReportError(totals.error());
      auto usage = rt->archive->UsageByModality();
      if (!usage) return ReportError(usage.error());
      if (*json) {
        nlohmann::json by_modality = nlohmann::json::array();
        for (const auto& u : *usage) {
          by_modality.push_back({{"modality", u.modality},
                                 {"instance_versions", u.instance_versions},
                                 {"bytes_received", u.bytes_received},
                                 {"bytes_stored", u.bytes_stored},
                                 {"ratio", StorageRatio(u.bytes_received, u.bytes_stored)}});
        }
        const nlohmann::json out = {
            {"patients", totals->patients},
            {"studies", totals->studies},
            {"series", totals->series},
            {"instances", totals->instances},
            {"instance_versions", totals->instance_versions},
            {"bytes_received", totals->bytes_received},
            {"bytes_stored", totals->bytes_stored},
            {"ratio", StorageRatio(totals->bytes_received, totals->bytes_stored)},
            {"by_modality", by_modality}};
        std::cout << out.dump(2) << "\n";
        return 0;
      }
      std::cout << fmt::format("patients {}  studies {}  series {}  instances {} ({} versions)\n",
                               totals->patients, totals->studies, totals->series, totals->instances,
                               totals->instance_versions);
      std::cout << fmt::format("{:<10} {:>10} {:>14} {:>14} {:>7}\n", "modality", "objects",
                               "received MiB", "stored MiB", "ratio");
      for (const auto& u : *usage) {
        std::cout << fmt::format("{:<10} {:>10} {:>14} {:>14} {:>7.2f}\n",
                                 u.modality.empty() ? "-" : u.modality, u.instance_versions,
                                 Mib(u.bytes_received), Mib(u.bytes_stored),
                                 StorageRatio(u.bytes_received, u.bytes_stored));
      }
      std::cout << fmt::format("{:<10} {:>10} {:>14} {:>14} {:>7.2f}\n", "all",
                               totals->instance_versions, Mib(totals->bytes_received),
                               Mib(totals->bytes_stored),
                               StorageRatio(totals->bytes_received, totals->bytes_stored));
      return 0;
    };
  });
}

}  // namespace cf::app
