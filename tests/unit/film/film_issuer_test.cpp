// SPDX-License-Identifier: Apache-2.0
#include "film/film_issuer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crypto/sha256.hpp"
#include "ledger/merkle.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"
#include "support/test_films.hpp"

namespace cf::film {
namespace {

class FilmIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(archive_.Open(dir_.Path() / "data"));
    IssuerOptions options;
    options.service_tier_years = [](std::string_view) { return 30; };
    ASSERT_TRUE(films_.Open(dir_.Path() / "films", *archive_.archive, std::move(options)));
    for (const char* sop : {"1.2.9.1.1.1", "1.2.9.1.1.2"}) {
      auto bytes = cf::testing::DicomBuilder()
                       .Study("1.2.9.1")
                       .Series("1.2.9.1.1")
                       .Sop(sop)
                       .Patient("P-77", "Wang^Fang")
                       .Set("StudyDate", "20261129")
                       .Pixels(8, 8)
                       .Build();
      ASSERT_TRUE(archive_.archive->Ingest(bytes, {"test", "", "ruijin"}));
    }
  }

  Report FinalReport(std::string conclusion, ReportStatus status = ReportStatus::kFinal) {
    NewReportVersion v;
    v.tenant = "ruijin";
    v.study_uid = "1.2.9.1";
    v.content.status = status;
    v.content.conclusion = std::move(conclusion);
    v.content.signer = "Dr. Li";
    v.content.signed_at_ms = 1795915800000;
    auto r = films_.reports->Submit(v);
    EXPECT_TRUE(r) << r.error().message;
    return *r;
  }

  cf::testing::TempDir dir_;
  cf::testing::TestArchive archive_;
  cf::testing::TestFilms films_;
};

TEST_F(FilmIssuerTest, AFilmListsEveryObjectAndReportSignedAndLogged) {
  const Report report = FinalReport("no abnormality");
  auto film = films_.issuer->Issue("ruijin", "1.2.9.1", "dr.li");
  ASSERT_TRUE(film) << film.error().message;
  const auto manifest = nlohmann::json::parse(film->manifest);
  const auto& content = manifest["content"];
  EXPECT_EQ(manifest["tenant"], "ruijin");
  EXPECT_EQ(content["patient"]["id"], "P-77");
  ASSERT_EQ(content["objects"].size(), 2u);
  EXPECT_EQ(content["objects"][0]["sha256"].get<std::string>().size(), 64u);
  ASSERT_EQ(content["reports"].size(), 1u);
  EXPECT_EQ(content["reports"][0]["sha256"], report.versions[0].sha256_hex);
  EXPECT_EQ(content["retention"]["service_tier_until"], "20561129") << "30 years from the exam";
  EXPECT_EQ(film->manifest_sha256, crypto::ToHex(crypto::Sha256(AsBytes(film->manifest))));

  // The signature verifies with the hospital's public key, and only for these bytes.
  auto key = films_.keys->Find(film->key_id);
  ASSERT_TRUE(key);
  EXPECT_TRUE((*key)->public_key().Verify(AsBytes(film->manifest), film->signature));
  std::string altered = film->manifest;
  altered[altered.find("P-77") + 2] = '8';
  EXPECT_FALSE((*key)->public_key().Verify(AsBytes(altered), film->signature));

  // The issuance is a log entry whose inclusion proof verifies.
  auto v = films_.issuer->Verify(*film);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->signature_valid);
  EXPECT_TRUE(v->in_log);
  auto entry = films_.log->Entry(film->ledger_index);
  ASSERT_TRUE(entry);
  const std::string text(reinterpret_cast<const char*>(entry->data()), entry->size());
  EXPECT_EQ(text.find("P-77"), std::string::npos) << "no patient data in the public log";
  EXPECT_NE(text.find(film->manifest_sha256), std::string::npos);
}

TEST_F(FilmIssuerTest, NothingChangedNothingIssuedAnAmendmentSupersedes) {
  FinalReport("no abnormality");
  auto first = films_.issuer->Issue("ruijin", "1.2.9.1", "dr.li");
  ASSERT_TRUE(first);
  auto again = films_.issuer->Issue("ruijin", "1.2.9.1", "dr.li");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(*films_.log->Size(), 1u);

  const Report amended = FinalReport("small nodule after all", ReportStatus::kAmended);
  films_.issuer->OnReportFiled(amended, "dr.li");  // what the report routes do
  auto list = films_.films->ForStudy(catalog::Scope::Of("ruijin"), "1.2.9.1");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->back().supersedes, first->id);
  EXPECT_EQ(films_.issuer->Verify(*first)->superseded_by, list->back().id);
  EXPECT_TRUE(films_.issuer->Verify(*first)->in_log) << "an older film still verifies";
}

TEST_F(FilmIssuerTest, OtherHospitalsAndUnknownExamsGetNoFilm) {
  EXPECT_EQ(films_.issuer->Issue("huashan", "1.2.9.1", "x").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(films_.issuer->Issue("ruijin", "1.2.9.999", "x").error().code, ErrorCode::kNotFound);
  auto film = films_.issuer->Issue("ruijin", "1.2.9.1", "x");
  ASSERT_TRUE(film);
  EXPECT_EQ(films_.films->Get(catalog::Scope::Of("huashan"), film->id).error().code,
            ErrorCode::kNotFound);
  // A preliminary report issues nothing.
  NewReportVersion draft;
  draft.tenant = "ruijin";
  draft.study_uid = "1.2.9.1";
  draft.kind = ReportKind::kUltrasound;
  draft.content.conclusion = "draft";
  auto r = films_.reports->Submit(draft);
  ASSERT_TRUE(r);
  films_.issuer->OnReportFiled(*r, "x");
  EXPECT_EQ(films_.films->ForStudy(catalog::Scope::Of("ruijin"), "1.2.9.1")->size(), 1u);
}

}  // namespace
}  // namespace cf::film
