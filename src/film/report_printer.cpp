// SPDX-License-Identifier: Apache-2.0
#include "film/report_pdf.hpp"

namespace cf::film {

Result<Bytes> ReportPrinter::Pdf(const catalog::Scope& scope, const Report& report,
                                 const ReportVersion& version) {
  if (!version.content.pdf.empty()) return version.content.pdf;
  PrintHeader header;
  header.accession = report.accession;
  if (options_.hospital_name) header.hospital = options_.hospital_name(report.tenant);
  if (!report.study_uid.empty()) {
    auto study = archive_.GetStudy(scope, report.study_uid);
    if (study) {
      header.patient_name = study->patient_name;
      header.patient_id = study->patient_id;
      header.birth_date = study->patient_birth_date;
      header.sex = study->patient_sex;
      if (header.accession.empty()) header.accession = study->accession_number;
      header.study_date = study->study_date;
      for (const auto& m : study->modalities) {
        if (!header.modalities.empty()) header.modalities += '\\';
        header.modalities += m;
      }
      header.study_description = study->study_description;
    } else if (study.error().code != ErrorCode::kNotFound) {
      // A report may come before its images; anything else is an error.
      return std::unexpected(study.error());
    }
  }
  return RenderReportPdf(report, version, header);
}

}  // namespace cf::film
