// SPDX-License-Identifier: Apache-2.0
// The JSON shapes clients depend on: snake_case names as in records.hpp,
// null for absent numbers, UTF-8 names intact, no internal blob keys.
#include "http/json_records.hpp"

#include <gtest/gtest.h>

#include "http/response.hpp"

namespace cf::http {
namespace {

TEST(JsonRecordsTest, StudyKeepsUtf8NamesAndModalities) {
  catalog::StudyRecord study;
  study.study_instance_uid = "1.2.3";
  study.patient_name = "Wang^Wei=\xE7\x8E\x8B^\xE4\xBC\x9F";
  study.study_date = "20240115";
  study.modalities = {"CT", "SR"};
  study.num_series = 2;
  study.num_instances = 40;
  const auto json = ToJson(study);
  EXPECT_EQ(json["study_instance_uid"], "1.2.3");
  EXPECT_EQ(json["patient_name"], "Wang^Wei=\xE7\x8E\x8B^\xE4\xBC\x9F");
  EXPECT_EQ(json["modalities"], nlohmann::json::array({"CT", "SR"}));
  EXPECT_EQ(json["num_instances"], 40);
  EXPECT_TRUE(json.contains("accession_number"));
  EXPECT_TRUE(json.contains("updated_at_ms"));
  const Response response = JsonResponse(json);
  EXPECT_NE(response.BodyText().find("\xE7\x8E\x8B"), std::string_view::npos);
}

TEST(JsonRecordsTest, AbsentNumbersAreNull) {
  catalog::SeriesRecord series;
  series.series_instance_uid = "1.2.3.4";
  EXPECT_TRUE(ToJson(series)["series_number"].is_null());
  series.series_number = 7;
  EXPECT_EQ(ToJson(series)["series_number"], 7);
}

TEST(JsonRecordsTest, InstanceShowsVersionAndHashButNotBlobKey) {
  catalog::InstanceRecord instance;
  instance.sop_instance_uid = "1.2.3.4.5";
  instance.version = 2;
  instance.sha256_hex = std::string(64, 'a');
  instance.size = 1234;
  instance.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  instance.blob_key = "ab/cd/secret-layout";
  const auto json = ToJson(instance);
  EXPECT_EQ(json["version"], 2);
  EXPECT_EQ(json["sha256_hex"], std::string(64, 'a'));
  EXPECT_EQ(json["size"], 1234);
  EXPECT_EQ(json["transfer_syntax_uid"], "1.2.840.10008.1.2.1");
  EXPECT_TRUE(json["rows"].is_null());
  EXPECT_FALSE(json.contains("blob_key"));
}

TEST(JsonRecordsTest, PageHasTheEnvelope) {
  catalog::Page<catalog::PatientRecord> page;
  page.total = 42;
  catalog::PatientRecord patient;
  patient.patient_id = "P1";
  patient.num_studies = 3;
  page.items.push_back(patient);
  const auto json = PageToJson(page, 10, 20);
  EXPECT_EQ(json["total"], 42);
  EXPECT_EQ(json["limit"], 10);
  EXPECT_EQ(json["offset"], 20);
  ASSERT_EQ(json["items"].size(), 1u);
  EXPECT_EQ(json["items"][0]["patient_id"], "P1");
  EXPECT_EQ(json["items"][0]["num_studies"], 3);
}

TEST(JsonResponseTest, InvalidUtf8IsReplacedNotThrown) {
  catalog::PatientRecord patient;
  patient.patient_name = "bad\xFFname";
  Response response;
  ASSERT_NO_THROW(response = JsonResponse(ToJson(patient)));
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "application/json");
  const auto parsed = nlohmann::json::parse(response.BodyText());
  EXPECT_EQ(parsed["patient_name"], "bad\xEF\xBF\xBDname");
  EXPECT_EQ(response.Header("cache-control").value_or(""), "no-store");
}

TEST(EtagTest, MatchesListsWeakTagsAndStar) {
  EXPECT_TRUE(EtagMatches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("\"x\", W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagMatches("*", "\"abc\""));
  EXPECT_FALSE(EtagMatches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(EtagMatches("abc", "\"abc\""));
  EXPECT_FALSE(EtagMatches("", "\"abc\""));
}

}  // namespace
}  // namespace cf::http
