// SPDX-License-Identifier: Apache-2.0
// Replays the film package fuzzer's corpus (replay.hpp): each seed must
// verify, a changed one must fail, and past findings must keep the
// promises.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "fuzz/package_verify_harness.hpp"
#include "fuzz/replay.hpp"

namespace cf::fuzz {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> Replay(const fs::path& folder) {
  return ReplayFolder(folder, RunPackageVerify);
}

// The seeds are packages the platform wrote: each must verify, or the
// fuzzer would start outside the checks it is meant to reach.
TEST(PackageVerifyFuzzReplayTest, EverySeedVerifies) {
  const auto outcomes = Replay(fs::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/package_verify");
  const std::map<std::string, std::string> expected = {
      {"ct-two-series-two-reports", "verified: 3 objects"},
      {"one-object-amended", "verified: 1 objects"},
      {"one-object-no-report", "verified: 1 objects"},
  };
  EXPECT_EQ(outcomes, expected);
}

// One member changed by a forger who rewrites the ZIP fails, through the
// same entry point: the harness's zipping keeps the checks reachable.
TEST(PackageVerifyFuzzReplayTest, AChangedMemberFails) {
  const fs::path seed =
      fs::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/package_verify/one-object-no-report";
  std::ifstream in(seed, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto members =
      DecodePackageMembers({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  ASSERT_FALSE(members.empty());
  for (auto& m : members) {
    if (m.name == "DICOM/S0001/I0001") m.content.back() ^= 1;
  }
  const std::string changed = EncodePackageMembers(members);
  const std::string outcome =
      RunPackageVerify({reinterpret_cast<const uint8_t*>(changed.data()), changed.size()});
  EXPECT_TRUE(outcome.starts_with("failed: DICOM/S0001/I0001: SHA-256 expected")) << outcome;
}

TEST(PackageVerifyFuzzReplayTest, EveryPastFindingRunsCleanly) {
  const auto folder = fs::path(CF_SOURCE_DIR) / "tests/fuzz/regressions/package_verify";
  if (!fs::exists(folder)) GTEST_SKIP() << "no findings kept yet";
  Replay(folder);
}

}  // namespace
}  // namespace cf::fuzz
