// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary bytes as the members of a film package,
// checked by `cloudfilm verify`'s code (package_verify_harness.hpp). Built
// with clang by `make fuzz` (CMake option CF_BUILD_FUZZERS); seeds are in
// tests/fuzz/corpus/package_verify (make_package_seeds.cpp).
#include <cstddef>
#include <cstdint>

#include "fuzz/package_verify_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cf::fuzz::RunPackageVerify({data, size});
  return 0;
}
