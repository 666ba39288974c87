// SPDX-License-Identifier: Apache-2.0
// Patient shares of films (access/share.hpp) over HTTP: the hospital's
// /api/films/{film}/shares and /api/shares/{id}, the patient's
// /api/share-sessions, /s/{token}, /api/my/shares and /api/my/access-history.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

// Adds the share routes when `context` has access and films.
void AddShareRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
