// SPDX-License-Identifier: Apache-2.0
// `cloudfilm fsck [--repair]`: every catalog entry has its blob with the
// recorded SHA-256, every blob has its entry. Exit 0 when consistent (after
// repair, if asked), 1 otherwise; the problems are listed on stdout.
#include <iostream>

#include "../runtime.hpp"
#include "commands.hpp"

namespace cf::app {

void RegisterFsck(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("fsck", "check (and repair) catalog and blob consistency");
  auto repair = std::make_shared<bool>(false);
  sub->add_flag("--repair", *repair,
                "re-index orphan blobs, remove invalid ones and crash leftovers");
  sub->callback([&run, repair] {
    run = [repair](const Config& config) {
      auto rt = OpenRuntime(config, Role::kExclusive);
      if (!rt) return ReportError(rt.error());
      auto report = rt->archive->Fsck(*repair);
      if (!report) return ReportError(report.error());
      for (const auto& p : report->problems) std::cout << "problem: " << p << "\n";
      std::cout << "instances checked: " << report->instances_checked << "\n"
                << "blobs checked: " << report->blobs_checked << "\n"
                << "missing blobs: " << report->missing_blobs << "\n"
                << "hash mismatches: " << report->hash_mismatches << "\n"
                << "orphan blobs: " << report->orphan_blobs << "\n"
                << "orphans re-indexed: " << report->orphans_reindexed << "\n"
                << "orphans removed: " << report->orphans_removed << "\n"
                << "temporary files removed: " << report->temp_files_removed << "\n"
                << (report->Clean() ? "clean" : "NOT clean") << "\n";
      return report->Clean() ? 0 : 1;
    };
  });
}

}  // namespace cf::app
