// SPDX-License-Identifier: Apache-2.0
// `cloudfilm compact`: gives every blob filed as received (by an import, a
// crash recovery, a shutdown, or recently received and within
// storage.compress_after) its lossless stored form now, rather than
// waiting for a server's idle-time compactor. Safe while a server runs.
#include <iostream>

#include "../runtime.hpp"
#include "commands.hpp"

namespace cf::app {

void RegisterCompact(CLI::App& app, Runner& run) {
  CLI::App* sub =
      app.add_subcommand("compact", "store objects filed as received in their compressed form");
  sub->callback([&run] {
    run = [](const Config& config) {
      auto rt = OpenRuntime(config);
      if (!rt) return ReportError(rt.error());
      archive::CompactReport total;
      for (;;) {
        auto r = rt->archive->CompactOnce(64);
        if (!r) return ReportError(r.error());
        if (r->examined == 0) break;
        total.examined += r->examined;
        total.compressed += r->compressed;
        total.kept_as_received += r->kept_as_received;
        total.skipped += r->skipped;
        total.bytes_saved += r->bytes_saved;
      }
      std::cout << "examined: " << total.examined << "\n"
                << "compressed: " << total.compressed << "\n"
                << "kept as received: " << total.kept_as_received << "\n"
                << "skipped (unreadable; run fsck): " << total.skipped << "\n"
                << "bytes saved: " << total.bytes_saved << "\n";
      return total.skipped == 0 ? 0 : 1;
    };
  });
}

}  // namespace cf::app
