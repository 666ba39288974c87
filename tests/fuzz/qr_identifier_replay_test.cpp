// SPDX-License-Identifier: Apache-2.0
// Replays the Query/Retrieve identifier fuzzer's corpus (seeds and the
// inputs of past findings) through the fuzzer's own entry point on every
// `make test`, built with g++ like the server: a regression of a fixed
// finding, or a seed that breaks a promise, aborts the test binary, which
// CTest reports with the file being replayed on stderr.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "fuzz/qr_identifier_harness.hpp"
#include "fuzz/replay.hpp"

namespace cf::fuzz {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> Replay(const fs::path& folder) {
  return ReplayFolder(folder, RunQrIdentifier);
}

// The seeds are requests a real peer sends: each must be accepted and find
// what the two hospitals' catalog holds for it, or the fuzzer would start
// outside the code it is meant to reach.
TEST(QrIdentifierFuzzReplayTest, EverySeedFindsWhatItAsksFor) {
  const auto outcomes = Replay(fs::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/qr_identifier");
  const std::map<std::string, std::string> expected = {
      {"find-gb18030-name", "find: 1 matches"},  // 陈小明, south only
      {"find-images-by-uid-list", "find: 2 matches"},
      {"find-latin1-referring", "find: 1 matches"},
      {"find-patient-root-patients-explicit", "find: 1 matches"},
      {"find-patients-in-a-share", "find: 1 matches"},
      {"find-sequence-and-private-keys", "find: 2 matches"},
      {"find-series-of-a-study-south", "find: 2 matches"},
      {"find-share-of-one-study", "find: 1 matches"},
      {"find-study-root-studies-implicit", "find: 2 matches"},
      {"retrieve-images-south", "retrieve: 2 instances"},
      {"retrieve-patient-root-patient", "retrieve: 4 instances"},
      {"retrieve-series-in-a-share", "retrieve: 2 instances"},
      {"retrieve-study", "retrieve: 4 instances"},
  };
  EXPECT_EQ(outcomes, expected);
}

TEST(QrIdentifierFuzzReplayTest, EveryPastFindingRunsCleanly) {
  const auto folder = fs::path(CF_SOURCE_DIR) / "tests/fuzz/regressions/qr_identifier";
  if (!fs::exists(folder)) GTEST_SKIP() << "no findings kept yet";
  Replay(folder);
}

}  // namespace
}  // namespace cf::fuzz
