// SPDX-License-Identifier: Apache-2.0
// Replays the fuzz corpus (seeds and the inputs of past findings) through
// the fuzzer's own entry point on every `make test`, built with g++ like
// the server: a regression of a fixed finding, or a new crash on a seed,
// fails here without running libFuzzer. A broken promise aborts the test
// binary, which CTest reports with the file being replayed on stderr.
#include <gtest/gtest.h>

#include <filesystem>
#include <span>
#include <string>

#include "fuzz/http_request_harness.hpp"
#include "fuzz/replay.hpp"

namespace cf::fuzz {
namespace {

// The answer's status is the outcome logged.
void Replay(const std::filesystem::path& folder) {
  ReplayFolder(
      folder, [](std::span<const uint8_t> input) { return std::to_string(RunHttpRequest(input)); });
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
