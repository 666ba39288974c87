// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary bytes as the identifier of a C-FIND, C-MOVE
// or C-GET request (qr_identifier_harness.hpp). Built with clang by `make
// fuzz` (CMake option CF_BUILD_FUZZERS); seeds are in
// tests/fuzz/corpus/qr_identifier (make_qr_seeds.py).
#include <cstddef>
#include <cstdint>

#include "fuzz/qr_identifier_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cf::fuzz::RunQrIdentifier({data, size});
  return 0;
}
