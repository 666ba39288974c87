# SPDX-License-Identifier: Apache-2.0
if(CF_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer needs clang; every library is instrumented for coverage so that
# the fuzzer sees into the code under test, not only into its own file.
if(CF_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CF_BUILD_FUZZERS needs clang: -DCMAKE_CXX_COMPILER=clang++-19 (see `make fuzz`)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
