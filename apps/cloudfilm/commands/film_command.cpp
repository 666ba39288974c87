// SPDX-License-Identifier: Apache-2.0
// `cloudfilm film package FILM_ID --out FILE`: writes a film's package
// (film/film_package.hpp) from the data folder, for an operator handing a
// film to a court or an insurer on a USB stick. The export is audited like
// an HTTP download (protocol "cli").
#include <iostream>
#include <memory>
#include <string>

#include "../runtime.hpp"
#include "audit/event.hpp"
#include "commands.hpp"
#include "film/film_package.hpp"
#include "film/film_store.hpp"

namespace cf::app {
namespace {

struct FilmArgs {
  std::string film_id;
  std::string out;
};

int RunPackage(const Config& config, const FilmArgs& args) {
  auto rt = OpenRuntime(config, Role::kTool);
  if (!rt) return ReportError(rt.error());
  auto reports = OpenReports(config);
  if (!reports) return ReportError(reports.error());
  auto parts = OpenFilmParts(config);
  if (!parts) return ReportError(parts.error());
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  // Operators act for every hospital of the folder, as `ledger` and `fsck` do.
  auto film = parts->films->GetAnyTenant(args.film_id);
  if (!film) return ReportError(film.error());
  film::ReportPrinter printer(*rt->archive, parts->printer);
  film::FilmPackager packager(*rt->archive, **reports, *parts->log, *parts->keys, &printer);
  auto summary = packager.Write(*film, args.out);
  audit::Event event;
  event.tenant = film->tenant;
  event.actor = "cli";
  event.study_uid = film->study_uid;
  event.action = audit::Action::kDownload;
  event.outcome = summary ? audit::Outcome::kSuccess : audit::Outcome::kFailure;
  event.protocol = "cli";
  event.route = "film package";
  event.detail = "film " + film->id;
  if (auto recorded = security->audit->Record(std::move(event)); !recorded) {
    return ReportError(recorded.error());
  }
  if (!summary) return ReportError(summary.error());
  std::cout << args.out << ": " << summary->members << " files, " << summary->objects
            << " objects, " << summary->report_versions << " report versions, " << summary->pdfs
            << " PDFs sent, " << summary->rendered_pdfs << " printed\n";
  for (const auto& n : summary->not_indexed) {
    std::cout << "not in the DICOMDIR: " << n.member << ": " << n.reason << "\n";
  }
  return 0;
}

}  // namespace

void RegisterFilm(CLI::App& app, Runner& run) {
  auto args = std::make_shared<FilmArgs>();
  CLI::App* film = app.add_subcommand("film", "issued films: write a film's package");
  film->require_subcommand(1);
  CLI::App* package = film->add_subcommand(
      "package", "write the film's package (ZIP: DICOM with DICOMDIR, reports, signed proof)");
  package->add_option("film", args->film_id, "the film id")->required();
  package->add_option("--out", args->out, "the ZIP file to write")->required();
  package->callback(
      [&run, args] { run = [args](const Config& config) { return RunPackage(config, *args); }; });
}

}  // namespace cf::app
