// SPDX-License-Identifier: Apache-2.0
// How the fuzz harnesses report a broken promise: they name its line, which
// an optimised build's backtrace may not, and abort, which libFuzzer keeps
// as a crash with its input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <source_location>

namespace cf::fuzz {

inline void Require(bool condition, std::source_location where = std::source_location::current()) {
  if (condition) return;
  std::fprintf(stderr, "broken promise at %s:%u\n", where.file_name(),
               static_cast<unsigned>(where.line()));
  std::abort();
}

}  // namespace cf::fuzz
