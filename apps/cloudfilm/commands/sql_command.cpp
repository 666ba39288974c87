// SPDX-License-Identifier: Apache-2.0
// `cloudfilm sql [--db NAME] "SELECT ..."` (NAME: catalog, access, audit, reports, films, ledger,
// visits, outbox, prints, dicom_nodes, commitments): a read-only query on one of the data folder's
// databases, for operators and tests. The databases are encrypted at rest, so the sqlite3 shell
// cannot read them; this goes through the same encrypting VFS as the server. Read-only by
// construction (SQLITE_OPEN_READONLY): repairs go through fsck.
#include <sqlite3.h>

#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "../runtime.hpp"
#include "catalog/sqlite_db.hpp"
#include "commands.hpp"

namespace cf::app {
namespace {

struct SqlArgs {
  std::string db = "catalog";
  std::string query;
};

int RunSql(const Config& config, const SqlArgs& args) {
  const std::map<std::string, std::filesystem::path, std::less<>> databases = {
      {"catalog", config.CatalogPath()},
      {"access", config.AccessPath()},
      {"audit", config.AuditPath()},
      {"reports", config.ReportsPath()},
      {"ledger", config.LedgerPath()},
      {"films", config.FilmsPath()},
      {"visits", config.VisitsPath()},
      {"outbox", config.OutboxPath()},
      {"prints", config.PrintsPath()},
      {"dicom_nodes", config.DicomNodesPath()},
      {"commitments", config.CommitmentsPath()}};
  const auto it = databases.find(args.db);
  if (it == databases.end()) {
    return ReportError(
        {ErrorCode::kInvalidArgument,
         "--db must be catalog, access, audit, reports, films, ledger, visits, outbox, prints, "
         "dicom_nodes or commitments"});
  }
  const std::filesystem::path& path = it->second;
  if (!std::filesystem::exists(path)) {
    return ReportError({ErrorCode::kNotFound, "no database " + path.string()});
  }
  auto vfs = DatabaseVfs(config, args.db, path);
  if (!vfs) return ReportError(vfs.error());
  auto db = catalog::sqlite::Connection::Open(path.string(), 5000, /*readonly=*/true, *vfs);
  if (!db) return ReportError(db.error());
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db->get(), args.query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return ReportError({ErrorCode::kInvalidArgument, sqlite3_errmsg(db->get())});
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> owned(stmt, &sqlite3_finalize);
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (i > 0) std::cout << '|';
      const auto* text = sqlite3_column_text(stmt, i);
      if (text != nullptr) std::cout << reinterpret_cast<const char*>(text);
    }
    std::cout << '\n';
  }
  if (rc != SQLITE_DONE)
    return ReportError({ErrorCode::kInvalidArgument, sqlite3_errmsg(db->get())});
  return 0;
}

}  // namespace

void RegisterSql(CLI::App& app, Runner& run) {
  auto args = std::make_shared<SqlArgs>();
  CLI::App* sub = app.add_subcommand(
      "sql", "run a read-only SQL query on a database of the data folder (they are encrypted)");
  sub->add_option(
      "--db", args->db,
      "catalog (default), access, audit, reports, films, ledger, visits, outbox, prints, "
      "dicom_nodes or commitments");
  sub->add_option("query", args->query, "the SQL, e.g. \"SELECT count(*) FROM instances\"")
      ->required();
  sub->callback(
      [&run, args] { run = [args](const Config& config) { return RunSql(config, *args); }; });
}

}  // namespace cf::app
