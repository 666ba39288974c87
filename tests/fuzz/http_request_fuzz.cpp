// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary bytes as a raw HTTP request through Beast's
// parser, the router with every route, authentication, the audit trail and
// the parsers of client input (see http_request_harness.hpp). Built with
// clang by `make fuzz` (CMake option CF_BUILD_FUZZERS); seeds are in
// tests/fuzz/corpus/http_request, and the dictionary http_request.dict
// names the tokens worth splicing in.
#include <cstddef>
#include <cstdint>

#include "fuzz/http_request_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cf::fuzz::RunHttpRequest({data, size});
  return 0;
}
