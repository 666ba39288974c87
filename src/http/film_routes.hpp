// SPDX-License-Identifier: Apache-2.0
// Films over HTTP (docs/conformance.md, "Films"): issue one for an exam,
// read a film with its signature and log proof, download its package (a
// ZIP: film/film_package.hpp), and the public verification of a film id
// that shows no patient data.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

// Adds the film routes when `context.films` and `context.issuer` are set;
// the package route when `context.packager` is set too.
void AddFilmRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
