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

// What the process does with the archive, which decides when compression
// happens: a server compresses right after each acknowledgement and
// compacts older blobs when idle; an import files blobs as received, so
// that it ends promptly, and leaves them to the server's compactor; tools
// (fsck, stats, compact) do neither on their own.
enum class Role { kServer, kImport, kTool };

Result<Runtime> OpenRuntime(const Config& config, Role role = Role::kTool);

}  // namespace cf::app
