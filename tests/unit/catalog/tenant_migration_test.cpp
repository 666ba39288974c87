// SPDX-License-Identifier: Apache-2.0
// Migration 5 (tenants) on a catalog written before tenants existed: every
// row is kept under the default tenant, with its primary keys, counts and
// name words, and the rebuilt tables take the same UIDs from another
// tenant without a conflict. Migration 6 then counts each tenant's totals.
#include <gtest/gtest.h>

#include <tuple>

#include "catalog/sqlite_catalog.hpp"
#include "catalog/sqlite_db.hpp"
#include "catalog/sqlite_migrations.hpp"
#include "support/temp_dir.hpp"

namespace cf::catalog {
namespace {

TEST(TenantMigrationTest, AVersion4CatalogKeepsEverythingUnderDefault) {
  cf::testing::TempDir dir;
  const std::string path = (dir.Path() / "catalog.sqlite").string();
  {
    auto db = sqlite::Connection::Open(path, 1000, /*readonly=*/false);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(sqlite::Migrate(*db, 4));
    // What a version-4 catalog holds: one patient, study, series and two
    // versions of one instance.
    ASSERT_TRUE(db->Exec(R"sql(
INSERT INTO patients (pk, patient_id, issuer, name) VALUES (7, 'P1', '', 'Wang^Xiaoming=王^小明');
INSERT INTO patient_name_words (word, patient_pk) VALUES ('WANG', 7), ('王', 7);
INSERT INTO studies (pk, patient_pk, study_uid, study_date, modalities, num_series,
                     num_instances, created_at, updated_at)
  VALUES (11, 7, '1.2', '20250101', 'CT', 1, 1, 1, 2);
INSERT INTO series (pk, study_pk, series_uid, modality, num_instances, series_date)
  VALUES (13, 11, '1.2.3', 'CT', 1, '20250101');
INSERT INTO instances (pk, series_pk, sop_uid, version, sop_class, transfer_syntax, sha256, size,
                       blob_key, stored_size, received_at, stored_form)
  VALUES (17, 13, '1.2.3.1', 1, '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1', 'aa', 100,
          '20250101/08/old.dcm', 40, 5, 2),
         (18, 13, '1.2.3.1', 2, '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1', 'bb', 100,
          '20250101/08/old2.dcm', 100, 6, 0);
UPDATE counters SET value = 1 WHERE name = 'instances';
UPDATE counters SET value = 2 WHERE name = 'instance_versions';
)sql"));
  }
  auto catalog = OpenSqliteCatalog({dir.Path() / "catalog.sqlite"});
  ASSERT_TRUE(catalog) << catalog.error().message;
  const Scope kDefault = Scope::Of("default");
  auto study = (*catalog)->GetStudy(kDefault, "1.2");
  ASSERT_TRUE(study) << study.error().message;
  EXPECT_EQ(study->tenant, "default");
  EXPECT_EQ(study->patient_id, "P1");
  EXPECT_EQ(study->num_instances, 1);
  auto versions = (*catalog)->GetInstanceVersions(kDefault, "1.2.3.1");
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ(versions->at(1).blob_key, "20250101/08/old2.dcm");
  EXPECT_EQ(versions->at(0).stored_size, 40u);
  // The compactor's work list survived the rebuild.
  auto unexamined = (*catalog)->FindUnexamined(0, 10);
  ASSERT_TRUE(unexamined);
  ASSERT_EQ(unexamined->size(), 1u);
  EXPECT_EQ(unexamined->front().blob_key, "20250101/08/old2.dcm");
  // Name words still point at the patient (fuzzy matching).
  Query fuzzy{kDefault};
  fuzzy.fuzzy_names = true;
  fuzzy.conditions = {{QueryAttr::kPatientName, "王"}};
  EXPECT_EQ((*catalog)->Search(fuzzy)->items.size(), 1u);
  EXPECT_EQ((*catalog)->GetTotals()->instance_versions, 2);
  // Migration 6 counted what the hospital already held.
  auto own = (*catalog)->GetTenantTotals("default");
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(std::tuple(own->patients, own->studies, own->series, own->instances,
                       own->instance_versions, own->bytes_received, own->bytes_stored),
            std::tuple(1, 1, 1, 1, 2, 200u, 140u));

  // Another hospital's object under the same UIDs is its own.
  dicom::ParsedInstance p;
  p.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  p.sop_instance_uid = "1.2.3.1";
  p.series_instance_uid = "1.2.3";
  p.study_instance_uid = "1.2";
  p.patient_id = "OTHER";
  p.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  InstanceToIndex in;
  in.parsed = &p;
  in.tenant = "ruijin";
  in.sha256_hex = "cc";
  in.size = 10;
  in.blob_key = "ruijin/20261129/08/new.dcm";
  auto indexed = (*catalog)->Index(in);
  ASSERT_TRUE(indexed) << indexed.error().message;
  EXPECT_EQ(indexed->outcome, IndexOutcome::kStored);
  EXPECT_EQ((*catalog)->GetStudy(Scope::Of("ruijin"), "1.2")->patient_id, "OTHER");
  EXPECT_EQ((*catalog)->GetStudy(kDefault, "1.2")->patient_id, "P1");
  EXPECT_EQ((*catalog)->GetTenantTotals("ruijin")->bytes_received, 10u);
  EXPECT_EQ((*catalog)->GetTenantTotals("default")->bytes_received, 200u);
}

}  // namespace
}  // namespace cf::catalog
