// SPDX-License-Identifier: Apache-2.0
// `cloudfilm share ...`: patient shares of films for hospitals without a
// web app, run by the operator (who has the data folder anyway).
//
//   create FILM [--scope film|patient] [--days N] [--phone P] [--id-number N]
//               [--recipient R] [--qr-png FILE] [--qr-svg FILE]
//                  makes the film's patient share with its hospital's
//                  factor; prints the share, URL and token (once) as JSON
//   list FILM      the film's shares (no tokens)
//   revoke ID      revokes a share and the doctor shares made from it
//
// URLs start with http.public_base_url, which must be set. Every change is
// an audit event of the operator.
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "../runtime.hpp"
#include "access/access.hpp"
#include "commands.hpp"
#include "core/time_text.hpp"
#include "film/film_store.hpp"
#include "http/film_share.hpp"
#include "http/qr_code.hpp"

namespace cf::app {
namespace {

struct ShareArgs {
  std::string film;
  std::string id;
  std::string scope = "film";
  int days = 30;
  std::string phone;
  std::string id_number;
  std::string recipient;
  std::string qr_png;
  std::string qr_svg;
};

nlohmann::json Info(const access::ShareInfo& s) {
  return {{"id", s.id},
          {"film_id", s.film_id},
          {"scope", access::ShareScopeName(s.scope)},
          {"study_uids", s.study_uids},
          {"factor", access::ShareFactorName(s.factor)},
          {"expires_ms", s.expires_ms},
          {"revoked", s.revoked_ms.has_value()},
          {"first_opened_ms", s.first_opened_ms ? nlohmann::json(*s.first_opened_ms) : nullptr}};
}

Result<void> WriteOut(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Fail(ErrorCode::kStorageUnavailable, "cannot write " + path);
  return {};
}

int RunCreate(const Config& config, const ShareArgs& args) {
  if (config.http_public_base_url.empty()) {
    return ReportError({ErrorCode::kInvalidArgument,
                        "set http.public_base_url: the URL patients reach this server at"});
  }
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  auto rt = OpenRuntime(config);
  if (!rt) return ReportError(rt.error());
  auto films = OpenFilmParts(config);
  if (!films) return ReportError(films.error());
  http::FilmShareRequest request;
  request.film_id = args.film;
  request.patient_scope = args.scope == "patient";
  request.expires_ms = UnixNowMs() + int64_t{args.days} * 86'400'000;
  request.phone = args.phone;
  request.id_number = args.id_number;
  request.recipient = args.recipient;
  auto issued = http::ShareFilm(*rt->archive, *films->films, *security->access,
                                access::OperatorPrincipal(), catalog::Scope::All(), request);
  if (!issued) return ReportError(issued.error());
  const std::string url = http::ShareUrl(config.http_public_base_url, issued->token);
  auto qr = http::MakeQrCode(url);
  if (!qr) return ReportError(qr.error());
  if (!args.qr_png.empty()) {
    if (auto written = WriteOut(args.qr_png, AsChars(qr->png)); !written) {
      return ReportError(written.error());
    }
  }
  if (!args.qr_svg.empty()) {
    if (auto written = WriteOut(args.qr_svg, qr->svg); !written) {
      return ReportError(written.error());
    }
  }
  std::cout << nlohmann::json{{"share", Info(issued->info)}, {"url", url}, {"token", issued->token}}
                   .dump()
            << "\n";
  return 0;
}

int RunList(const Config& config, const ShareArgs& args) {
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  auto films = OpenFilmParts(config);
  if (!films) return ReportError(films.error());
  auto film = films->films->Get(catalog::Scope::All(), args.film);
  if (!film) return ReportError(film.error());
  auto shares = security->access->ListShares(access::OperatorPrincipal(), film->tenant, film->id);
  if (!shares) return ReportError(shares.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& s : *shares) items.push_back(Info(s));
  std::cout << items.dump() << "\n";
  return 0;
}

int RunRevoke(const Config& config, const ShareArgs& args) {
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  auto revoked = security->access->RevokeShare(access::OperatorPrincipal(), args.id);
  if (!revoked) return ReportError(revoked.error());
  std::cout << "revoked " << args.id << "\n";
  return 0;
}

}  // namespace

void RegisterShare(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ShareArgs>();
  CLI::App* share = app.add_subcommand("share", "patient shares of films (QR codes)");
  share->require_subcommand(1);

  CLI::App* create = share->add_subcommand(
      "create", "make a film's patient share; prints its URL and token once (JSON)");
  create->add_option("film", args->film, "the film id")->required();
  create->add_option("--scope", args->scope, "film (its exam) or patient (every exam)")
      ->check(CLI::IsMember({"film", "patient"}));
  create->add_option("--days", args->days, "days until it expires (default 30)")
      ->check(CLI::Range(1, 3650));
  create->add_option("--phone", args->phone, "the phone number (phone-last4 hospitals)");
  create->add_option("--id-number", args->id_number, "the ID card number (id-last4 hospitals)");
  create->add_option("--recipient", args->recipient, "where one-time codes and notices go");
  create->add_option("--qr-png", args->qr_png, "write the QR code as PNG here");
  create->add_option("--qr-svg", args->qr_svg, "write the QR code as SVG here");
  create->callback(
      [&run, args] { run = [args](const Config& config) { return RunCreate(config, *args); }; });

  CLI::App* list = share->add_subcommand("list", "a film's shares as JSON (no tokens)");
  list->add_option("film", args->film, "the film id")->required();
  list->callback(
      [&run, args] { run = [args](const Config& config) { return RunList(config, *args); }; });

  CLI::App* revoke = share->add_subcommand("revoke", "revoke a share and its doctor shares");
  revoke->add_option("id", args->id, "the share id")->required();
  revoke->callback(
      [&run, args] { run = [args](const Config& config) { return RunRevoke(config, *args); }; });
}

}  // namespace cf::app
