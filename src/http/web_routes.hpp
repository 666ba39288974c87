// SPDX-License-Identifier: Apache-2.0
// The web apps' pages and assets (web/, built by Vite into http.web_root):
// / (index), /s/{token} (the patient app: the URL a share's QR code holds),
// /viewer, /kiosk, /admin, and /assets/{file}. Pages hold no data (the
// apps fetch it through the API), so they are public; each carries a
// Content-Security-Policy that allows only this origin.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

void AddWebRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
