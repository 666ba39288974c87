// SPDX-License-Identifier: Apache-2.0
// A real archive (SQLite catalog + filesystem blobs) in a temporary folder.
#pragma once

#include <gtest/gtest.h>

#include "archive/archive.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "store/filesystem_blob_store.hpp"
#include "support/temp_dir.hpp"

namespace cf::archive {

class ArchiveFixture : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    archive_.reset();
    catalog_.reset();
    blobs_.reset();
    auto b = store::FilesystemBlobStore::Open({dir_.Path(), true});
    ASSERT_TRUE(b) << b.error().message;
    blobs_ = std::move(*b);
    auto c = catalog::OpenSqliteCatalog({dir_.Path() / "catalog.sqlite"});
    ASSERT_TRUE(c) << c.error().message;
    catalog_ = std::move(*c);
    archive_ = std::make_unique<Archive>(*catalog_, *blobs_, ArchiveOptions{});
  }
  cf::testing::TempDir dir_;
  std::unique_ptr<store::FilesystemBlobStore> blobs_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<Archive> archive_;
};

}  // namespace cf::archive
