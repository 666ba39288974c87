// SPDX-License-Identifier: Apache-2.0
// What this test process has mapped: for tests of libraries loaded on
// first use (dlopen), which must not be mapped before.
#pragma once

#include <fstream>
#include <string>
#include <string_view>

namespace cf::testing {

// How many of this process's mappings are of a file whose path has `name`.
inline int Mappings(std::string_view name) {
  std::ifstream maps("/proc/self/maps");
  int count = 0;
  for (std::string line; std::getline(maps, line);) {
    if (line.find(name) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace cf::testing
