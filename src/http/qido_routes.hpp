// SPDX-License-Identifier: Apache-2.0
// QIDO-RS (PS3.18 10.6), study level: /dicom-web/studies. Series and
// instance levels, fuzzy matching and includefield handling come with the
// DICOMweb work; what is here answers with correct DICOM JSON.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

void AddQidoRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
