// SPDX-License-Identifier: Apache-2.0
#include "film/film_store.hpp"

#include <mutex>

#include "catalog/sqlite_db.hpp"

namespace cf::film {
namespace {

using catalog::sqlite::Collect;
using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

// Never edit a migration that has shipped: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE films (
  pk              INTEGER PRIMARY KEY,
  public_id       TEXT NOT NULL UNIQUE,
  tenant          TEXT NOT NULL,
  study_uid       TEXT NOT NULL,
  manifest        TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  suite           TEXT NOT NULL,
  key_id          TEXT NOT NULL,
  signature       BLOB NOT NULL,
  ledger_index    INTEGER NOT NULL,
  issued_ms       INTEGER NOT NULL,
  issued_by       TEXT NOT NULL,
  supersedes      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX films_study ON films (study_uid, tenant);
CREATE TRIGGER films_append_only_update BEFORE UPDATE ON films
BEGIN SELECT RAISE(ABORT, 'films are append-only'); END;
CREATE TRIGGER films_append_only_delete BEFORE DELETE ON films
BEGIN SELECT RAISE(ABORT, 'films are append-only'); END;
)sql",
};

constexpr const char* kColumns =
    "SELECT public_id, tenant, study_uid, manifest, manifest_sha256, suite, key_id, signature, "
    "ledger_index, issued_ms, issued_by, supersedes FROM films ";

Film ReadFilm(const Statement& s) {
  Film f;
  f.id = s.Text(0);
  f.tenant = s.Text(1);
  f.study_uid = s.Text(2);
  f.manifest = s.Text(3);
  f.manifest_sha256 = s.Text(4);
  f.suite = s.Text(5);
  f.key_id = s.Text(6);
  f.signature = s.Blob(7);
  f.ledger_index = static_cast<uint64_t>(s.Int(8));
  f.issued_at_ms = s.Int(9);
  f.issued_by = s.Text(10);
  f.supersedes = s.Text(11);
  return f;
}

}  // namespace

struct FilmStore::Impl {
  std::mutex mutex;
  Connection db;
};

FilmStore::FilmStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FilmStore::~FilmStore() = default;

Result<std::unique_ptr<FilmStore>> FilmStore::Open(const std::filesystem::path& path,
                                                   const std::string& vfs) {
  auto db = catalog::sqlite::OpenDurable(path.string(), vfs, kMigrations, "films");
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  return std::unique_ptr<FilmStore>(new FilmStore(std::move(impl)));
}

Result<void> FilmStore::Add(const Film& f) {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "INSERT INTO films (public_id, tenant, study_uid, manifest, manifest_sha256, suite, key_id, "
      "signature, ledger_index, issued_ms, issued_by, supersedes) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, f.id).Bind(2, f.tenant).Bind(3, f.study_uid).Bind(4, f.manifest);
  (*s)->Bind(5, f.manifest_sha256).Bind(6, f.suite).Bind(7, f.key_id).BindBlob(8, f.signature);
  (*s)->Bind(9, static_cast<int64_t>(f.ledger_index)).Bind(10, f.issued_at_ms);
  (*s)->Bind(11, f.issued_by).Bind(12, f.supersedes);
  return (*s)->Run();
}

Result<Film> FilmStore::Get(const catalog::Scope& scope, std::string_view id) {
  auto film = GetAnyTenant(id);
  if (film && !scope.Includes(film->tenant, film->study_uid))
    return Fail(ErrorCode::kNotFound, "unknown film");
  return film;
}

Result<Film> FilmStore::GetAnyTenant(std::string_view id) {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(std::string(kColumns) + "WHERE public_id = ?1");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, id);
  auto film = First<Film>(**s, ReadFilm);
  if (!film) return std::unexpected(film.error());
  if (!*film) return Fail(ErrorCode::kNotFound, "unknown film");
  return std::move(**film);
}

Result<std::vector<Film>> FilmStore::ForStudy(const catalog::Scope& scope,
                                              std::string_view study_uid) {
  if (!scope.IncludesStudy(study_uid)) return std::vector<Film>();
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(std::string(kColumns) +
                             "WHERE study_uid = ?1 AND (?2 = 1 OR tenant = ?3) ORDER BY pk");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, study_uid).Bind(2, int64_t{scope.all() ? 1 : 0}).Bind(3, scope.tenant());
  return Collect<Film>(**s, ReadFilm);
}

}  // namespace cf::film
