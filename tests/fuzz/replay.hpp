// SPDX-License-Identifier: Apache-2.0
// How the replay tests run a fuzz target's corpus (seeds and the inputs of
// past findings) through the target's own entry point on every `make
// test`, built with g++ like the server. Each input is named on stderr
// before it runs, so that a broken promise, which aborts the test binary,
// is reported by CTest with the input that broke it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace cf::fuzz {

// Every file below `folder`, in name order.
inline std::vector<std::filesystem::path> ReplayInputs(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::ranges::sort(files);
  return files;
}

// Runs every file below `folder` through `run`; each outcome by the file's
// path relative to `folder`.
inline std::map<std::string, std::string> ReplayFolder(
    const std::filesystem::path& folder,
    const std::function<std::string(std::span<const uint8_t>)>& run) {
  const auto files = ReplayInputs(folder);
  EXPECT_FALSE(files.empty()) << folder;
  std::map<std::string, std::string> outcomes;
  for (const auto& file : files) {
    const std::string name = std::filesystem::relative(file, folder).string();
    std::cerr << "replaying " << name << ": ";
    std::ifstream in(file, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    const std::string outcome = run(bytes);
    std::cerr << outcome << "\n";
    outcomes[name] = outcome;
  }
  return outcomes;
}

}  // namespace cf::fuzz
