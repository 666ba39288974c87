// SPDX-License-Identifier: Apache-2.0
// The REST API of reports (docs/conformance.md, "Reports"): a department's
// RIS or a signing doctor posts report versions; readers list an exam's
// reports with their history and fetch a version's PDF.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

// Adds the report routes when `context.reports` is set.
void AddReportRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
