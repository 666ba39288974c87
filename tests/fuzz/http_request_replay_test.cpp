// SPDX-License-Identifier: Apache-2.0
// Replays the fuzz corpus (seeds and the inputs of past findings) through
// the fuzzer's own entry point on every `make test`, built with g++ like
// the server: a regression of a fixed finding, or a new crash on a seed,
// fails here without running libFuzzer. A broken promise aborts the test
// binary, which CTest reports with the file being replayed on stderr.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz/http_request_harness.hpp"

namespace cf::fuzz {
namespace {

std::vector<std::filesystem::path> Inputs(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::ranges::sort(files);
  return files;
}

void Replay(const std::filesystem::path& folder) {
  const auto files = Inputs(folder);
  ASSERT_FALSE(files.empty()) << folder;
  for (const auto& file : files) {
    std::cerr << "replaying " << file.filename().string() << ": ";
    std::ifstream in(file, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    std::cerr << RunHttpRequest(bytes) << "\n";
  }
}

TEST(HttpRequestFuzzReplayTest, EverySeedRunsCleanly) {
  Replay(std::filesystem::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/http_request");
}

TEST(HttpRequestFuzzReplayTest, EveryPastFindingRunsCleanly) {
  const auto folder = std::filesystem::path(CF_SOURCE_DIR) / "tests/fuzz/regressions/http_request";
  if (!std::filesystem::exists(folder)) GTEST_SKIP() << "no findings kept yet";
  Replay(folder);
}

}  // namespace
}  // namespace cf::fuzz
