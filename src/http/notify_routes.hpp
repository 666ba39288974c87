// SPDX-License-Identifier: Apache-2.0
// The notification outbox over HTTP (docs/operations.md, "Notifications"):
// hospital admins see the delivery state of their hospital's messages
// (platform admins every hospital's), without bodies and with masked
// recipients, and may send a message, to test a gateway.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

// Adds the routes when `context.outbox` is set.
void AddNotifyRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
