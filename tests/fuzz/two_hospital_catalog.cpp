// SPDX-License-Identifier: Apache-2.0
#include "fuzz/two_hospital_catalog.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog/sqlite_catalog.hpp"
#include "dicom/instance.hpp"
#include "fuzz/require.hpp"

namespace cf::fuzz {
namespace {

std::filesystem::path TempFolder() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      (std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") / "cf-fuzz-qr-XXXXXX")
          .string();
  Require(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

// Eight instances per hospital: two studies of two series of two
// instances. Names, dates and numbers vary so that every kind of
// condition (wildcards, ranges, fuzzy names, numbers) has something to
// match and something to miss.
void Fill(catalog::Catalog& catalog, int hospital) {
  const char* tenant = hospital == 0 ? kNorth : kSouth;
  const char* names[2][2] = {{"Wang^Xiaoming=王^小明=ワン^シャオミン", "Li^Na"},
                             {"陈小明", "Li^Na^^Dr."}};
  const char* modalities[2][2] = {{"CT", "MR"}, {"US", "CT"}};
  for (int i = 0; i < 8; ++i) {
    const int study = i / 4;
    const int series = i / 2 % 2;
    dicom::ParsedInstance p;
    p.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    p.study_instance_uid = study == 0 ? kSharedStudy : hospital == 0 ? kNorthStudy : kSouthStudy;
    p.series_instance_uid = p.study_instance_uid + "." + std::to_string(series + 1);
    p.sop_instance_uid = p.series_instance_uid + "." + std::to_string(i % 2 + 1);
    p.patient_id = study == 0 ? "P0" : "P1";
    p.issuer_of_patient_id = hospital == 0 ? "NORTH" : "";
    p.patient_name = names[hospital][study];
    p.patient_birth_date = study == 0 ? "19800229" : "";
    p.patient_sex = study == 0 ? "M" : "F";
    p.study_date = study == 0 ? "20260110" : "20251231";
    p.study_time = study == 0 ? "083000.123" : "2359";
    p.accession_number = "A" + std::to_string(hospital) + std::to_string(study);
    p.study_id = std::to_string(study + 1);
    p.study_description = study == 0 ? "胸部 CT 平扫" : "Abdomen^Routine";
    p.referring_physician_name = study == 0 ? "Zhang^San" : "";
    p.modality = modalities[hospital][series];
    if (series == 0) p.series_number = 100 * hospital + series;  // the other has none
    p.series_description = series == 0 ? "AXIAL 5mm" : "";
    p.body_part_examined = "CHEST";
    p.series_date = p.study_date;
    p.series_time = "0830";
    p.instance_number = i % 2 == 0 ? std::optional<int>(i) : std::nullopt;
    p.rows = 512;
    p.columns = 512;
    p.number_of_frames = 1;
    p.transfer_syntax_uid = "1.2.840.10008.1.2.1";
    p.specific_character_set = "ISO_IR 192";
    catalog::InstanceToIndex in;
    in.parsed = &p;
    in.tenant = tenant;
    in.sha256_hex = std::string(64, static_cast<char>('a' + i));
    in.size = 1000;
    in.blob_key = std::string(tenant) + "-" + std::to_string(i);
    in.stored_size = 1000;
    in.source = "fuzz";
    Require(catalog.Index(in).has_value());
  }
}

}  // namespace

catalog::Catalog& TwoHospitalCatalog() {
  static const std::unique_ptr<catalog::Catalog> catalog = [] {
    auto opened = catalog::OpenSqliteCatalog({TempFolder() / "catalog.sqlite"});
    Require(opened.has_value());
    Fill(**opened, 0);
    Fill(**opened, 1);
    return std::move(*opened);
  }();
  return *catalog;
}

bool MatchInScope(const catalog::QueryMatch& match, catalog::QueryLevel level,
                  const catalog::Scope& scope) {
  if (!scope.Includes(match.patient.tenant)) return false;
  if (level == catalog::QueryLevel::kPatient) {
    // A share finds the patients of its studies, counting only those: a
    // count of all would tell that other exams exist.
    return !scope.restricted() ||
           (match.patient.num_studies >= 1 &&
            match.patient.num_studies <= static_cast<int64_t>(scope.studies().size()));
  }
  return scope.Includes(match.study.tenant, match.study.study_instance_uid);
}

}  // namespace cf::fuzz
