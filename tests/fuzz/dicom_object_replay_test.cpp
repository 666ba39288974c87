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
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz/dicom_object_harness.hpp"

namespace cf::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> Inputs(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::ranges::sort(files);
  return files;
}

// Returns how many inputs the harness accepted as objects or stored forms.
int Replay(const fs::path& folder) {
  const auto files = Inputs(folder);
  EXPECT_FALSE(files.empty()) << folder;
  int accepted = 0;
  for (const auto& file : files) {
    std::cerr << "replaying " << fs::relative(file, folder).string() << ": ";
    std::ifstream in(file, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    const std::string outcome = RunDicomObject(bytes);
    std::cerr << outcome << "\n";
    if (!outcome.starts_with("rejected")) ++accepted;
  }
  return accepted;
}

TEST(DicomObjectFuzzReplayTest, EverySeedRunsCleanly) {
  const fs::path folder = fs::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/dicom_object";
  const auto seeds = Inputs(folder).size();
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
