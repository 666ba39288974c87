// SPDX-License-Identifier: Apache-2.0
// STOW-RS (PS3.18 10.5): POST /dicom-web/studies and
// POST /dicom-web/studies/{study} with a multipart/related body of
// application/dicom parts. Every part goes through Archive::Ingest, exactly
// as a C-STORE would (same durability, versioning and refusals); the answer
// is the Store Instances Response Module (PS3.18 Annex I) in DICOM JSON.
// The server spools these bodies to disk (see IsStowRequest); the handler
// reads them through a read-only mapping.
#pragma once

#include <optional>

#include "http/api_routes.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace cf::http {

// A request must not carry more parts than this: the answer lists every
// part, so its size (and the time spent) grows with their number. Large
// studies (tens of thousands of objects) are sent in several requests.
inline constexpr int kMaxStowParts = 100000;

void AddStowRoutes(Router& router, const ApiContext& context);

// True for a POST whose path is a STOW-RS route: the server streams such a
// body into a spool file instead of memory. Looks at the header only.
bool IsStowRequest(const RawRequest& header);

// The answer to a STOW-RS request whose Content-Type alone shows that it
// cannot succeed (400 or 415), so that the server refuses it before
// receiving a body of gigabytes; nullopt when the header is acceptable.
std::optional<Response> CheckStowHeader(const RawRequest& header);

}  // namespace cf::http
