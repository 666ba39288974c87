// SPDX-License-Identifier: Apache-2.0
// cf_sql_tamper DATA DB "SQL": runs writing SQL on one of the data folder's
// encrypted databases, through the same encrypting VFS and key as
// cloudfilm, so that tamper tests can do what an attacker with the files
// and the master key could (`cloudfilm sql` is read-only on purpose). A
// test tool only: it is not installed, and nothing in the product writes
// databases this way.
//
// The key comes as cloudfilm's does (apps/cloudfilm/runtime.cpp,
// DatabaseVfs): $CLOUDFILM_MASTER_KEY or DATA/keys/master.key unwraps
// DATA/keys/databases.wrapped. A plaintext database (encryption off) is
// opened as it is.
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

#include "catalog/encrypted_vfs.hpp"
#include "catalog/sqlite_db.hpp"
#include "crypto/key_store.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: cf_sql_tamper DATA DB SQL   (DB: ledger, catalog, ...)\n");
    return 2;
  }
  const std::filesystem::path data = argv[1];
  const std::string label = argv[2];
  const std::filesystem::path db_path = data / (label + ".sqlite");
  std::string vfs;
  if (cf::catalog::sqlite::HasPlainSqliteHeader(db_path.string()) == false) {
    auto provider = cf::crypto::OpenLocalKeyProvider(
        {"CLOUDFILM_MASTER_KEY", {}, data / "keys" / "master.key"});
    if (!provider) {
      std::fprintf(stderr, "cf_sql_tamper: %s\n", provider.error().message.c_str());
      return 1;
    }
    auto key = cf::crypto::OpenOrCreateWrappedKey(**provider, data / "keys" / "databases.wrapped",
                                                  "cloudfilm sqlite databases v1");
    if (!key) {
      std::fprintf(stderr, "cf_sql_tamper: %s\n", key.error().message.c_str());
      return 1;
    }
    auto name = cf::catalog::RegisterEncryptedVfs(
        std::span<const std::byte, cf::catalog::kEncryptedVfsKeyBytes>(
            key->view().data(), cf::catalog::kEncryptedVfsKeyBytes),
        label);
    if (!name) {
      std::fprintf(stderr, "cf_sql_tamper: %s\n", name.error().message.c_str());
      return 1;
    }
    vfs = *name;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE,
                      vfs.empty() ? nullptr : vfs.c_str()) != SQLITE_OK) {
    std::fprintf(stderr, "cf_sql_tamper: cannot open %s: %s\n", db_path.c_str(),
                 sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  char* err = nullptr;
  const int rc = sqlite3_exec(db, argv[3], nullptr, nullptr, &err);
  if (rc != SQLITE_OK) std::fprintf(stderr, "cf_sql_tamper: %s\n", err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
  return rc == SQLITE_OK ? 0 : 1;
}
