// SPDX-License-Identifier: Apache-2.0
// Visits and retention over HTTP (docs/conformance.md, "Retention"): the
// hospital's information system reports outpatient visits and discharges,
// and anyone who may read an exam can ask how long it is kept and why.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

// Adds the routes when `context.visits` and `context.issuer` are set.
void AddVisitRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
