// SPDX-License-Identifier: Apache-2.0
// Replays the import fuzzer's corpus (replay.hpp): each seed must import
// what a hospital expects of it, and past findings must keep the promises.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "fuzz/import_media_harness.hpp"
#include "fuzz/replay.hpp"

namespace cf::fuzz {
namespace {

namespace fs = std::filesystem;

// The seeds run in name order into one archive: the first to hold the
// three objects stores them, the later ones find them present.
TEST(ImportMediaFuzzReplayTest, EverySeedImportsItsObjects) {
  const auto outcomes =
      ReplayFolder(fs::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/import_media", RunImportMedia);
  const std::map<std::string, std::string> expected = {
      {"cd-film-package", "folder: 3 stored, 0 present, 0 rejected"},
      {"cd-loose-files", "folder: 0 stored, 3 present, 0 rejected"},
      {"cd-lower-case-files", "folder: 0 stored, 3 present, 0 rejected"},
      // README.txt is not DICOM: named and rejected, the rest imported.
      {"zip-chinese-names", "zip: 0 stored, 3 present, 1 rejected"},
      {"zip-film-package", "zip: 0 stored, 3 present, 0 rejected"},
  };
  EXPECT_EQ(outcomes, expected);
}

TEST(ImportMediaFuzzReplayTest, EveryPastFindingRunsCleanly) {
  const auto folder = fs::path(CF_SOURCE_DIR) / "tests/fuzz/regressions/import_media";
  if (!fs::exists(folder)) GTEST_SKIP() << "no findings kept yet";
  ReplayFolder(folder, RunImportMedia);
}

}  // namespace
}  // namespace cf::fuzz
