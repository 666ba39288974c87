# SPDX-License-Identifier: Apache-2.0
# cf_add_library(<part> SOURCES ... [PUBLIC deps...] [PRIVATE deps...])
# Creates cf_<part> with the alias cf::<part>. Headers are included as
# "<part>/x.hpp" through the src/ include root, so a header is named by its
# part, and third-party libraries stay PRIVATE.
function(cf_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(cf_${name} STATIC ${ARG_SOURCES})
  add_library(cf::${name} ALIAS cf_${name})
  target_include_directories(cf_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${CMAKE_BINARY_DIR}/generated)
  target_compile_options(cf_${name} PRIVATE ${CF_WARNING_FLAGS})
  target_link_libraries(cf_${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
endfunction()

# cf_add_test(<name> SOURCES ... LIBS ... [LABELS ...])
function(cf_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CF_WARNING_FLAGS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE CF_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
