// SPDX-License-Identifier: Apache-2.0
// Printable PDFs of reports that arrive as text (REST, FHIR without a
// presentedForm, DICOM SR), so that every report can be printed at a kiosk
// and carried in a film package. The paper copy names what it is a copy of:
// every page carries the hospital, the patient and exam, and the report's
// id, version, status and content hash, so a reader can match it with the
// signed film. Drawn with cairo + pango (fontconfig picks a CJK font) in
// the render module, which the server loads only when it prints.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "archive/archive.hpp"
#include "catalog/scope.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "film/print_header.hpp"
#include "film/report.hpp"

namespace cf::film {

// A4 pages, as many as the text needs. The bytes depend only on the
// arguments (the PDF's creation date is the version's receipt time), so
// printing the same version twice gives the same file. Drawn by the render
// module (render_module.hpp), loaded on the first call: kInternal when it
// is missing.
Result<Bytes> RenderReportPdf(const Report& report, const ReportVersion& version,
                              const PrintHeader& header);

struct PrinterOptions {
  // The hospital's name as configured ([tenants.<code>].name).
  std::function<std::string(std::string_view tenant)> hospital_name;
};

// The PDF to print or to package for a report version: the department's
// own when it sent one, otherwise one rendered from the text with the
// exam's header read from the archive in `scope`. Thread-safe.
class ReportPrinter {
 public:
  ReportPrinter(archive::Archive& archive, PrinterOptions options)
      : archive_(archive), options_(std::move(options)) {}

  Result<Bytes> Pdf(const catalog::Scope& scope, const Report& report,
                    const ReportVersion& version);

 private:
  archive::Archive& archive_;
  PrinterOptions options_;
};

}  // namespace cf::film
