// SPDX-License-Identifier: Apache-2.0
// Every route of the server, in one call: used by the server and by the
// route-policy tests, so that a test sees exactly the routes that serve.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

void AddAllRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
