// SPDX-License-Identifier: Apache-2.0
// QIDO-RS (PS3.18 10.6): searches for studies, series and instances
// (/dicom-web/studies, /series, /instances and their study- and
// series-scoped forms), answered in DICOM JSON. See qido_routes.cpp for
// the parameters.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

void AddQidoRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
