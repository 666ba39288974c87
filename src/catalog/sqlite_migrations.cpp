// SPDX-License-Identifier: Apache-2.0
#include "catalog/sqlite_migrations.hpp"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "catalog/query.hpp"

namespace cf::catalog::sqlite {
namespace {

// Never edit a migration that has shipped: add a new one.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 1: patients, studies, series, instance versions, counters.
    R"sql(
CREATE TABLE patients (
  pk          INTEGER PRIMARY KEY,
  patient_id  TEXT NOT NULL,
  issuer      TEXT NOT NULL DEFAULT '',
  name        TEXT NOT NULL DEFAULT '',
  birth_date  TEXT NOT NULL DEFAULT '',
  sex         TEXT NOT NULL DEFAULT '',
  UNIQUE (patient_id, issuer)
);
CREATE INDEX patients_name ON patients (name);

CREATE TABLE studies (
  pk           INTEGER PRIMARY KEY,
  patient_pk   INTEGER NOT NULL REFERENCES patients (pk),
  study_uid    TEXT NOT NULL UNIQUE,
  study_date   TEXT NOT NULL DEFAULT '',
  study_time   TEXT NOT NULL DEFAULT '',
  accession    TEXT NOT NULL DEFAULT '',
  study_id     TEXT NOT NULL DEFAULT '',
  description  TEXT NOT NULL DEFAULT '',
  referring    TEXT NOT NULL DEFAULT '',
  modalities   TEXT NOT NULL DEFAULT '',
  num_series    INTEGER NOT NULL DEFAULT 0,
  num_instances INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX studies_patient ON studies (patient_pk);
CREATE INDEX studies_date ON studies (study_date);
CREATE INDEX studies_accession ON studies (accession);

CREATE TABLE series (
  pk            INTEGER PRIMARY KEY,
  study_pk      INTEGER NOT NULL REFERENCES studies (pk),
  series_uid    TEXT NOT NULL UNIQUE,
  modality      TEXT NOT NULL DEFAULT '',
  series_number INTEGER,
  description   TEXT NOT NULL DEFAULT '',
  body_part     TEXT NOT NULL DEFAULT '',
  num_instances INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX series_study ON series (study_pk);
CREATE INDEX series_modality ON series (modality);

CREATE TABLE instances (
  pk              INTEGER PRIMARY KEY,
  series_pk       INTEGER NOT NULL REFERENCES series (pk),
  sop_uid         TEXT NOT NULL,
  version         INTEGER NOT NULL,
  sop_class       TEXT NOT NULL,
  instance_number INTEGER,
  transfer_syntax TEXT NOT NULL,
  rows            INTEGER,
  columns         INTEGER,
  frames          INTEGER,
  sha256          TEXT NOT NULL,
  size            INTEGER NOT NULL,
  blob_key        TEXT NOT NULL,
  stored_size     INTEGER NOT NULL,
  source          TEXT NOT NULL DEFAULT '',
  received_at     INTEGER NOT NULL,
  UNIQUE (sop_uid, version)
);
CREATE INDEX instances_series ON instances (series_pk, instance_number);
CREATE INDEX instances_blob ON instances (blob_key);

CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES
  ('instances', 0), ('instance_versions', 0), ('bytes_received', 0), ('bytes_stored', 0);
)sql",
    // 2: how each blob holds its object: 0 as received, not yet examined
    // (the compactor's work list), 1 as received by decision, 2 stored form.
    R"sql(
ALTER TABLE instances ADD COLUMN stored_form INTEGER NOT NULL DEFAULT 0;
UPDATE instances SET stored_form = 2 WHERE stored_size < size;
CREATE INDEX instances_unexamined ON instances (pk) WHERE stored_form = 0;
)sql",
    // 3: what queries need at a million instances: the words of patient
    // names for fuzzy matching (filled from the names by BuildNameWords),
    // studies in date and time order, instances by SOP class.
    R"sql(
CREATE TABLE patient_name_words (
  word       TEXT NOT NULL,
  patient_pk INTEGER NOT NULL REFERENCES patients (pk),
  PRIMARY KEY (word, patient_pk)
) WITHOUT ROWID;
DROP INDEX studies_date;
CREATE INDEX studies_date_time ON studies (study_date, study_time);
CREATE INDEX studies_study_id ON studies (study_id);
CREATE INDEX instances_sop_class ON instances (sop_class);
)sql",
    // 4: the series dates QIDO-RS returns at series level (PS3.18 table
    // 10.6.3-4) and viewers ask for. Series indexed before stay empty here.
    R"sql(
ALTER TABLE series ADD COLUMN series_date TEXT NOT NULL DEFAULT '';
ALTER TABLE series ADD COLUMN series_time TEXT NOT NULL DEFAULT '';
ALTER TABLE series ADD COLUMN pps_start_date TEXT NOT NULL DEFAULT '';
ALTER TABLE series ADD COLUMN pps_start_time TEXT NOT NULL DEFAULT '';
)sql",
};

// Fills patient_name_words for the patients already stored (migration 3).
Result<void> BuildNameWords(Connection& db) {
  auto select = db.Prepare("SELECT pk, name FROM patients");
  if (!select) return std::unexpected(select.error());
  std::vector<std::pair<int64_t, std::string>> patients;
  for (;;) {
    auto row = (*select)->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    patients.emplace_back((*select)->Int(0), (*select)->Text(1));
  }
  (*select)->Reset();
  for (const auto& [pk, name] : patients) {
    if (auto r = InsertNameWords(db, pk, name); !r) return r;
  }
  return {};
}

}  // namespace

Result<void> InsertNameWords(Connection& db, int64_t patient_pk, std::string_view name) {
  auto insert =
      db.Prepare("INSERT OR IGNORE INTO patient_name_words (word, patient_pk) VALUES (?1, ?2)");
  if (!insert) return std::unexpected(insert.error());
  for (const auto& word : NameWords(name)) {
    (*insert)->Bind(1, word).Bind(2, patient_pk);
    if (auto r = (*insert)->Run(); !r) return r;
  }
  return {};
}

Result<void> Migrate(Connection& db) {
  return ApplyMigrations(db, kMigrations, "catalog", [](Connection& c, int version) {
    return version == 3 ? BuildNameWords(c) : Result<void>{};
  });
}

}  // namespace cf::catalog::sqlite
