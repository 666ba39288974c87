// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary bytes as an uploaded DICOM object or a stored
// form, through every reader of received objects (dicom_object_harness.hpp).
// Built with clang by `make fuzz` (CMake option CF_BUILD_FUZZERS); seeds are
// in tests/fuzz/corpus/dicom_object (make_dicom_seeds.cpp), plus
// ../shared/testdata when present; dicom_object.dict names the tokens worth
// splicing in.
#include <cstddef>
#include <cstdint>

#include "fuzz/dicom_object_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cf::fuzz::RunDicomObject({data, size});
  return 0;
}
