// SPDX-License-Identifier: Apache-2.0
// Builds the embedded backends (SQLite catalog, filesystem blob store) and
// the archive on top of them from the configuration. Backends are chosen
// here and nowhere else.
#pragma once

#include <memory>

#include "archive/archive.hpp"
#include "config.hpp"

namespace cf::app {

struct Runtime {
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<archive::Archive> archive;
};

Result<Runtime> OpenRuntime(const Config& config);

}  // namespace cf::app
