// SPDX-License-Identifier: Apache-2.0
// Everything a FilmIssuer needs, in a temporary folder, for tests: reports,
// films, a signing transparency log and signing keys under a fixed master
// key; and a FilmPackager over them. Header-only: each test target links the parts it uses.
#pragma once

#include <filesystem>
#include <memory>

#include "archive/archive.hpp"
#include "crypto/key_store.hpp"
#include "crypto/signing.hpp"
#include "crypto/signing_key_store.hpp"
#include "film/film_issuer.hpp"
#include "film/film_package.hpp"
#include "film/film_store.hpp"
#include "film/report_pdf.hpp"
#include "film/report_store.hpp"
#include "film/visit_store.hpp"
#include "ledger/transparency_log.hpp"

namespace cf::testing {

struct TestFilms {
  std::unique_ptr<film::ReportStore> reports;
  std::unique_ptr<film::FilmStore> films;
  std::unique_ptr<ledger::TransparencyLog> log;
  std::unique_ptr<crypto::SigningKeyStore> keys;
  std::unique_ptr<film::VisitStore> visits;
  std::unique_ptr<film::ReportPrinter> printer;
  std::unique_ptr<film::FilmIssuer> issuer;
  std::unique_ptr<film::FilmPackager> packager;

  Result<void> Open(const std::filesystem::path& dir, archive::Archive& archive,
                    film::IssuerOptions options = {}) {
    std::filesystem::create_directories(dir);
    auto r = film::ReportStore::Open({dir / "reports.sqlite"});
    if (!r) return std::unexpected(r.error());
    reports = std::move(*r);
    auto f = film::FilmStore::Open(dir / "films.sqlite", "");
    if (!f) return std::unexpected(f.error());
    films = std::move(*f);
    const Bytes master(32, std::byte{7});
    auto provider = crypto::MakeLocalKeyProvider(master, "test");
    if (!provider) return std::unexpected(provider.error());
    auto k = crypto::SigningKeyStore::Open(dir / "keys", std::move(*provider));
    if (!k) return std::unexpected(k.error());
    keys = std::move(*k);
    auto log_key = keys->Active(crypto::kLedgerKeyOwner, crypto::SignatureSuite::kEd25519);
    if (!log_key) return std::unexpected(log_key.error());
    ledger::SqliteLogOptions log_options;
    log_options.path = dir / "ledger.sqlite";
    log_options.signer = *log_key;
    auto l = ledger::OpenSqliteTransparencyLog(std::move(log_options));
    if (!l) return std::unexpected(l.error());
    log = std::move(*l);
    auto v = film::VisitStore::Open(dir / "visits.sqlite", "");
    if (!v) return std::unexpected(v.error());
    visits = std::move(*v);
    if (!options.last_visits) {
      options.last_visits = [store = visits.get()](std::string_view tenant,
                                                   std::string_view patient,
                                                   std::string_view issuer_of_id) {
        return store->Last(tenant, patient, issuer_of_id);
      };
    }
    printer = std::make_unique<film::ReportPrinter>(archive, film::PrinterOptions{});
    issuer = std::make_unique<film::FilmIssuer>(archive, *reports, *films, *log, *keys,
                                                std::move(options));
    packager = std::make_unique<film::FilmPackager>(archive, *reports, *log, *keys);
    return {};
  }
};

}  // namespace cf::testing
