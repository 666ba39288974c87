// SPDX-License-Identifier: Apache-2.0
// A real archive for tests: SQLite catalog and filesystem blobs (synced
// writes, no journal) in a folder. The test links cf::archive, cf::catalog
// and cf::store.
#pragma once

#include <filesystem>
#include <memory>

#include "archive/archive.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "store/filesystem_blob_store.hpp"

namespace cf::testing {

struct TestArchive {
  std::unique_ptr<store::FilesystemBlobStore> blobs;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<archive::Archive> archive;

  // Opens the archive in `dir` (blobs under it, catalog.sqlite in it),
  // closing a previous one first.
  Result<void> Open(const std::filesystem::path& dir, archive::ArchiveOptions options = {}) {
    archive.reset();
    catalog.reset();
    blobs.reset();
    auto b = store::FilesystemBlobStore::Open({dir, true});
    if (!b) return std::unexpected(b.error());
    blobs = std::move(*b);
    auto c = catalog::OpenSqliteCatalog({dir / "catalog.sqlite"});
    if (!c) return std::unexpected(c.error());
    catalog = std::move(*c);
    archive = std::make_unique<archive::Archive>(*catalog, *blobs, std::move(options));
    return {};
  }
};

}  // namespace cf::testing
