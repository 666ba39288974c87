// SPDX-License-Identifier: Apache-2.0
// The DICOM nodes (AE titles and peers) that admins manage from the admin
// console: GET /api/dicom-nodes, PUT and DELETE /api/dicom-nodes/{aet},
// POST /api/dicom-nodes/{aet}/echo. A hospital admin manages its own
// hospital's nodes, a platform admin any (manage-accounts). The
// configuration file's AE titles are listed too, read-only. Every change is
// an audit event. See docs/operations.md, "DICOM peers".
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

// Adds the routes when ApiContext::dicom_nodes is set.
void AddDicomNodeRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
