// SPDX-License-Identifier: Apache-2.0
// WADO-RS (PS3.18 10.4) and WADO-URI (PS3.18 9): retrieve studies, series
// and instances as multipart/related application/dicom (streamed, converted
// to the transfer syntax the Accept header asks for), their metadata as
// DICOM JSON (cached, gzip on request), frames as native little-endian
// bytes, bulk data, and the single-object WADO-URI request. Every Archive
// call goes through RunBlocking; nothing here logs patient data.
#pragma once

#include <cstddef>

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

struct WadoOptions {
  size_t metadata_cache_bytes = 256ull << 20;  // study/series metadata and its gzip form
  size_t frame_cache_bytes = 128ull << 20;     // decoded pixels of recently read instances
};

// Adds the WADO-RS and WADO-URI routes to `router`. `context` must outlive
// every dispatch; the caches live as long as the routes.
void AddWadoRoutes(Router& router, const ApiContext& context, const WadoOptions& options = {});

}  // namespace cf::http
