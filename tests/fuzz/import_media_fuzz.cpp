// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: a CD or ZIP from another hospital through `cloudfilm
// import`'s code (import_media_harness.hpp). Built with clang by `make
// fuzz` (CMake option CF_BUILD_FUZZERS); seeds are in
// tests/fuzz/corpus/import_media (make_import_seeds.py).
#include <cstddef>
#include <cstdint>

#include "fuzz/import_media_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cf::fuzz::RunImportMedia({data, size});
  return 0;
}
