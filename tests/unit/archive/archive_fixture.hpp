// SPDX-License-Identifier: Apache-2.0
// A real archive (SQLite catalog + filesystem blobs) in a temporary folder.
#pragma once

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"

namespace cf::archive {

class ArchiveFixture : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    auto opened = test_archive_.Open(dir_.Path());
    ASSERT_TRUE(opened) << opened.error().message;
  }
  cf::testing::TempDir dir_;
  cf::testing::TestArchive test_archive_;
  std::unique_ptr<store::FilesystemBlobStore>& blobs_ = test_archive_.blobs;
  std::unique_ptr<catalog::Catalog>& catalog_ = test_archive_.catalog;
  std::unique_ptr<Archive>& archive_ = test_archive_.archive;
};

}  // namespace cf::archive
