// SPDX-License-Identifier: Apache-2.0
// `cloudfilm import PATH...`: files, folders, ZIP archives and DICOMDIR
// media into the archive in --data. It opens the data folder directly; a
// running server may share it (SQLite serialises the writers). On a
// terminal a progress bar is redrawn in place; otherwise progress is printed
// as plain lines. Exit 0 when nothing was rejected, 1 otherwise.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <iostream>

#include "../runtime.hpp"
#include "archive/importer.hpp"
#include "commands.hpp"
#include "core/tenant.hpp"

namespace cf::app {
namespace {

struct ImportArgs {
  std::vector<std::string> paths;
  std::string tenant = std::string(kDefaultTenant);
  bool quiet = false;
  int jobs = 0;
};

class Progress {
 public:
  Progress(int64_t total, bool quiet)
      : total_(total), tty_(::isatty(STDERR_FILENO) == 1), quiet_(quiet) {}

  void Update(const archive::ImportTotals& t) {
    if (quiet_ || finished_) return;
    const int64_t done = t.stored + t.already_present + t.new_versions + t.rejected;
    const auto now = std::chrono::steady_clock::now();
    const bool last = done >= total_;
    finished_ = last;
    if (tty_) {
      if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
      last_draw_ = now;
      constexpr int kWidth = 30;
      const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : kWidth;
      std::fprintf(stderr, "\r[%s%s] %lld/%lld  stored %lld  present %lld  rejected %lld ",
                   std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(kWidth - filled), ' ').c_str(),
                   static_cast<long long>(done), static_cast<long long>(total_),
                   static_cast<long long>(t.stored + t.new_versions),
                   static_cast<long long>(t.already_present), static_cast<long long>(t.rejected));
      if (last) std::fputc('\n', stderr);
      return;
    }
    if (!last && now - last_draw_ < std::chrono::seconds(2)) return;
    last_draw_ = now;
    std::fprintf(stderr, "import: %lld/%lld objects, %lld rejected\n", static_cast<long long>(done),
                 static_cast<long long>(total_), static_cast<long long>(t.rejected));
  }

  // The last line, even if the count made before the import was off.
  void Finish(const archive::ImportTotals& t) {
    total_ = t.stored + t.already_present + t.new_versions + t.rejected;
    Update(t);
  }

  // A line printed between redraws must not be glued to the bar.
  void BreakLine() {
    if (tty_ && !quiet_) std::fputc('\n', stderr);
  }

 private:
  int64_t total_;
  bool tty_;
  bool quiet_;
  bool finished_ = false;  // the last line is out; the final call repeats nothing
  std::chrono::steady_clock::time_point last_draw_{};
};

int RunImport(const Config& config, const ImportArgs& args) {
  // libarchive gives a ZIP entry's name in the process locale, which is "C"
  // until set: a name the ZIP flags as UTF-8 (a Chinese folder name) would
  // have no form at all. Only the character type: nothing else here reads
  // the locale.
  std::setlocale(LC_CTYPE, "C.UTF-8");
  auto rt = OpenRuntime(config, Role::kImport);
  if (!rt) return ReportError(rt.error());
  // A typo must not file a hospital's CD under a tenant nobody reads.
  const bool known = args.tenant == kDefaultTenant ||
                     std::ranges::any_of(config.tenants, [&](const TenantConfig& t) {
                       return t.code == args.tenant;
                     });
  if (!known) {
    return ReportError({ErrorCode::kInvalidArgument,
                        "unknown tenant '" + args.tenant +
                            "': use default or a [tenants.<code>] of the configuration"});
  }
  auto reports = OpenReports(config);
  if (!reports) return ReportError(reports.error());
  auto film_parts = OpenFilmParts(config);
  if (!film_parts) return ReportError(film_parts.error());
  film::FilmIssuer issuer(*rt->archive, **reports, *film_parts->films, *film_parts->log,
                          *film_parts->keys, film_parts->options);
  FileReportsAsStored(*rt->archive, **reports, issuer, "import");
  archive::Importer importer(*rt->archive, args.tenant, {.jobs = args.jobs});
  std::vector<std::filesystem::path> inputs(args.paths.begin(), args.paths.end());
  const int64_t total = importer.Plan(inputs);
  Progress progress(total, args.quiet);
  std::vector<std::string> rejected;
  const auto start = std::chrono::steady_clock::now();
  const archive::ImportTotals totals =
      importer.Run([&](const archive::ImportItem& item, const archive::ImportTotals& so_far) {
        if (!item.result) {
          rejected.push_back(item.name + ": " + std::string(ToString(item.result.error().code)) +
                             ": " + item.result.error().message);
        } else {
          for (const auto& w : item.result->warnings) {
            progress.BreakLine();
            std::fprintf(stderr, "warning: %s: %s\n", item.name.c_str(), w.c_str());
          }
        }
        progress.Update(so_far);
      });
  progress.Finish(totals);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& r : rejected) std::printf("rejected: %s\n", r.c_str());
  std::printf("stored: %lld\nnew versions: %lld\nalready present: %lld\nrejected: %lld\n",
              static_cast<long long>(totals.stored), static_cast<long long>(totals.new_versions),
              static_cast<long long>(totals.already_present),
              static_cast<long long>(totals.rejected));
  std::printf("bytes: %llu in %.2f s\n", static_cast<unsigned long long>(totals.bytes), secs);
  return totals.rejected == 0 ? 0 : 1;
}

}  // namespace

void RegisterImport(CLI::App& app, Runner& run) {
  CLI::App* sub =
      app.add_subcommand("import", "import files, folders, ZIP archives and DICOMDIR media");
  auto args = std::make_shared<ImportArgs>();
  sub->add_option("paths", args->paths, "files, folders, ZIP files or DICOMDIR files")->required();
  sub->add_option("--tenant", args->tenant,
                  "the hospital the objects belong to (default, or a [tenants.<code>])");
  sub->add_flag("-q,--quiet", args->quiet, "no progress output");
  sub->add_option("-j,--jobs", args->jobs,
                  "objects ingested at once (default 0: twice the cores); 1 keeps the plan's "
                  "order, so that of two objects with one SOP Instance UID the first is version 1")
      ->check(CLI::Range(0, 64));
  sub->callback(
      [&run, args] { run = [args](const Config& config) { return RunImport(config, *args); }; });
}

}  // namespace cf::app
