// SPDX-License-Identifier: Apache-2.0
// The self-service kiosk (and the service desk, which uses the same page):
// a device account of one hospital opens a patient's share with the slip
// and its second factor, lists every report and film of the shared exams
// with their printed status, prints the report PDFs and film sheets, and
// records each print. See docs/security.md, "Kiosks".
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

void AddKioskRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
