// SPDX-License-Identifier: Apache-2.0
// Replays the DICOM object fuzzer's corpus (seeds and the inputs of past
// findings) and the shared real-world test data through the fuzzer's own
// entry point on every `make test`, built with g++ like the server: a
// regression of a fixed finding, or a broken promise on a real file (a
// stored form that does not rebuild it, a lossless transcode that changes
// a sample), aborts the test binary, which CTest reports with the file
// being replayed on stderr.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "fuzz/dicom_object_harness.hpp"
#include "fuzz/replay.hpp"

namespace cf::fuzz {
namespace {

namespace fs = std::filesystem;

// Returns how many inputs the harness accepted as objects or stored forms.
int Replay(const fs::path& folder) {
  const auto outcomes = ReplayFolder(folder, RunDicomObject);
  return static_cast<int>(std::ranges::count_if(
      outcomes, [](const auto& o) { return !o.second.starts_with("rejected"); }));
}

TEST(DicomObjectFuzzReplayTest, EverySeedRunsCleanly) {
  const fs::path folder = fs::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/dicom_object";
  const auto seeds = ReplayInputs(folder).size();
  // Every seed is a valid object or stored form: a seed the harness rejects
  // would start the fuzzer outside the code it is meant to reach.
  EXPECT_EQ(Replay(folder), static_cast<int>(seeds));
}

TEST(DicomObjectFuzzReplayTest, EveryPastFindingRunsCleanly) {
  const auto folder = fs::path(CF_SOURCE_DIR) / "tests/fuzz/regressions/dicom_object";
  if (!fs::exists(folder)) GTEST_SKIP() << "no findings kept yet";
  Replay(folder);
}

TEST(DicomObjectFuzzReplayTest, EveryMalformedSharedFileRunsCleanly) {
  const fs::path folder = fs::path(CF_SOURCE_DIR) / "../shared/testdata/malformed";
  if (!fs::exists(folder)) GTEST_SKIP() << "../shared/testdata not present";
  Replay(folder);
}

// Real objects of every modality, codec and character set: the promises
// hold on what hospitals send, not only on the seeds.
TEST(DicomObjectFuzzReplayTest, EverySharedFileKeepsThePromises) {
  const fs::path folder = fs::path(CF_SOURCE_DIR) / "../shared/testdata";
  if (!fs::exists(folder)) GTEST_SKIP() << "../shared/testdata not present";
  EXPECT_GT(Replay(folder), 100);
}

}  // namespace
}  // namespace cf::fuzz
