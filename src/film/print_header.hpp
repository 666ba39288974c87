// SPDX-License-Identifier: Apache-2.0
// What a printed page says about the exam (report PDFs, the film sheet),
// and how DICOM values read on paper. Plain text, no drawing: the server
// and the render module (render_module.hpp) both compile it.
#pragma once

#include <string>
#include <string_view>

namespace cf::film {

// What the top of each page says about the exam; all values as the catalog
// holds them (DICOM PN, DA), empty when unknown.
struct PrintHeader {
  std::string hospital;
  std::string patient_name;  // DICOM PN: "Wang^Xiaoming=王^小明"
  std::string patient_id;
  std::string birth_date;  // YYYYMMDD
  std::string sex;         // M, F, O
  std::string accession;
  std::string study_date;  // YYYYMMDD
  std::string modalities;  // "CT", "CT\\SR"
  std::string study_description;
};

// How a DICOM person name reads on paper: the ideographic form first, the
// alphabetic one after it ("王小明 (Wang Xiaoming)").
std::string PrintableName(std::string_view dicom_pn);

// "20261129" -> "2026-11-29"; anything else as it is.
std::string PrintableDate(std::string_view da);
// "M" -> "男 Male", "F" -> "女 Female", "O" -> "其他 Other".
std::string PrintableSex(std::string_view sex);

// The patient's age on the exam date, from DICOM dates (YYYYMMDD): "45",
// or "8 个月 months" under two years; empty when either date is missing.
std::string AgeAtExam(std::string_view birth_date, std::string_view study_date);

}  // namespace cf::film
