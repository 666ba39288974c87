// SPDX-License-Identifier: Apache-2.0
// WADO-RS rendered and thumbnail resources (PS3.18 10.4; parameters 8.3.5):
// one frame of an instance as image/jpeg or image/png, windowed, cropped
// and scaled as the query asks, for viewers and the patient's phone. A
// study or series is represented by one image (the middle instance of its
// first series with images), not a multipart of every instance: that is
// what a viewer's study list needs. Every Archive call and every render
// goes through RunBlocking; nothing here logs patient data.
#pragma once

#include <cstddef>

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

struct RenderedOptions {
  // Rendered images and thumbnails by stored object and parameters: a
  // study list or a scrolling viewer asks for the same ones again.
  size_t cache_bytes = 64ull << 20;
};

// Adds the rendered and thumbnail routes under /dicom-web to `router`.
// `context` must outlive every dispatch; the cache lives as long as the
// routes.
void AddRenderedRoutes(Router& router, const ApiContext& context,
                       const RenderedOptions& options = {});

}  // namespace cf::http
