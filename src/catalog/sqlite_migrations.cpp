// SPDX-License-Identifier: Apache-2.0
#include "catalog/sqlite_migrations.hpp"

#include <array>
#include <span>
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
    // 5: tenants (hospitals). Patient identity becomes (tenant, issuer,
    // Patient ID), and study, series and instance UIDs are unique per
    // tenant only, so that the same UIDs sent by two hospitals never merge.
    // SQLite cannot drop a UNIQUE constraint: the four tables are rebuilt,
    // keeping their primary keys (Migrate runs with foreign keys off). The
    // UID comes first in each unique index so that lookups across tenants
    // (platform administrators) use it too. Everything stored before
    // belongs to tenant 1, 'default'.
    R"sql(
CREATE TABLE tenants (
  pk   INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE
);
INSERT INTO tenants (pk, code) VALUES (1, 'default');

CREATE TABLE patients_v5 (
  pk          INTEGER PRIMARY KEY,
  tenant_pk   INTEGER NOT NULL REFERENCES tenants (pk),
  patient_id  TEXT NOT NULL,
  issuer      TEXT NOT NULL DEFAULT '',
  name        TEXT NOT NULL DEFAULT '',
  birth_date  TEXT NOT NULL DEFAULT '',
  sex         TEXT NOT NULL DEFAULT '',
  UNIQUE (patient_id, issuer, tenant_pk)
);
INSERT INTO patients_v5 (pk, tenant_pk, patient_id, issuer, name, birth_date, sex)
  SELECT pk, 1, patient_id, issuer, name, birth_date, sex FROM patients;
DROP TABLE patients;
ALTER TABLE patients_v5 RENAME TO patients;
CREATE INDEX patients_name ON patients (name);

CREATE TABLE studies_v5 (
  pk           INTEGER PRIMARY KEY,
  tenant_pk    INTEGER NOT NULL REFERENCES tenants (pk),
  patient_pk   INTEGER NOT NULL REFERENCES patients (pk),
  study_uid    TEXT NOT NULL,
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
  updated_at   INTEGER NOT NULL,
  UNIQUE (study_uid, tenant_pk)
);
INSERT INTO studies_v5 (pk, tenant_pk, patient_pk, study_uid, study_date, study_time, accession,
                        study_id, description, referring, modalities, num_series, num_instances,
                        created_at, updated_at)
  SELECT pk, 1, patient_pk, study_uid, study_date, study_time, accession, study_id, description,
         referring, modalities, num_series, num_instances, created_at, updated_at FROM studies;
DROP TABLE studies;
ALTER TABLE studies_v5 RENAME TO studies;
CREATE INDEX studies_patient ON studies (patient_pk);
CREATE INDEX studies_accession ON studies (accession);
CREATE INDEX studies_date_time ON studies (study_date, study_time);
CREATE INDEX studies_study_id ON studies (study_id);

CREATE TABLE series_v5 (
  pk             INTEGER PRIMARY KEY,
  tenant_pk      INTEGER NOT NULL REFERENCES tenants (pk),
  study_pk       INTEGER NOT NULL REFERENCES studies (pk),
  series_uid     TEXT NOT NULL,
  modality       TEXT NOT NULL DEFAULT '',
  series_number  INTEGER,
  description    TEXT NOT NULL DEFAULT '',
  body_part      TEXT NOT NULL DEFAULT '',
  num_instances  INTEGER NOT NULL DEFAULT 0,
  series_date    TEXT NOT NULL DEFAULT '',
  series_time    TEXT NOT NULL DEFAULT '',
  pps_start_date TEXT NOT NULL DEFAULT '',
  pps_start_time TEXT NOT NULL DEFAULT '',
  UNIQUE (series_uid, tenant_pk)
);
INSERT INTO series_v5 (pk, tenant_pk, study_pk, series_uid, modality, series_number, description,
                       body_part, num_instances, series_date, series_time, pps_start_date,
                       pps_start_time)
  SELECT pk, 1, study_pk, series_uid, modality, series_number, description, body_part,
         num_instances, series_date, series_time, pps_start_date, pps_start_time FROM series;
DROP TABLE series;
ALTER TABLE series_v5 RENAME TO series;
CREATE INDEX series_study ON series (study_pk);
CREATE INDEX series_modality ON series (modality);

CREATE TABLE instances_v5 (
  pk              INTEGER PRIMARY KEY,
  tenant_pk       INTEGER NOT NULL REFERENCES tenants (pk),
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
  stored_form     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (sop_uid, tenant_pk, version)
);
INSERT INTO instances_v5 (pk, tenant_pk, series_pk, sop_uid, version, sop_class, instance_number,
                          transfer_syntax, rows, columns, frames, sha256, size, blob_key,
                          stored_size, source, received_at, stored_form)
  SELECT pk, 1, series_pk, sop_uid, version, sop_class, instance_number, transfer_syntax, rows,
         columns, frames, sha256, size, blob_key, stored_size, source, received_at, stored_form
  FROM instances;
DROP TABLE instances;
ALTER TABLE instances_v5 RENAME TO instances;
CREATE INDEX instances_series ON instances (series_pk, instance_number);
CREATE INDEX instances_blob ON instances (blob_key);
CREATE INDEX instances_unexamined ON instances (pk) WHERE stored_form = 0;
CREATE INDEX instances_sop_class ON instances (sop_class);
)sql",
    // 6: the counters of each hospital, so that a hospital's admin sees
    // its own totals without a scan of every instance (the node's stay in
    // counters). Filled from what is stored. No index of instances by
    // tenant: every ingest would pay for it.
    R"sql(
CREATE TABLE tenant_counters (
  tenant_pk          INTEGER PRIMARY KEY REFERENCES tenants (pk),
  instances          INTEGER NOT NULL DEFAULT 0,
  instance_versions  INTEGER NOT NULL DEFAULT 0,
  bytes_received     INTEGER NOT NULL DEFAULT 0,
  bytes_stored       INTEGER NOT NULL DEFAULT 0
);
INSERT INTO tenant_counters (tenant_pk, instances, instance_versions, bytes_received, bytes_stored)
  SELECT tenant_pk, sum(version = 1), count(*), sum(size), sum(stored_size)
  FROM instances GROUP BY tenant_pk;
CREATE INDEX patients_tenant ON patients (tenant_pk);
CREATE INDEX studies_tenant ON studies (tenant_pk);
CREATE INDEX series_tenant ON series (tenant_pk);
)sql",
    // 7: the node's counters are the sum of the hospitals' (GetTotals):
    // one counter row to update per object stored, not two.
    R"sql(
DROP TABLE counters;
)sql",
    // 8: each instance's bytes without its Pixel Data value, written at
    // ingest, so that WADO-RS metadata reads a few KiB from here instead of
    // each whole object from the blob store. Apart from `instances`, whose
    // rows stay narrow for the queries that scan them.
    R"sql(
CREATE TABLE instance_headers (
  instance_pk INTEGER PRIMARY KEY REFERENCES instances (pk) ON DELETE CASCADE,
  header      BLOB NOT NULL
);
)sql",
    // 9: indexes in the order QIDO-RS answers, so that a page of series or
    // instances, or a hospital's newest studies, is read off an index and
    // ends after `limit` rows instead of a sort of everything that matches
    // (34 ms at 10,000 instances, and linear). Each replaces an index that
    // was its prefix, so ingest maintains no more indexes than before.
    // Instances that share a number keep their arrival order (pk).
    R"sql(
DROP INDEX instances_series;
CREATE INDEX instances_series_order
  ON instances (series_pk, instance_number IS NULL, instance_number);
DROP INDEX series_study;
CREATE INDEX series_study_order ON series (study_pk, series_number IS NULL, series_number);
DROP INDEX series_tenant;
CREATE INDEX series_tenant_order
  ON series (tenant_pk, study_pk, series_number IS NULL, series_number);
DROP INDEX studies_tenant;
CREATE INDEX studies_tenant_date ON studies (tenant_pk, study_date, study_time);
DROP INDEX patients_tenant;
CREATE INDEX patients_tenant_name ON patients (tenant_pk, name, patient_id);
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

Result<void> Migrate(Connection& db, int up_to) {
  const auto migrations =
      std::span<const char* const>(kMigrations).first(static_cast<size_t>(up_to));
  return ApplyMigrations(db, migrations, "catalog", [](Connection& c, int version) {
    return version == 3 ? BuildNameWords(c) : Result<void>{};
  });
}

}  // namespace cf::catalog::sqlite
